"""One running stack for all end-to-end tests: trained once, started once per test session.

The stack runs on its own ports (so a running `make demo` does not interfere) against the
machine's real Redis and a fresh PostgreSQL database for the tracker, the shop's store and
the handoff service. Set E2E_BACKEND=embedded to use SQLite and the embedded Redis instead.

Human agents are "on duty" round the clock in this stack (a copy of data/shop.yml with hours
00:00-24:00), so what a transfer promises does not depend on the hour the tests run at; the
out-of-hours replies are tested with a fixed clock in tests/integration/test_handoff_routing.py.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
import yaml

from common.policy import DEFAULT_PATH as SHOP_POLICY
from scripts.stack import ROOT, Ports, Stack

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _create_database(name: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def _drop_database(name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@contextlib.contextmanager
def running_stack(workers: int = 1) -> Iterator[Stack]:
    """A whole stack on free ports, a fresh PostgreSQL database and its own Redis key prefix
    (`stack.env["REDIS_KEY_PREFIX"]`), with `workers` Rasa worker processes; stopped and
    cleaned up on exit. The model must be trained (the `stack` fixture trains it)."""
    backend = os.environ.get("E2E_BACKEND", "pg")
    var = Path(tempfile.mkdtemp(prefix="frontline-e2e-"))
    saved = dict(os.environ)
    database = None
    key_prefix = f"fle2e:{uuid.uuid4().hex[:6]}:"
    policy = yaml.safe_load(SHOP_POLICY.read_text(encoding="utf-8"))
    policy["hours"].update({"open": "00:00", "close": "24:00"})
    # Phone-digit guesses from one client address: few, so the attack test needs few turns.
    policy.setdefault("verification", {})["address_max_attempts"] = 6
    (var / "shop.yml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    os.environ["SHOP_POLICY_FILE"] = str(var / "shop.yml")
    # The shop connector retries quickly here, so "shop down, then back" fits in a test.
    os.environ.update(SHOP_RETRY_BASE_SECONDS="0.5", SHOP_SYNC_SECONDS="2")
    if backend == "pg":
        database = f"frontline_e2e_{uuid.uuid4().hex[:8]}"
        url = _create_database(database)
        os.environ.update(STORE_URL=url, HANDOFF_DB_URL=url, TRACKER_URL=url.replace("+psycopg2", ""),
                          REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=key_prefix)
    # free ports, so a running demo or another checkout's test run does not collide
    running = Stack(ports=Ports(**{name: _free_port() for name in Ports.__dataclass_fields__}),
                    var=var, quiet=True, workers=workers)
    try:
        running.start()
    except Exception:
        for name in running.procs:
            print(f"--- {name}.log ---\n{running.log_tail(name, 80)}", file=sys.stderr)
        running.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield running
    finally:
        running.stop()
        if database:
            _drop_database(database)
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{key_prefix}*"):
                client.delete(key)


@pytest.fixture(scope="session")
def stack():
    """The stack most e2e tests share: one Rasa worker (each is ~1.3 GB; the tests' load is light)."""
    subprocess.run([sys.executable, "-m", "scripts.train"], cwd=ROOT, check=True)
    with running_stack(workers=1) as running:
        yield running


def post_json(url: str, body: Dict[str, Any], headers: Optional[Dict[str, str]] = None, timeout: float = 30) -> Any:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


@pytest.fixture
def chat(stack):
    """chat(sender_id, text, metadata=None) -> the bot's messages (dicts with text, buttons…)."""

    def send(sender_id: str, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
        body: Dict[str, Any] = {"sender": sender_id, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        return post_json(f"{stack.rasa_url}/webhooks/rest/webhook", body) or []

    return send


@pytest.fixture
def tracker(stack):
    """tracker(sender_id) -> the conversation's tracker from Rasa's HTTP API."""

    def fetch(sender_id: str) -> Dict[str, Any]:
        url = f"{stack.rasa_url}/conversations/{sender_id}/tracker?token={stack.rasa_token}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())

    return fetch


@pytest.fixture
def sender():
    """A REST conversation id: the REST channel keeps a `rest:` id as it is (bot.channels.rest)."""
    return f"rest:e2e-{uuid.uuid4().hex[:10]}"


class WebShopper:
    """A shopper on the web widget's socket.io channel (the channel that vouches for a visitor id)."""

    def __init__(self, rasa_url: str, metadata: Dict[str, Any], language_hint: str = ""):
        import threading

        import socketio

        self.metadata = metadata
        self.received: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self.sio = socketio.Client()
        self.sio.on("bot_uttered", self._on_message)
        confirmed = threading.Event()

        def on_confirm(data: Dict[str, Any]) -> None:
            # the server issues the session key (secret) and names the public conversation id
            self.session_id, self.sender_id = data["session_id"], data["conversation_id"]
            confirmed.set()
        self.sio.on("session_confirm", on_confirm)
        # engineio's websocket transport needs a newer aiohttp than Rasa allows; polling is real socket.io too
        self.sio.connect(rasa_url, socketio_path="/socket.io", transports=["polling"])
        self.sio.emit("session_request", {})
        if not confirmed.wait(15):
            raise TimeoutError("socket.io session was not confirmed")

    def _on_message(self, data: Dict[str, Any]) -> None:
        with self._lock:
            self.received.append(data)

    def say(self, text: str, timeout: float = 30.0, quiet: float = 1.5) -> List[Dict[str, Any]]:
        """Send a message; return the bot's messages once they stop arriving for `quiet` seconds."""
        import time

        start = len(self.received)
        self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id,
                                       "customData": self.metadata})
        deadline = time.monotonic() + timeout
        last_count, last_change = start, time.monotonic()
        while time.monotonic() < deadline:
            count = len(self.received)
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif count > start and time.monotonic() - last_change >= quiet:
                break
            time.sleep(0.05)
        return self.received[start:]

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def web_shopper(stack):
    """web_shopper(metadata) -> a WebShopper connected to the running Rasa over socket.io."""
    opened: List[WebShopper] = []

    def connect(metadata: Dict[str, Any]) -> WebShopper:
        shopper = WebShopper(stack.rasa_url, metadata)
        opened.append(shopper)
        return shopper

    yield connect
    for shopper in opened:
        shopper.close()
