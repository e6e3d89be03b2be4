"""Pictures from the web widget: upload checks, serving, and how a picture's name becomes the
image_url the bot and agents see (a page can never set image_url itself; the link's host is the
configured WEB_PUBLIC_URL, never a request header). The rate limits on real Redis are in
tests/integration/test_webchat_limits_redis.py."""
from __future__ import annotations

from typing import List

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage

from bot.channels.webchat import WebChatInput
from bot.channels.webchat_session import SessionKeys
from tests.unit.channel_harness import FakeBot, serve_channel

SECRET = "unit-test-web-session-secret-0123456789"
SESSION = SessionKeys(SECRET.encode()).issue()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


@pytest.fixture(autouse=True)
def uploads(tmp_path, monkeypatch):
    monkeypatch.setenv("WEB_UPLOAD_DIR", str(tmp_path))
    monkeypatch.setenv("WEB_UPLOAD_MAX_BYTES", "1000")
    monkeypatch.setenv("WEB_SESSION_SECRET", SECRET)
    monkeypatch.setenv("WEB_PUBLIC_URL", "https://chat.shop.example/")
    monkeypatch.delenv("REDIS_URL", raising=False)
    return tmp_path


def channel() -> WebChatInput:
    return WebChatInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})


async def upload(url: str, data: bytes, session: str = SESSION, filename: str = "p.png") -> tuple:
    form = aiohttp.FormData()
    form.add_field("session_id", session)
    form.add_field("photo", data, filename=filename, content_type="image/png")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/webhooks/socketio/upload", data=form) as resp:
            return resp.status, await resp.json()


async def test_a_picture_is_stored_under_a_random_name_and_served_safely(uploads):
    async with serve_channel(channel(), FakeBot()) as url:
        status, data = await upload(url, PNG)
        assert status == 201 and data["name"].endswith(".png") and len(data["name"]) == 26
        assert (uploads / data["name"]).read_bytes() == PNG
        async with aiohttp.ClientSession() as http:
            async with http.get(url + data["path"]) as resp:
                assert resp.status == 200 and await resp.read() == PNG
                assert resp.headers["Content-Type"] == "image/png"
                assert resp.headers["X-Content-Type-Options"] == "nosniff"
            for guess in ("../secret.png", "AAAAAAAAAAAAAAAAAAAAAA.png", "x.html"):
                async with http.get(f"{url}/webhooks/socketio/uploads/{guess}") as resp:
                    assert resp.status == 404
        jpeg_status, jpeg = await upload(url, JPEG, filename="p.exe")
        assert jpeg_status == 201 and jpeg["name"].endswith(".jpg")  # by its bytes, not its name


async def test_bad_uploads_are_refused_and_nothing_is_kept(uploads):
    async with serve_channel(channel(), FakeBot()) as url:
        assert (await upload(url, b"<script>alert(1)</script>"))[0] == 415
        assert (await upload(url, PNG + b"\x00" * 2000))[0] == 413
        assert (await upload(url, PNG, session="web:../../x"))[0] == 400
        assert (await upload(url, PNG, session="abcdefABCDEF0123456789"))[0] == 400  # not issued
    assert list(uploads.iterdir()) == []


async def test_an_uploaded_name_becomes_image_url_and_a_typed_url_is_dropped(uploads):
    received: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    web = channel()
    async with serve_channel(web, FakeBot()) as url:
        status, data = await upload(url, PNG)
    assert status == 201
    web.blueprint(on_new_message)
    # whatever Host / X-Forwarded-Host a client sends, the link is the configured one
    web.sio.get_environ = lambda sid, namespace=None: {"HTTP_HOST": "evil.example",
                                                       "HTTP_X_FORWARDED_HOST": "evil.example",
                                                       "wsgi.url_scheme": "http"}
    handle = web.sio.handlers["/"]["user_uttered"]
    await handle("sid-1", {"message": "/send_image", "session_id": SESSION,
                           "customData": {"image": data["name"]}})
    await handle("sid-1", {"message": "/send_image", "session_id": SESSION,
                           "customData": {"image": "AAAAAAAAAAAAAAAAAAAAAA.png",
                                          "image_url": "https://evil.example/phish"}})
    assert received[0].metadata["image_url"] == \
        f"https://chat.shop.example/webhooks/socketio/uploads/{data['name']}"
    assert "image_url" not in received[1].metadata and "image" not in received[1].metadata


def test_old_pictures_are_deleted_when_the_channel_starts(uploads):
    import os
    import time

    old, new, other = (uploads / ("A" * 22 + ".png"), uploads / ("B" * 22 + ".jpg"),
                       uploads / "notes.txt")
    for path in (old, new, other):
        path.write_bytes(PNG)
    long_ago = time.time() - 181 * 86400
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    channel().blueprint(FakeBot())
    assert not old.exists() and new.exists() and other.exists()  # only our own pictures go


async def test_oversized_uploads_are_refused_before_the_body_is_read(uploads):
    """A Content-Length over the cap gets 413 with nothing read; a body that lies about its
    length is cut off at the cap."""
    import asyncio

    async with serve_channel(channel(), FakeBot()) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write((f"POST /webhooks/socketio/upload HTTP/1.1\r\nHost: {host}\r\n"
                      "Content-Type: multipart/form-data; boundary=x\r\n"
                      "Content-Length: 50000000\r\n\r\n").encode() + b"x" * 1024)
        await writer.drain()
        head = await asyncio.wait_for(reader.read(200), 5)  # answered without the 50 MB
        writer.close()
        assert head.startswith(b"HTTP/1.1 413")
        async with aiohttp.ClientSession() as http:
            async def endless():
                for _ in range(1000):
                    yield PNG * 100
            async with http.post(f"{url}/webhooks/socketio/upload", data=endless(),
                                 headers={"Content-Type": "multipart/form-data; boundary=x"}) as resp:
                assert resp.status in (411, 413)
    assert list(uploads.iterdir()) == []


async def test_uploads_from_other_origins_are_refused(uploads, monkeypatch):
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "https://shop.example")
    async with serve_channel(channel(), FakeBot()) as url:
        form = aiohttp.FormData()
        form.add_field("session_id", SESSION)
        form.add_field("photo", PNG, filename="p.png", content_type="image/png")
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/webhooks/socketio/upload", data=form,
                                 headers={"Origin": "https://evil.example"}) as resp:
                assert resp.status == 403
    assert list(uploads.iterdir()) == []
