"""The web widget's limits on the real Redis (the shared limiter): session joins per address,
uploads per session (count and daily bytes), each answered 429 with Retry-After."""
from __future__ import annotations

import os
import uuid

import aiohttp
import pytest
import redis as redis_sync

from bot.channels.webchat import WebChatInput
from bot.channels.webchat_limits import JOIN, UPLOAD_SESSION
from bot.channels.webchat_session import SessionKeys
from tests.unit.channel_harness import FakeBot, serve_channel

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SECRET = "integration-web-session-secret-0123456789"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def env(tmp_path, monkeypatch):
    prefix = f"test:web:{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("WEB_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setenv("WEB_SESSION_SECRET", SECRET)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    yield tmp_path
    client = redis_sync.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def channel() -> WebChatInput:
    return WebChatInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})


async def upload(url: str, session: str, data: bytes = PNG) -> tuple:
    form = aiohttp.FormData()
    form.add_field("session_id", session)
    form.add_field("photo", data, filename="p.png", content_type="image/png")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/webhooks/socketio/upload", data=form) as resp:
            return resp.status, resp.headers.get("Retry-After")


async def test_session_joins_over_the_limit_are_refused():
    web = channel()
    web.blueprint(FakeBot())
    joined, emitted = [], []

    async def enter_room(sid, room, namespace=None):
        joined.append(room)

    async def emit(event, data=None, room=None, **kwargs):
        emitted.append(event)

    web.sio.enter_room, web.sio.emit = enter_room, emit
    request = web.sio.handlers["/"]["session_request"]
    for _ in range(JOIN.attempts + 5):
        await request("sid-x", {})
    assert len(joined) == JOIN.attempts
    assert emitted.count("session_refused") == 5


async def test_upload_flood_from_one_session_gets_429(env, monkeypatch):
    keys = SessionKeys(SECRET.encode())
    flooder, quiet, big = keys.issue(), keys.issue(), keys.issue()
    async with serve_channel(channel(), FakeBot()) as url:
        results = [await upload(url, flooder) for _ in range(UPLOAD_SESSION.attempts + 2)]
        other = await upload(url, quiet)
        monkeypatch.setenv("WEB_UPLOAD_DAILY_BYTES", str(len(PNG) * 3))  # a tiny daily quota
        quota = [await upload(url, big) for _ in range(4)]
    statuses = [status for status, _ in results]
    assert statuses == [201] * UPLOAD_SESSION.attempts + [429, 429]
    assert all(int(after) > 0 for status, after in results if status == 429)
    assert other[0] == 201  # another chat is not affected
    assert [s for s, _ in quota] == [201, 201, 201, 429]
    assert len(list(env.iterdir())) == UPLOAD_SESSION.attempts + 1 + 3  # refused ones not kept
