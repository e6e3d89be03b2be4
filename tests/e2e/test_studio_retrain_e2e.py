"""A story added through the studio changes what the bot does, after retraining in place.

Real processes end to end: a Rasa server (no model at first) whose event broker feeds the
handoff service; the studio trains a tiny project (tests/e2e/studio_project, seconds per
training) in the background, the designer accepts, Rasa switches models through PUT /model
without a restart. The shopper asks something the bot has no story for (it falls back); the
designer says what it should have done and writes the conversation as a story and as a test
story; the retrained bot answers, and the comparison shows the test story that now passes.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import aiohttp
import pytest

from handoff.config import ROOT_DIR, Settings
from tests.integration.handoff_support import Stack

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TINY = Path(__file__).resolve().parent / "studio_project"
RASA_TOKEN, HANDOFF_TOKEN = "studio-e2e-rasa-token", "studio-e2e-handoff-token"
QUESTION = "do you gift wrap"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(TINY, root)
    return root


async def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


async def test_story_from_the_studio_changes_the_bot(project: Path, tmp_path: Path, monkeypatch):
    prefix = f"test:studio-e2e:{uuid.uuid4().hex[:8]}"
    rasa_port = free_port()
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    (project / "endpoints.yml").write_text(
        "event_broker:\n  type: bot.broker.RedisStreamEventBroker\n"
        f"  url: {REDIS_URL}\n  key_prefix: \"{prefix}\"\n  outbox: {tmp_path / 'outbox'}\n",
        encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT_DIR), "HANDOFF_TOKEN": HANDOFF_TOKEN,
           "TF_CPP_MIN_LOG_LEVEL": "3"}
    log = open(tmp_path / "rasa.log", "wb")
    rasa = subprocess.Popen([str(Path(sys.executable).parent / "rasa"), "run", "--enable-api",
                             "--auth-token", RASA_TOKEN, "--port", str(rasa_port),
                             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                             "--model", str(project / "models")],
                            cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT)
    monkeypatch.setenv("STUDIO_PROJECT_DIR", str(project))
    monkeypatch.setenv("STUDIO_CANDIDATES_DIR", str(tmp_path / "candidates"))
    monkeypatch.setenv("STUDIO_CURRENT_MODEL", str(project / "models" / "none.tar.gz"))
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'handoff.db'}", redis_url=REDIS_URL,
                        redis_prefix=prefix, token=HANDOFF_TOKEN, port=0, rasa_url=rasa_url,
                        rasa_token=RASA_TOKEN, consumer_name="studio-e2e", sweep_seconds=3600)
    stack = Stack(settings)
    await stack.start()
    http = aiohttp.ClientSession()
    try:
        stack.agent("dee", role="designer", queues=())
        me = await stack.login("dee")

        async def up():
            try:
                async with http.get(f"{rasa_url}/version", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False
        await wait_for(up, 180, "the Rasa server")

        async def train_and_accept() -> dict:
            status, job = await stack.call("POST", "/api/designer/train", headers=me)
            assert status == 201, job
            assert (await stack.call("POST", "/api/designer/train", headers=me))[0] == 409

            async def done():
                _, found = await stack.call("GET", f"/api/designer/train/{job['id']}", headers=me)
                return found if found["status"] != "running" else None
            job = await wait_for(done, 900, "the training job")
            assert job["status"] == "ready", job
            status, accepted = await stack.call("POST", f"/api/designer/train/{job['id']}/accept",
                                                headers=me)
            assert status == 200 and accepted["status"] == "accepted", accepted
            return job

        async def say(sender: str, text: str) -> list:
            async with http.post(f"{rasa_url}/webhooks/rest/webhook",
                                 json={"sender": sender, "message": text}) as r:
                assert r.status == 200, await r.text()
                return [m.get("text") for m in await r.json()]

        # the first model: no story for gift wrapping, so the bot falls back
        first = await train_and_accept()
        assert first["comparison"]["stories"]["candidate"]["passed"] == 1
        assert "en" in first["comparison"]["nlu"]["candidate"]["accuracy"]
        sender = f"shopper-{uuid.uuid4().hex[:6]}"
        assert await say(sender, "hello") == ["hello from the tiny shop"]
        assert await say(sender, QUESTION) == ["sorry, I did not get that"]

        async def reviewed():
            _, data = await stack.call("GET", "/api/designer/conversations?limit=10",
                                       headers=me)
            found = [c for c in data["conversations"] if c["id"] == sender]
            turns = [t for t in found[0]["turns"] if t["role"] == "shopper"] if found else []
            return turns if len(turns) == 2 and turns[1]["actions"] else None
        greet, asked = await wait_for(reviewed, 30, "the conversation in the studio")
        assert asked["intent"] == "ask_gift_wrap" and asked["confidence"] > 0
        assert asked["actions"] == ["action_default_fallback"]

        # the designer: after this question the bot should answer utter_gift_wrap
        status, _ = await stack.call("POST", f"/api/designer/turns/{asked['id']}/correction",
                                     headers=me, json={"actions": ["utter_gift_wrap"]})
        assert status == 200
        for kind, name in (("story", "gift wrap after a greeting"),
                           ("test", "gift wrap after a greeting (test)")):
            status, written = await stack.call(
                "POST", "/api/designer/training/apply", headers=me,
                json={"kind": kind, "conversation_id": sender, "name": name})
            assert status == 200, written
        story = (project / "data/stories/studio.yml").read_text(encoding="utf-8")
        assert "- action: utter_gift_wrap" in story and "action_default_fallback" not in story

        second = await train_and_accept()
        stories = second["comparison"]["stories"]
        assert stories["candidate"] == {**stories["candidate"], "total": 2, "passed": 2}
        assert stories["current"]["passed"] == 1  # the old model fails the new test story
        assert set(second["comparison"]["nlu"]) == {"candidate", "current"}

        # the running bot, not restarted, now answers from the story
        again = f"shopper-{uuid.uuid4().hex[:6]}"
        assert await say(again, "hello") == ["hello from the tiny shop"]
        assert await say(again, QUESTION) == ["yes, we gift wrap for free"]
        assert rasa.poll() is None  # the same process all along
    finally:
        await http.close()
        await stack.close()
        rasa.terminate()
        try:
            rasa.wait(30)
        except subprocess.TimeoutExpired:
            rasa.kill()
        log.close()
