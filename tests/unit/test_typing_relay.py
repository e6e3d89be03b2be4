"""common.typing_relay: the service's signed agent-typing call to the web channel."""
from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from common.typing_relay import AGENT_TYPING_PATH, Throttle, TypingRelay
from tests.aiohttp_stub import SignedCalls, serve_app

SECRET = "unit-test-handoff-secret"


@pytest.fixture
async def channel():
    stub = SignedCalls(SECRET)
    app = web.Application()
    app.router.add_post(AGENT_TYPING_PATH, stub.handle)
    async with serve_app(app) as url:
        stub.url = url
        yield stub


def test_throttle_allows_one_per_interval_per_key():
    now = [0.0]
    throttle = Throttle(2.0, clock=lambda: now[0], max_keys=2)
    assert throttle.allow(1) and not throttle.allow(1) and throttle.allow(2)
    now[0] = 1.9
    assert not throttle.allow(1)
    now[0] = 2.1
    assert throttle.allow(1)
    now[0] = 10.0
    assert throttle.allow(3) and len(throttle.last) <= 2  # stale keys are forgotten


async def test_web_conversations_get_one_signed_call_per_interval(channel):
    now = [0.0]
    async with aiohttp.ClientSession() as http:
        relay = TypingRelay(http, channel.url + "/", SECRET, Throttle(2.0, clock=lambda: now[0]))
        assert await relay.agent_typing("web:abcdefABCDEF0123456789", 7, "小李") is True
        assert await relay.agent_typing("web:abcdefABCDEF0123456789", 7, "小李") is False
        assert await relay.agent_typing("oWeChatOpenId0001", 8, "小李") is False
        assert await relay.agent_typing("app:user-1", 9, "小李") is False
        assert channel.calls == [{"signed": True, "body": {
            "conversation_id": "web:abcdefABCDEF0123456789", "ticket_id": 7,
            "agent_name": "小李"}}]
        now[0] = 2.5
        channel.status = 500
        assert await relay.agent_typing("web:abcdefABCDEF0123456789", 7, "小李") is False
        assert len(channel.calls) == 2


async def test_an_unreachable_channel_is_logged_not_raised(caplog):
    async with aiohttp.ClientSession() as http:
        relay = TypingRelay(http, "http://127.0.0.1:9", SECRET, timeout=2)
        assert await relay.agent_typing("web:abcdefABCDEF0123456789", 7, "Amy") is False
    assert "typing relay for ticket 7 failed" in caplog.text
