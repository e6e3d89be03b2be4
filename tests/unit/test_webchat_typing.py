"""Typing indicators on the web channel: the signed agent-typing route and the widget's
`user_typing` event (bot/channels/webchat_typing.py), in a real Sanic server."""
from __future__ import annotations

import json
import time
from typing import Dict, List

import aiohttp
import pytest
from aiohttp import web

from bot.channels.webchat import WebChatInput
from bot.channels.webchat_session import SessionKeys
from common import signing
from tests.aiohttp_stub import SignedCalls, serve_app
from tests.unit.channel_harness import FakeBot, serve_channel

SECRET = "unit-test-handoff-secret"
PATH = "/webhooks/socketio/typing"
WEB_SECRET = "unit-test-web-session-secret-0123456789"
SESSION = SessionKeys(WEB_SECRET.encode()).issue()  # the widget's key (a secret)
SENDER = f"web:{SessionKeys(WEB_SECRET.encode()).public_id(SESSION)}"  # what agents see


@pytest.fixture(autouse=True)
def shared_secret(monkeypatch):
    monkeypatch.setenv("HANDOFF_TOKEN", SECRET)
    monkeypatch.setenv("WEB_SESSION_SECRET", WEB_SECRET)


def web_channel() -> WebChatInput:
    return WebChatInput.from_credentials({"session_persistence": True,
                                          "metadata_key": "customData"})


def record_emits(channel: WebChatInput) -> List[tuple]:
    emitted: List[tuple] = []

    async def emit(event, data=None, room=None, **kwargs):
        emitted.append((event, data, room))

    channel.sio.emit = emit
    return emitted


async def post(url: str, body: bytes, headers: Dict[str, str]) -> tuple:
    async with aiohttp.ClientSession() as http:
        async with http.post(url + PATH, data=body,
                             headers={"Content-Type": "application/json", **headers}) as resp:
            return resp.status, await resp.json()


def body_for(sender: str, name: str = "小李") -> bytes:
    return json.dumps({"conversation_id": sender, "ticket_id": 3, "agent_name": name},
                      ensure_ascii=False).encode()


async def test_signed_agent_typing_is_emitted_to_the_widgets_room():
    channel = web_channel()
    async with serve_channel(channel, FakeBot()) as url:
        emitted = record_emits(channel)
        body = body_for(SENDER)
        status, data = await post(url, body, signing.sign(SECRET, "POST", PATH, body))
        assert status == 200 and data == {"ok": True, "emitted": True}
        assert emitted == [("agent_typing", {"agent_name": "小李"}, SENDER)]


async def test_forged_missing_or_replayed_signatures_emit_nothing():
    channel = web_channel()
    async with serve_channel(channel, FakeBot()) as url:
        emitted = record_emits(channel)
        body = body_for(SENDER)
        assert (await post(url, body, {}))[0] == 401
        assert (await post(url, body, signing.sign("wrong-secret", "POST", PATH, body)))[0] == 403
        tampered = body_for(SENDER, name="<img src=x onerror=alert(1)>")
        assert (await post(url, tampered, signing.sign(SECRET, "POST", PATH, body)))[0] == 403
        old = signing.sign(SECRET, "POST", PATH, body, now=time.time() - 3600)
        assert (await post(url, body, old))[0] == 403
        other_path = signing.sign(SECRET, "POST", "/api/bot/handoffs", body)
        assert (await post(url, body, other_path))[0] == 403
        assert emitted == []


async def test_non_web_or_malformed_conversations_emit_nothing():
    channel = web_channel()
    async with serve_channel(channel, FakeBot()) as url:
        emitted = record_emits(channel)
        for sender in ("oWeChatOpenId0001", "app:user-1", "web:short", "web:" + SESSION + "/x"):
            body = body_for(sender)
            status, data = await post(url, body, signing.sign(SECRET, "POST", PATH, body))
            assert status == 200 and data["emitted"] is False, sender
        for body in (b"not json", b"[]", json.dumps({"conversation_id": 1}).encode(),
                     body_for(SENDER, name="x" * 2000)):
            status, _ = await post(url, body, signing.sign(SECRET, "POST", PATH, body))
            assert status == 400
        assert emitted == []


@pytest.fixture
async def service(monkeypatch):
    """The handoff service's POST /api/bot/typing, recording verified calls."""
    stub = SignedCalls(SECRET)
    app = web.Application()
    app.router.add_post("/api/bot/typing", stub.handle)
    async with serve_app(app) as url:
        monkeypatch.setenv("HANDOFF_URL", url)
        yield stub


async def test_shopper_typing_from_the_sessions_own_socket_is_forwarded_signed(service):
    channel = web_channel()
    channel.blueprint(FakeBot())
    sio, typing = channel.sio, channel.shopper_typing
    rooms = {"sid-1": ["sid-1", SENDER], "sid-2": ["sid-2", "web:someoneElse0123456789"]}
    sio.rooms = lambda sid, namespace=None: rooms.get(sid, [])
    now = [100.0]
    typing.throttle.clock = lambda: now[0]
    handler = sio.handlers["/"]["user_typing"]

    await handler("sid-2", {"session_id": SESSION})  # a socket of another session
    await handler("sid-1", {"session_id": "app:user-1"})  # not a session id
    await handler("sid-1", {"session_id": SENDER[len("web:"):]})  # the public id is no key
    await handler("sid-1", "junk")
    assert not typing.tasks and not typing.throttle.last  # none of them got through
    await handler("sid-1", {"session_id": SESSION})
    await handler("sid-1", {"session_id": SESSION})  # within 2 s: throttled
    pending = list(typing.tasks)
    assert len(pending) == 1
    for task in pending:
        assert await task is True
    assert service.calls == [{"body": {"conversation_id": SENDER}, "signed": True}]

    now[0] += 2.5
    await handler("sid-1", {"session_id": SESSION})
    for task in list(typing.tasks):
        await task
    assert len(service.calls) == 2
    await typing.close()


async def test_shopper_typing_survives_an_unreachable_service(monkeypatch):
    monkeypatch.setenv("HANDOFF_URL", "http://127.0.0.1:9")  # nothing listens there
    channel = web_channel()
    channel.blueprint(FakeBot())
    channel.sio.rooms = lambda sid, namespace=None: [SENDER]
    await channel.sio.handlers["/"]["user_typing"]("sid-1", {"session_id": SESSION})
    for task in list(channel.shopper_typing.tasks):
        assert await task is False
    await channel.shopper_typing.close()
