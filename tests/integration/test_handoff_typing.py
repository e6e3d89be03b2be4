"""Typing indicators through the handoff service (real PostgreSQL and Redis, Rasa stand-in).

Shopper -> agent: the web channel's signed POST /api/bot/typing becomes a live `typing` event
for the conversation's open ticket. Agent -> shopper: the console's typing POST on a claimed
web ticket makes one signed call to the web channel's /webhooks/socketio/typing.
"""
from __future__ import annotations

import json
import re
import uuid

import aiohttp
import pytest

from common import signing
from tests.integration.handoff_support import (PASSWORD, TOKEN, next_event, pg_url,  # noqa: F401
                                               prefix, rasa_stub, sample_ticket, stack)

pytestmark = pytest.mark.integration
PATH = "/api/bot/typing"


def web_conversation() -> str:
    return f"web:{uuid.uuid4().hex}"


async def shopper_typing(stack, body: bytes, secret: str = TOKEN):
    headers = {"Content-Type": "application/json",
               **signing.sign(secret, "POST", PATH, body)}
    return await stack.call("POST", PATH, headers=headers, data=body)


async def no_typing_event(ws) -> None:
    """Nothing but the pong of a ping sent now: no typing event was queued before it."""
    await ws.send_json({"type": "ping", "ts": 1})
    while True:
        msg = await ws.receive_json(timeout=10)
        assert msg["type"] != "typing", msg
        if msg["type"] == "pong":
            return


async def test_shopper_typing_reaches_the_tickets_agents(stack):
    stack.agent("ann", queues=["logistics"])
    headers = await stack.login("ann")
    conversation = web_conversation()
    status, place = await stack.hand_off(sample_ticket(conversation))
    assert status == 201
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=headers) as ws:
        assert (await ws.receive_json())["type"] == "hello"

        # A conversation without an open ticket: 404 and nothing published.
        status, data = await shopper_typing(stack, json.dumps(
            {"conversation_id": web_conversation()}).encode())
        assert status == 404 and data["error"] == "not_found"
        await no_typing_event(ws)

        # Malformed, oversized, unsigned or forged: refused, nothing published.
        for body in (b"not json", b"[]", b"{}", json.dumps({"conversation_id": 7}).encode(),
                     json.dumps({"conversation_id": conversation, "pad": "x" * 2000}).encode()):
            status, _ = await shopper_typing(stack, body)
            assert status == 400, body[:40]
        good = json.dumps({"conversation_id": conversation}).encode()
        status, _ = await stack.call("POST", PATH, data=good)
        assert status == 401
        status, _ = await shopper_typing(stack, good, secret="not-the-secret")
        assert status == 403
        await no_typing_event(ws)

        status, data = await shopper_typing(stack, good)
        assert status == 200 and data == {"ok": True}
        event = await next_event(ws, "typing")
        assert event.pop("origin")  # the instance where it happened (handoff.fanout)
        assert event == {"type": "typing", "ticket_id": place["ticket_id"], "role": "shopper"}


@pytest.fixture
def plain_http_cookie(monkeypatch):
    """The console marks its cookie Secure on loopback (browsers allow that over http);
    aiohttp's client does not send Secure cookies over http, so this test's service doesn't."""
    monkeypatch.setenv("CONSOLE_COOKIE_SECURE", "0")


async def console_session(stack, username: str) -> aiohttp.ClientSession:
    """A logged-in console browser: session cookie plus the CSRF token as a default header."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True),
                                 headers={"Origin": stack.url})
    async with http.get(f"{stack.url}/console/login") as resp:
        csrf = re.search(r'name="_csrf" value="([^"]+)"', await resp.text()).group(1)
    async with http.post(f"{stack.url}/console/login", allow_redirects=False,
                         data={"username": username, "password": PASSWORD, "_csrf": csrf,
                               "next": "/console/queue"}) as resp:
        assert resp.status == 302, await resp.text()
    async with http.get(f"{stack.url}/console/queue") as resp:
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', await resp.text()).group(1)
    http.headers["X-CSRF-Token"] = csrf
    return http


async def test_agent_typing_is_relayed_to_the_web_channel_signed(plain_http_cookie, stack,
                                                                 rasa_stub):
    stack.agent("ann")
    api = await stack.login("ann")
    web_id, wechat_id, waiting_id = web_conversation(), "oWeChatOpenId0001", web_conversation()
    tickets = {}
    for conversation in (web_id, wechat_id, waiting_id):
        _, place = await stack.hand_off(sample_ticket(conversation))
        tickets[conversation] = place["ticket_id"]
        if conversation != waiting_id:
            status, _ = await stack.call("POST", f"/api/tickets/{place['ticket_id']}/claim",
                                         headers=api)
            assert status == 200
    console = await console_session(stack, "ann")
    try:
        async def type_in(conversation: str, expected: int = 200) -> None:
            async with console.post(f"{stack.url}/console/api/tickets/"
                                    f"{tickets[conversation]}/typing") as resp:
                assert resp.status == expected, await resp.text()

        # Not a web conversation, or not claimed yet (so not held by ann: refused): nothing
        # goes to the widget. These run first, so by the time the web ticket's relay arrives
        # they would have arrived too.
        await type_in(wechat_id)
        await type_in(waiting_id, expected=403)
        await type_in(web_id)
        await rasa_stub.wait_for(lambda: rasa_stub.typing)
        assert rasa_stub.typing == [{
            "path": "/webhooks/socketio/typing", "signed": True,
            "body": {"conversation_id": web_id, "ticket_id": tickets[web_id],
                     "agent_name": "Ann"}}]

        # Rasa failing never breaks the agent's typing POST.
        rasa_stub.fail = True
        stack.service.typing.throttle.last.clear()
        await type_in(web_id)
    finally:
        await console.close()
