"""Fixtures for the handoff service's integration tests: real PostgreSQL and Redis, each test
in its own PostgreSQL schema and Redis key prefix, the service on a free port, and a
recording stand-in for Rasa's HTTP API (the relay's counterpart; e2e tests use real Rasa)."""
from __future__ import annotations

import asyncio
import json
import os
import uuid
from typing import Any, Dict, List, Optional

import aiohttp
import pytest
import redis as redis_sync
from aiohttp import web

from bot.broker import RedisStreamEventBroker
from common import streams
from common import signing
from common.ticket import Ticket
from handoff.agents import create_agent
from handoff.app import create_app
from handoff.config import Settings
from handoff.db import make_engine, make_sessionmaker, migrate
from tests.aiohttp_stub import serve_app
from tests.integration.pg_store import private_schema

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "test-handoff-secret"
RASA_TOKEN = "test-rasa-token"
WECHAT_RELAY_SECRET = "test-wechat-relay-secret"
PASSWORD = "correct horse battery"


def make_broker(prefix: str, secret: str = TOKEN) -> RedisStreamEventBroker:
    """The bot's event broker on the test's key prefix, with its own local outbox."""
    import tempfile
    from pathlib import Path
    return RedisStreamEventBroker(url=REDIS_URL, key_prefix=prefix, secret=secret,
                                  outbox_dir=Path(tempfile.mkdtemp(prefix="broker-outbox-")))


def signed(stream: str, payload: Dict[str, Any], secret: str = TOKEN) -> Dict[str, str]:
    """The fields of a stream entry as the bot side or the service writes it."""
    return streams.seal(secret, stream, payload)


@pytest.fixture
def pg_url():
    with private_schema("handoff_test") as url:
        yield url


@pytest.fixture
def prefix():
    name = f"test:handoff:{uuid.uuid4().hex[:10]}"
    yield name
    client = redis_sync.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{name}:*"):
        client.delete(key)
    client.close()


class RasaStub:
    """Records what the relay sends to Rasa's HTTP API; can be told to fail."""

    def __init__(self) -> None:
        self.calls: List[Dict[str, Any]] = []
        self.trackers: Dict[str, List[Dict[str, Any]]] = {}
        self.fail = False
        self.fail_for: set = set()  # conversations whose appends fail
        self.typing: List[Dict[str, Any]] = []  # the web channel's typing route, as called
        self.arrived = asyncio.Event()
        self.waiters: List[Any] = []
        self.wechat_sent: List[Dict[str, Any]] = []  # calls to the WeChat channel's send route
        self.wechat_answer: tuple = (200, {"ok": True, "sent": 1})

    def bot_texts(self, conversation_id: str) -> List[str]:
        return [e["text"] for e in self.trackers.get(conversation_id, []) if e.get("event") == "bot"]

    async def append(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"error": "auth"}, status=401)
        cid = request.match_info["cid"]
        if self.fail or cid in self.fail_for:
            return web.json_response({"error": "down"}, status=500)
        events = await request.json()
        self.calls.append({"conversation_id": cid, "query": dict(request.query), "events": events})
        self.trackers.setdefault(cid, []).extend(events)
        for fn in list(self.waiters):
            fn()
        return web.json_response({"sender_id": cid})

    async def tracker(self, request: web.Request) -> web.Response:
        if request.query.get("token") != RASA_TOKEN:
            return web.json_response({"error": "auth"}, status=401)
        cid = request.match_info["cid"]
        return web.json_response({"sender_id": cid, "events": self.trackers.get(cid, [])})

    async def agent_typing(self, request: web.Request) -> web.Response:
        """Stands in for bot.channels.webchat's signed POST /webhooks/socketio/typing."""
        body = await request.read()
        if self.fail:
            return web.json_response({"error": "down"}, status=500)
        self.typing.append({"path": request.path, "body": json.loads(body),
                            "signed": signing.verify(TOKEN, request.method, request.path,
                                                      body, dict(request.headers))})
        return web.json_response({"ok": True, "emitted": True})

    async def wechat_send(self, request: web.Request) -> web.Response:
        """Stands in for bot.channels.wechat.channel's POST /webhooks/wechat/send (bearer secret)."""
        if request.headers.get("Authorization") != f"Bearer {WECHAT_RELAY_SECRET}":
            return web.json_response({"error": "unauthorized"}, status=401)
        status, answer = self.wechat_answer
        if status == 200:
            self.wechat_sent.append(await request.json())
        return web.json_response(answer, status=status)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/webhooks/wechat/send", self.wechat_send)
        app.router.add_post("/conversations/{cid}/tracker/events", self.append)
        app.router.add_get("/conversations/{cid}/tracker", self.tracker)
        app.router.add_post("/webhooks/socketio/typing", self.agent_typing)

    async def wait_for(self, predicate, timeout: float = 10.0) -> None:
        deadline = asyncio.get_event_loop().time() + timeout
        while not predicate():
            if asyncio.get_event_loop().time() > deadline:
                raise AssertionError("timed out waiting for the relay")
            await asyncio.sleep(0.02)


