"""Attacks on the web widget's channel against the running stack (real Rasa, Redis).

A conversation id seen by an agent (``web:<public id>``) joins nothing and speaks for no one;
pages from other origins cannot open a socket; an oversized upload is refused before its body is
sent; a picture's link is built from WEB_PUBLIC_URL whatever Host / X-Forwarded-Host say.
"""
from __future__ import annotations

import socket
import time
import urllib.request
import uuid

import pytest
import socketio

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 256


def _connect(stack, headers=None) -> socketio.Client:
    client = socketio.Client()
    client.connect(stack.rasa_url, socketio_path="/socket.io", transports=["polling"],
                   headers=headers or {})
    return client


def _request_session(client: socketio.Client, key=None) -> dict:
    answer: dict = {}
    client.on("session_confirm", lambda data: answer.update(data))
    client.emit("session_request", {"session_id": key} if key else {})
    deadline = time.monotonic() + 10
    while not answer and time.monotonic() < deadline:
        time.sleep(0.05)
    assert answer, "no session_confirm"
    return answer


def test_a_seen_conversation_id_joins_nothing(stack, web_shopper, tracker):
    victim = web_shopper({"channel": "web"})
    assert victim.say("包邮吗")  # the victim's chat exists
    seen = victim.sender_id  # what agents, the queue and the customer card show
    assert seen.startswith("web:") and victim.session_id not in seen
    attacker = _connect(stack)
    heard: list = []
    attacker.on("bot_uttered", heard.append)
    try:
        for stolen in (seen, seen[len("web:"):]):
            confirmed = _request_session(attacker, stolen)
            assert confirmed["conversation_id"] != seen  # a fresh session, not the victim's
            attacker.emit("user_uttered", {"message": "取消我的订单", "session_id": stolen,
                                           "customData": {"channel": "web"}})
        assert victim.say("退货政策")  # the victim's answers go to the victim only
        time.sleep(1.0)
        assert heard == []
        said = [e.get("text") for e in tracker(seen)["events"] if e.get("event") == "user"]
        assert "取消我的订单" not in said and "退货政策" in said
    finally:
        attacker.disconnect()


def test_sockets_from_other_origins_are_refused(stack):
    with pytest.raises(socketio.exceptions.ConnectionError):
        _connect(stack, {"Origin": "https://evil.example"})
    allowed = stack.env["WEB_ALLOWED_ORIGINS"].split(",")[0]
    client = _connect(stack, {"Origin": allowed})
    try:
        assert _request_session(client)["session_id"]
    finally:
        client.disconnect()


def test_oversized_upload_refused_before_the_body_is_sent(stack):
    port = int(stack.rasa_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /webhooks/socketio/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Type: multipart/form-data; boundary=x\r\n"
                     b"Content-Length: 80000000\r\n\r\n")
        head = conn.recv(200)  # answered although not one byte of the 80 MB was sent
    assert head.startswith(b"HTTP/1.1 413"), head


def _upload(stack, key: str, headers=None) -> dict:
    import json

    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"session_id\"\r\n\r\n{key}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + PNG + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{stack.rasa_url}/webhooks/socketio/upload", body, {
        "Content-Type": f"multipart/form-data; boundary={boundary}", **(headers or {})})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def test_picture_link_host_comes_from_configuration_not_headers(stack, tracker):
    forged = {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
    client = _connect(stack, forged)
    try:
        session = _request_session(client)
        name = _upload(stack, session["session_id"], forged)["name"]
        client.emit("user_uttered", {"message": "/send_image", "session_id": session["session_id"],
                                     "customData": {"channel": "web", "image": name}})
        deadline, url = time.monotonic() + 20, None
        while url is None and time.monotonic() < deadline:
            users = [e for e in tracker(session["conversation_id"])["events"] if e.get("event") == "user"]
            url = users[-1]["metadata"].get("image_url") if users else None
            time.sleep(0.2)
    finally:
        client.disconnect()
    assert url == f"{stack.env['WEB_PUBLIC_URL']}/webhooks/socketio/uploads/{name}"
    assert "evil.example" not in url
