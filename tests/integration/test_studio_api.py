"""The designer studio's API on the real service (PostgreSQL, Redis): conversations arrive
through the bot's event broker, only designers and supervisors see them, personal data is
masked in review and replaced by placeholders in the training files."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import select

from handoff.config import ROOT_DIR
from handoff.db import make_engine, make_sessionmaker
from handoff.conversations.tables import StudioConversation, StudioTurn
from tests.integration.handoff_support import (make_broker, pg_url, prefix,  # noqa: F401
                                               rasa_stub, stack)

pytestmark = pytest.mark.integration
PHONE, ORDER, ADDRESS = "13812345678", "E202611180042", "上海市徐汇区漕溪北路88号"


def user_event(sender: str, text: str, intent: str, confidence: float, entities=(),
               emotion: str = "neutral", at: float = 0.0) -> dict:
    return {"event": "user", "sender_id": sender, "text": text, "timestamp": at or time.time(),
            "message_id": uuid.uuid4().hex, "input_channel": "socketio",
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": list(entities), "language": "zh",
                           "emotion": {"label": emotion, "negative": emotion != "neutral",
                                       "score": 0.8}}}


def conversation(sender: str) -> list:
    text = f"我手机{PHONE},订单{ORDER}到哪了"
    start = text.index(ORDER)
    now = time.time()
    return [
        {"event": "action", "sender_id": sender, "name": "action_session_start", "timestamp": now},
        user_event(sender, text, "order_status", 0.91,
                   [{"entity": "order_id", "value": ORDER, "start": start,
                     "end": start + len(ORDER), "extractor": "RegexEntityExtractor"},
                    {"entity": "phone", "value": PHONE, "start": 3, "end": 14,
                     "extractor": "RegexEntityExtractor"}], at=now + 0.1),
        {"event": "slot", "sender_id": sender, "name": "language", "value": "zh",
         "timestamp": now + 0.2},
        {"event": "action", "sender_id": sender, "name": "action_order_status",
         "timestamp": now + 0.3},
        {"event": "bot", "sender_id": sender, "text": f"订单{ORDER}已发货", "timestamp": now + 0.4},
        {"event": "action", "sender_id": sender, "name": "action_listen", "timestamp": now + 0.5},
        user_event(sender, f"改地址到{ADDRESS}可以吗烦死了", "nlu_fallback", 0.21,
                   emotion="annoyed", at=now + 1),
        {"event": "action", "sender_id": sender, "name": "action_default_fallback",
         "timestamp": now + 1.1},
    ]


async def publish(prefix_name: str, events: list) -> None:
    broker = make_broker(prefix_name)
    for event in events:
        broker.publish(event)
    assert await asyncio.to_thread(broker.flush, 60)
    await broker.close()


async def recorded(stack, headers, sender: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, data = await stack.call("GET", "/api/designer/conversations?limit=20",
                                        headers=headers)
        assert status == 200, data
        found = [c for c in data["conversations"] if c["id"] == sender]
        shopper = [t for t in found[0]["turns"] if t["role"] == "shopper"] if found else []
        if len(shopper) == 2 and shopper[1]["actions"]:  # the last event has arrived
            return found[0]
        await asyncio.sleep(0.2)
    raise AssertionError("the conversation never reached the studio")


async def test_review_roles_masking_and_training_files(stack, prefix, studio_project):
    stack.agent("dana", role="designer", queues=())
    stack.agent("sue", role="supervisor")
    stack.agent("ada", role="agent")
    designer, boss, agent = [await stack.login(n) for n in ("dana", "sue", "ada")]
    sender = f"web:{uuid.uuid4().hex[:8]}"
    events = conversation(sender)
    await publish(prefix, events)

    conv = await recorded(stack, designer, sender)
    # -- what review shows: every shopper turn with intent, confidence, entities, emotion,
    # the bot's actions; personal data masked everywhere
    first, second = [t for t in conv["turns"] if t["role"] == "shopper"]
    assert first["intent"] == "order_status" and first["confidence"] == pytest.approx(0.91)
    assert {e["entity"] for e in first["entities"]} == {"order_id", "phone"}
    assert first["actions"] == ["action_order_status"]
    assert first["emotion"] == "neutral" and second["emotion"] == "annoyed"
    assert second["intent"] == "nlu_fallback" and second["actions"] == ["action_default_fallback"]
    assert "138****5678" in first["text"]
    assert conv["channel"] == "socketio" and conv["language"] == "zh"
    shown = json.dumps(conv, ensure_ascii=False)
    for secret in (PHONE, ORDER, ADDRESS):
        assert secret not in shown
    # nor is it kept in the studio's tables
    engine = make_engine(stack.settings.resolved_db_url)
    with make_sessionmaker(engine)() as db:
        stored = json.dumps([(t.pieces, t.entities) for t in db.execute(
            select(StudioTurn).where(StudioTurn.conversation_id == sender)).scalars()],
            ensure_ascii=False)
    for secret in (PHONE, ORDER, ADDRESS):
        assert secret not in stored

    # a redelivered event changes nothing (the bot line after it shows it was handled)
    await publish(prefix, events[1:2] + [{"event": "bot", "sender_id": sender,
                                          "text": "marker", "timestamp": time.time()}])

    async def marker():
        _, found = await stack.call("GET", f"/api/designer/conversations/{sender}",
                                    headers=designer)
        return any(t["text"] == "marker" for t in found["turns"])
    deadline = time.monotonic() + 60
    while not await marker():
        assert time.monotonic() < deadline, "the events after the redelivery never arrived"
        await asyncio.sleep(0.2)
    with make_sessionmaker(engine)() as db:
        assert db.execute(select(StudioConversation).where(
            StudioConversation.id == sender)).scalar_one().shopper_turns == 2
    engine.dispose()

    # -- roles: designers and supervisors, nobody else
    assert (await stack.call("GET", "/api/designer/conversations?limit=5", headers=boss))[0] == 200
    status, data = await stack.call("GET", "/api/designer/conversations?limit=5", headers=agent)
    assert status == 403 and data["error"] == "forbidden"
    assert (await stack.call("GET", "/api/designer/conversations?limit=5"))[0] == 401
    assert (await stack.call("POST", f"/api/designer/turns/{second['id']}/correction",
                             headers=agent, json={"intent": "change_address"}))[0] == 403
    # refused before its body is read: a malformed body tells an outsider nothing either
    status, data = await stack.call("POST", "/api/designer/training/preview", headers=agent,
                                    json={"kind": 7})
    assert status == 403 and data["error"] == "forbidden", data
    assert (await stack.call("GET", "/api/designer/conversations?limit=500",
                             headers=designer))[0] == 400

    # -- filters
    async def ids(query: str) -> list:
        status, data = await stack.call("GET", f"/api/designer/conversations?{query}",
                                        headers=designer)
        assert status == 200, data
        return [c["id"] for c in data["conversations"]]
    assert sender in await ids("fallback=1&language=zh&channel=socketio&intent=order_status")
    assert sender not in await ids("handed_off=1")
    assert sender not in await ids("language=en")
    assert sender in await ids("q=" + "烦死了")
    assert (await stack.call("GET", "/api/designer/conversations?from=yesterday",
                             headers=designer))[0] == 400

    # -- a bad body: the one JSON error shape with the fields at fault, nothing changed
    tags_path = f"/api/designer/conversations/{sender}/tags"
    for path, payload, fields in [
            (tags_path, {"tags": ["ok", "x" * 33]}, ["tags.1"]),
            (tags_path, {"tags": "address,fallback"}, ["tags"]),
            (f"/api/designer/turns/{second['id']}/correction",
             {"intent": " ", "entities": [{"entity": "phone"}]}, ["intent", "entities.0.value"]),
            ("/api/designer/training/preview", {"kind": "nlu", "turn_ids": ["1"]},
             ["turn_ids.0"]),
            ("/api/designer/training/apply", {"kind": "story"}, ["conversation_id"])]:
        method = "PUT" if path == tags_path else "POST"
        status, data = await stack.call(method, path, headers=designer, json=payload)
        assert status == 400 and data["error"] == "bad_field" and data["message"], data
        assert [f["field"] for f in data["fields"]] == fields, data
        assert set(data) == {"error", "message", "fields"} and "Traceback" not in str(data)
    status, data = await stack.call("PUT", tags_path, headers=designer, data=b"{not json")
    assert status == 400 and data["error"] == "bad_json"
    assert (await stack.call("GET", f"/api/designer/conversations/{sender}",
                             headers=designer))[1]["tags"] == []

    # -- tags
    status, tagged = await stack.call("PUT", f"/api/designer/conversations/{sender}/tags",
                                      headers=designer, json={"tags": ["address", "fallback"]})
    assert status == 200 and tagged["tags"] == ["address", "fallback"]
    assert sender in await ids("tag=address")

    # -- correct the fallback turn, then it becomes an NLU example with a placeholder address
    status, turn = await stack.call("POST", f"/api/designer/turns/{second['id']}/correction",
                                    headers=designer, json={"intent": "no_such_intent"})
    assert status == 400
    status, turn = await stack.call(
        "POST", f"/api/designer/turns/{second['id']}/correction", headers=designer,
        json={"intent": "change_address", "entities": [{"entity": "phone", "value": "不存在"}]})
    assert status == 400  # the marked text is not in the message
    status, turn = await stack.call("POST", f"/api/designer/turns/{second['id']}/correction",
                                    headers=designer, json={"intent": "change_address",
                                                            "entities": []})
    assert status == 200 and turn["correction"]["intent"] == "change_address"
    nlu_before = (studio_project / "data/nlu/orders.yml").read_text(encoding="utf-8")
    status, preview = await stack.call("POST", "/api/designer/training/preview",
                                       headers=designer,
                                       json={"kind": "nlu", "turn_ids": [second["id"]]})
    assert status == 200, preview
    assert (studio_project / "data/nlu/orders.yml").read_text(encoding="utf-8") == nlu_before
    diff = preview["changes"][0]["diff"]
    assert "+    - 改地址到上海市浦东新区示例路1号可以吗烦死了\n" in diff
    assert ADDRESS not in diff
    status, applied = await stack.call("POST", "/api/designer/training/apply", headers=designer,
                                       json={"kind": "nlu", "turn_ids": [second["id"]]})
    assert status == 200 and applied["written"]
    written = (studio_project / applied["changes"][0]["path"]).read_text(encoding="utf-8")
    assert "改地址到上海市浦东新区示例路1号可以吗烦死了" in written and ADDRESS not in written
    # the same sentence twice is refused (it is training data now)
    assert (await stack.call("POST", "/api/designer/training/apply", headers=designer,
                             json={"kind": "nlu", "turn_ids": [second["id"]]}))[0] == 400

    # -- the conversation as a test story: placeholders for the order id and the phone
    status, story = await stack.call("POST", "/api/designer/training/apply", headers=designer,
                                     json={"kind": "test", "conversation_id": sender,
                                           "name": "order status then an address (studio)"})
    assert status == 200, story
    tests_file = (studio_project / "tests/test_stories.yml").read_text(encoding="utf-8")
    assert "order status then an address (studio)" in tests_file
    assert "[E202601010001](order_id)" in tests_file and PHONE not in tests_file


def test_accounts_cli_creates_designers(tmp_path):
    env = {**os.environ, "HANDOFF_DB_URL": f"sqlite:///{tmp_path / 'h.db'}",
           "HANDOFF_AGENT_PASSWORD": "designer password"}
    done = subprocess.run([sys.executable, "-m", "handoff.accounts", "add", "dee", "--role",
                           "designer"], cwd=ROOT_DIR, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "created designer dee" in done.stdout