@pytest.fixture
async def rasa_stub():
    stub = RasaStub()
    app = web.Application()
    stub.routes(app)
    async with serve_app(app) as url:
        stub.url = url
        yield stub


class Stack:
    """The handoff service on a free port, restartable with the same database and streams."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.runner: Optional[web.AppRunner] = None
        self.url = ""
        self.http = aiohttp.ClientSession()

    @property
    def service(self):
        from handoff.service import SERVICE
        return self.runner.app[SERVICE]

    async def start(self) -> None:
        self.runner = web.AppRunner(create_app(self.settings))
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", self.settings.port or 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self.settings = Settings(**{**self.settings.__dict__, "port": port})
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    def agent(self, username: str, queues=("logistics", "after_sales", "tech_support",
                                           "complaints", "general"), role: str = "agent") -> int:
        engine = make_engine(self.settings.resolved_db_url)
        migrate(engine)
        with make_sessionmaker(engine).begin() as db:
            agent_id = create_agent(db, username, PASSWORD, username.title(), role, queues).id
        engine.dispose()
        return agent_id

    async def login(self, username: str) -> Dict[str, str]:
        async with self.http.post(f"{self.url}/api/agents/login",
                                  json={"username": username, "password": PASSWORD}) as resp:
            assert resp.status == 200, await resp.text()
            token = (await resp.json())["token"]
        return {"Authorization": f"Bearer {token}"}

    async def hand_off(self, ticket: Ticket, secret: str = TOKEN):
        body = json.dumps(ticket.to_dict(), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(secret, "POST", "/api/bot/handoffs", body)}
        async with self.http.post(f"{self.url}/api/bot/handoffs", data=body,
                                  headers=headers) as resp:
            return resp.status, await resp.json()

    async def call(self, method: str, path: str, headers=None, **kwargs):
        async with self.http.request(method, f"{self.url}{path}", headers=headers,
                                     **kwargs) as resp:
            try:
                data = await resp.json()
            except aiohttp.ContentTypeError:
                data = await resp.text()
            return resp.status, data

    async def close(self) -> None:
        await self.stop()
        await self.http.close()


@pytest.fixture
async def stack(pg_url, prefix, rasa_stub):
    settings = Settings(db_url=pg_url, redis_url=REDIS_URL, redis_prefix=prefix, token=TOKEN,
                        port=0, rasa_url=rasa_stub.url, rasa_token=RASA_TOKEN,
                        consumer_name="handoff-test", sweep_seconds=3600, silence_seconds=300,
                        wechat_relay_secret=WECHAT_RELAY_SECRET)
    s = Stack(settings)
    await s.start()
    yield s
    await s.close()


async def next_event(ws, kind: str, timeout: float = 10.0) -> Dict[str, Any]:
    """The next live event of `kind` on an agent socket (others are skipped)."""
    async def read():
        while True:
            msg = await ws.receive_json()
            if msg.get("type") == kind:
                return msg
    return await asyncio.wait_for(read(), timeout)


def sample_ticket(conversation_id: Optional[str] = None, **overrides: Any) -> Ticket:
    data: Dict[str, Any] = dict(
        conversation_id=conversation_id or f"conv-{uuid.uuid4().hex[:8]}",
        trigger="request_human", language="zh", channel="socketio",
        top_intent={"name": "logistics_problem", "confidence": 0.91},
        intent_history=[{"name": "order_status", "confidence": 0.97, "text": "我的快递到哪了"},
                        {"name": "logistics_problem", "confidence": 0.91, "text": "三天没更新了"},
                        {"name": "request_human", "confidence": 0.99, "text": "转人工"}],
        entities={"order_id": "E202611180042"},
        customer={"customer_id": "C1", "name": "王先生", "masked_phone": "138****5678",
                  "tier": "gold"},
        order={"order_id": "E202611180042", "status": "shipped", "amount": 1299.0,
               "carrier": "SF", "tracking_no": "SF1234567890123",
               "last_event": "上海转运中心", "hours_stale": 73.0,
               "items": [{"name": "咖啡机", "qty": 1}]},
        emotion={"current": "angry", "peak": "angry", "negative_share": 0.5,
                 "cues": ["三天没更新"], "risk_flags": ["bad_review"],
                 "trajectory": ["neutral", "angry"]},
        flow_steps=[], transcript=[{"role": "shopper", "text": "我的快递到哪了"}],
        summary={"zh": "摘要", "en": "summary"}, first_sentence={"zh": "您好", "en": "Hello"})
    data.update(overrides)
    return Ticket.from_dict(data)
