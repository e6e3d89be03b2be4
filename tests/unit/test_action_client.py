"""Action-server calls over kept-alive connections: one connection for many calls, and the same
requests, answers and errors as Rasa's one-session-per-call client, against a real HTTP server."""
from __future__ import annotations

import asyncio
import json
import os

import aiohttp
import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.speedups import action_client
from tests.aiohttp_stub import serve_app

RASA_REQUEST = action_client._RASA_REQUEST


class ActionServer:
    """Counts TCP connections and records what each call carried."""

    def __init__(self) -> None:
        self.peers: set = set()
        self.calls: list = []
        app = web.Application()
        app.router.add_post("/webhook", self.webhook)
        app.router.add_get("/plain", self.plain)
        self.app = app

    async def webhook(self, request: web.Request) -> web.Response:
        self.peers.add(request.transport.get_extra_info("peername"))
        body = await request.json()
        self.calls.append({"headers": {k: request.headers.get(k) for k in
                                       ("Authorization", "Content-Type", "Cookie", "X-Extra")},
                           "query": dict(request.query), "body": body})
        mode = body.get("mode")
        if mode == "reject":
            return web.json_response({"action_name": "order_form", "error": "no order"}, status=400)
        if mode == "fail":
            return web.Response(status=500, text="boom")
        if mode == "slow":
            await asyncio.sleep(1.0)
        response = web.json_response({"events": [], "responses": [], "echo": body})
        response.set_cookie("session", "abc")
        return response

    async def plain(self, request: web.Request) -> web.Response:
        self.peers.add(request.transport.get_extra_info("peername"))
        return web.Response(text="not json")


@pytest.fixture
async def server():
    action_client.install()
    stub = ActionServer()
    async with serve_app(stub.app) as url:
        stub.url = url
        yield stub
        await action_client.close()
    action_client.uninstall()


def endpoint(url: str, pooled: bool = True) -> EndpointConfig:
    config = EndpointConfig(url=f"{url}/webhook", headers={"Authorization": "Bearer s3cret"},
                            token="t0ken", params={"v": "1"})
    if pooled:
        RemoteAction("action_order_status", config)  # as Rasa does for every custom action
    return config


async def test_many_calls_share_one_connection_where_rasa_opens_one_each(server):
    pooled, stock = endpoint(server.url), endpoint(server.url, pooled=False)
    for n in range(5):
        assert (await pooled.request(json={"n": n}, method="post", timeout=10))["echo"] == {"n": n}
    assert len(server.peers) == 1
    server.peers.clear()
    for n in range(3):
        await stock.request(json={"n": n}, method="post", timeout=10)
    assert len(server.peers) == 3  # unmarked endpoints keep Rasa's one-off sessions


async def test_requests_carry_what_rasas_carry_and_no_cookies_between_calls(server):
    pooled, stock = endpoint(server.url), endpoint(server.url, pooled=False)
    for config in (stock, pooled, pooled):
        await config.request(json={"x": [1, "é"]}, headers={"X-Extra": "1"}, params={"p": "2"})
    rasas, ours, again = server.calls
    assert ours == rasas == again
    assert ours["headers"]["Authorization"] == "Bearer s3cret" and ours["headers"]["Cookie"] is None
    assert ours["query"] == {"v": "1", "token": "t0ken", "p": "2"}


@pytest.mark.parametrize("mode,status", [("reject", 400), ("fail", 500)])
async def test_error_statuses_raise_rasas_error(server, mode, status):
    errors = []
    for config in (endpoint(server.url, pooled=False), endpoint(server.url)):
        with pytest.raises(ClientResponseError) as raised:
            await config.request(json={"mode": mode})
        errors.append((raised.value.status, raised.value.message, raised.value.text))
    assert errors[0] == errors[1] and errors[0][0] == status
    assert (await endpoint(server.url).request(json={}))["events"] == []  # still usable


async def test_timeouts_and_refused_connections_fail_as_with_rasa(server, unused_tcp_port):
    for config in (endpoint(server.url, pooled=False), endpoint(server.url)):
        with pytest.raises(asyncio.TimeoutError):
            await config.request(json={"mode": "slow"}, timeout=0.2)
    assert (await endpoint(server.url).request(json={}))["events"] == []
    for config in (endpoint(f"http://127.0.0.1:{unused_tcp_port}", pooled=False),
                   endpoint(f"http://127.0.0.1:{unused_tcp_port}")):
        with pytest.raises(aiohttp.ClientConnectorError):
            await config.request(json={})


