"""Fixtures of the console's browser tests: the handoff service alone on a free port (temp
SQLite, the real Redis under a unique prefix, a recording stand-in for Rasa's HTTP API), run
on its own event loop in a thread so Playwright's sync API can drive Chromium meanwhile."""
from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Optional

import pytest
import redis as redis_sync
from aiohttp import web

from common import streams
from common import signing
from common.ticket import Ticket
from handoff.agents import create_agent
from handoff.config import Settings
from handoff.conversations import record as conversation_record
from handoff.db import make_engine, make_sessionmaker, migrate
from tests.integration.handoff_support import RASA_TOKEN, TOKEN, RasaStub, sample_ticket

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "reports" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
LOCKOUT_ATTEMPTS = 3
# Failed logins from one address (any usernames) that block it; each module's server has its
# own Redis prefix, so counts never leak between modules.
ADDRESS_LOCKOUT_ATTEMPTS = 6


class ConsoleServer:
    """The handoff app (with the console) and a Rasa stand-in on one background loop."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.prefix = f"test:console:{uuid.uuid4().hex[:10]}"
        self.db_url = f"sqlite:///{tmp / 'handoff.db'}"
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.runners = []
        self.url = ""
        self.rasa: Optional[RasaStub] = None

    def run(self, coro, timeout: float = 30) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def start(self) -> None:
        self.thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        from handoff.app import create_app

        self.rasa = RasaStub()
        stub_app = web.Application()
        self.rasa.routes(stub_app)
        rasa_url = await self._serve(stub_app)
        settings = Settings(db_url=self.db_url, redis_url=REDIS_URL, redis_prefix=self.prefix,
                            token=TOKEN, port=0, rasa_url=rasa_url, rasa_token=RASA_TOKEN,
                            consumer_name="console-test", sweep_seconds=3600)
        self.settings = settings
        self.app = create_app(settings)
        self.url = await self._serve(self.app)

    async def _serve(self, app: web.Application) -> str:
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.runners.append(runner)
        return f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    def stop(self) -> None:
        async def stop_all():
            for runner in reversed(self.runners):
                await runner.cleanup()
        self.run(stop_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        client = redis_sync.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{self.prefix}:*"):
            client.delete(key)
        client.close()

    # -- helpers the tests use -------------------------------------------------------------
    def agent(self, username: str, queues=("logistics", "after_sales", "tech_support",
                                           "complaints", "general"), role: str = "agent",
              name: Optional[str] = None) -> int:
        engine = make_engine(self.db_url)
        migrate(engine)
        with make_sessionmaker(engine).begin() as db:
            agent_id = create_agent(db, username, PASSWORD, name or username.title(), role,
                                    queues).id
        engine.dispose()
        return agent_id

    def hand_off(self, ticket: Ticket) -> Dict[str, Any]:
        """POST a ticket as the bot does (signed with the bot token)."""
        body = json.dumps(ticket.to_dict(), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(TOKEN, "POST", "/api/bot/handoffs", body)}
        request = urllib.request.Request(f"{self.url}/api/bot/handoffs", body, headers)
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def shopper_says(self, conversation_id: str, text: str) -> None:
        """A shopper's message as the bot's event broker publishes it."""
        event = {"event": "user", "sender_id": conversation_id, "text": text,
                 "timestamp": time.time() + 1, "message_id": uuid.uuid4().hex}
        client = redis_sync.Redis.from_url(REDIS_URL)
        stream = f"{self.prefix}:events"
        client.xadd(stream, streams.seal(TOKEN, stream, event))
        client.close()

    def tracker_event(self, sender: str, intent: Optional[str], text: str,
                      entities: Optional[list] = None, at: Optional[float] = None) -> None:
        """A shopper's message the bot published, recorded into the conversations' read model
        by the function the service's stream consumer calls (no tracker store is read)."""
        event = {"event": "user", "sender_id": sender, "text": text,
                 "timestamp": at or time.time(), "message_id": uuid.uuid4().hex,
                 "input_channel": "socketio",
                 "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                                "entities": entities or []}}
        assert conversation_record.wanted(event)
        self.run(self.service.db(conversation_record.ingest, event))

    @property
    def service(self):
        from handoff.service import SERVICE
        return self.app[SERVICE]

    def relayed(self, conversation_id: str) -> list:
        return self.rasa.bot_texts(conversation_id) if self.rasa else []


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what or predicate}")


@pytest.fixture(scope="module")
def console_server():
    tmp = Path(tempfile.mkdtemp(prefix="console-test-"))
    saved = {k: os.environ.get(k) for k in ("CONSOLE_SECRET", "CONSOLE_LOCKOUT_ATTEMPTS",
                                            "CONSOLE_LOCKOUT_ADDRESS_ATTEMPTS",
                                            "CONSOLE_COOKIE_SECURE")}
    os.environ.update(CONSOLE_SECRET=uuid.uuid4().hex, CONSOLE_LOCKOUT_ATTEMPTS=str(LOCKOUT_ATTEMPTS),
                      CONSOLE_LOCKOUT_ADDRESS_ATTEMPTS=str(ADDRESS_LOCKOUT_ATTEMPTS),
                      CONSOLE_COOKIE_SECURE="auto")
    server = ConsoleServer(tmp)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(browser, width: int = 1280, height: int = 860, locale: str = "zh-CN"):
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def login(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-button")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ticket_for(conversation_id: Optional[str] = None, **overrides: Any) -> Ticket:
    return sample_ticket(conversation_id or f"shop-{uuid.uuid4().hex[:8]}", **overrides)