async def test_a_body_that_is_not_json_gives_none(server):
    config = EndpointConfig(url=f"{server.url}/plain")
    RemoteAction("x", config)
    assert await config.request(method="get") is None
    assert await RASA_REQUEST(config, method="get") is None


async def test_remote_action_maps_rejections_and_failures_as_before(server, monkeypatch):
    domain = Domain.from_yaml('version: "3.1"\nactions: [action_order_status]')
    tracker = DialogueStateTracker.from_events("shopper", [
        ActionExecuted("action_listen"),
        UserUttered("where is my order", {"name": "order_status"})])
    for mode, expected in (("reject", ActionExecutionRejection), ("fail", RasaException)):
        monkeypatch.setattr(RemoteAction, "_action_call_format",
                            lambda self, tracker, domain, mode=mode: {"mode": mode})
        action = RemoteAction("action_order_status", endpoint(server.url))
        with pytest.raises(expected):
            await action.run(None, None, tracker, domain)
    assert len(server.peers) == 1


async def test_a_connection_the_server_closed_while_idle_is_not_reused(unused_tcp_port):
    action_client.install()
    stub = ActionServer()
    runner = web.AppRunner(stub.app, keepalive_timeout=0.2)  # the server drops idle connections
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    try:
        config = endpoint(f"http://127.0.0.1:{unused_tcp_port}")
        for _ in range(3):
            assert (await config.request(json={}))["events"] == []
            # aiohttp's server checks idle connections about once a second: let it close this one
            await asyncio.sleep(1.6)
        assert len(stub.peers) == 3
    finally:
        await action_client.close()
        await runner.cleanup()
        action_client.uninstall()


async def test_a_forked_process_and_another_loop_get_their_own_session(server, monkeypatch):
    config = endpoint(server.url)
    first = action_client.session_for(config)
    assert action_client.session_for(config) is first
    monkeypatch.setattr(os, "getpid", lambda: -1)  # as in a child after fork
    child = action_client.session_for(config)
    assert child is not first and not first.closed
    await child.close()
    monkeypatch.undo()
    await first.close()


async def test_close_closes_the_sessions(server):
    config = endpoint(server.url)
    await config.request(json={})
    session = action_client.session_for(config)
    await action_client.close()
    assert session.closed
    assert (await config.request(json={}))["events"] == []  # a new one on the next call


def test_install_and_uninstall():
    action_client.install()
    assert EndpointConfig.request is action_client.request
    action_client.uninstall()
    assert EndpointConfig.request is RASA_REQUEST


ODD_VALUES = [float("nan"), float("inf"), -0.0, 1e-7, 0.1, 123456789.123456789, 2 ** 70, -2 ** 63,
              "a/b\u2028é\x00\ud800", {1: "a", True: 1, None: 2, 1.5: 3}, (1, 2), [], {}]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_the_body_is_the_json_value_the_json_module_writes(value):
    ours = action_client.dumps({"value": value})
    assert json.loads(ours) == json.loads(json.dumps({"value": value})) or \
        ours.replace(" ", "") == json.dumps({"value": value}).replace(" ", "")  # NaN != NaN


def test_the_action_payload_of_a_real_conversation_encodes_to_the_same_value():
    domain = Domain.load("domain.yml")
    tracker = DialogueStateTracker.from_events("shopper", [
        ActionExecuted("action_listen"),
        UserUttered("where is E202611180042 / 订单", {"name": "order_status", "confidence": 0.91},
                    [{"entity": "order_id", "value": "E202611180042", "start": 9, "end": 22}],
                    parse_data={"intent_ranking": [{"name": "order_status", "confidence": 0.91}]}),
        ActionExecuted("order_form", policy="RulePolicy", confidence=1.0)], domain.slots)
    payload = RemoteAction("order_form", EndpointConfig("http://x"))._action_call_format(
        tracker, domain)
    assert json.loads(action_client.dumps(payload)) == json.loads(json.dumps(payload))


def test_what_ujson_refuses_is_left_to_the_json_module():
    with pytest.raises(TypeError):
        action_client.dumps({"value": object()})
