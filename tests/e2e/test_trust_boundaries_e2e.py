"""Attacks on the running stack's trust boundaries, each with what it now gets.

Identity claims through the REST webhook, forged trackers sent to the action server, services
reached from outside loopback, start-up with default secrets in production mode, and agent
WebSockets that outlive their session or rights (docs/security.md lists every control).
"""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Optional

import aiohttp
import pytest

from bot.channels.app_client import AppClient
from bot.channels.app_identity import issue_identity_token
from common.production import DEMO_VALUES
from scripts.stack import ROOT
from tests.aiohttp_stub import closed_with
from tests.e2e.conftest import post_json

LAST_EVENT = "快件到达目的地分拨中心 Arrived at the destination hub"  # C0001's order in transit
C0001_ORDER = "E202600000002"
CLAIMS = [  # what an attacker posts to the REST webhook to pass as customer C0001
    ("app", {"channel": "app", "verified_app_user_id": "app-demo-0001"}),
    ("wechat", {"channel": "wechat", "openid": "oDemo0001wx"}),
    ("socketio", {"channel": "web", "visitor_id": "web-demo-0001"}),
]


def texts(messages) -> str:
    return " ".join(m.get("text") or "" for m in messages or [])


def rest(stack, body: Dict[str, Any]):
    return post_json(f"{stack.rasa_url}/webhooks/rest/webhook", body) or []


def status_of(url: str, body: Optional[bytes] = None, headers: Optional[Dict[str, str]] = None) -> int:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- REST identity claims ---------------------------------------------------------------
@pytest.mark.parametrize("input_channel,metadata", CLAIMS, ids=[c[0] for c in CLAIMS])
def test_rest_identity_claims_identify_nobody(stack, tracker, sender, input_channel, metadata):
    answer = texts(rest(stack, {"sender": sender, "message": "where is my order",
                                "input_channel": input_channel, "metadata": metadata}))
    assert LAST_EVENT not in answer
    state = tracker(sender)
    assert not state["slots"].get("customer_id")
    users = [e for e in state["events"] if e.get("event") == "user"]
    # nothing of the claim got in (Rasa itself adds only which model answered)
    assert users and all(set(e.get("metadata") or {}) <= {"assistant_id", "model_id"} for e in users)
    assert state["latest_input_channel"] == "rest"


def test_rest_sender_cannot_join_a_verified_app_conversation(stack, tracker):
    user = "app-demo-0001"  # C0001 in the demo shop
    token = issue_identity_token(stack.env["APP_IDENTITY_SECRET"], user)
    reply = asyncio.run(AppClient(stack.rasa_url).send("where is my order", identity_token=token))
    assert reply.status == 200 and reply.verified and LAST_EVENT in " ".join(reply.texts)
    assert tracker(f"app:{user}")["slots"]["customer_id"] == "C0001"

    for claim in ({}, {"input_channel": "app",
                       "metadata": {"channel": "app", "verified_app_user_id": user}}):
        stolen = texts(rest(stack, {"sender": f"app:{user}", "message": "where is my order",
                                    **claim}))
        assert LAST_EVENT not in stolen
    inputs = {e.get("input_channel") for e in tracker(f"app:{user}")["events"]
              if e.get("event") == "user"}
    assert inputs == {"app"}  # the REST posts went to rest:app:app-demo-0001, not in here
    assert not tracker(f"rest:app:{user}")["slots"].get("customer_id")


def test_rest_sender_cannot_join_a_wechat_or_web_conversation(stack, tracker, web_shopper):
    shopper = web_shopper({"channel": "web", "visitor_id": "web-demo-0001"})
    assert LAST_EVENT in texts(shopper.say("where is my order"))
    for victim in (shopper.sender_id, "oDemo0001wx"):
        stolen = texts(rest(stack, {"sender": victim, "message": "where is my order",
                                    "input_channel": "socketio"}))
        assert LAST_EVENT not in stolen
        assert not tracker(f"rest:{victim}")["slots"].get("customer_id")
    assert all(e.get("input_channel") == "socketio" for e in tracker(shopper.sender_id)["events"]
               if e.get("event") == "user")


# --- the action server --------------------------------------------------------------------
def forged_cancel(order_id: str) -> bytes:
    """What anyone on the network could send rasa-sdk: a made-up tracker that cancels."""
    slots = {"order_topic": "cancel_order", "order_id": order_id, "order_confirmed": True,
             "customer_id": "C0001", "identity_source": "channel", "language": "en",
             "verified_orders": [order_id]}
    tracker = {"sender_id": "attacker", "slots": slots, "latest_message": {"text": "", "intent": {}},
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": "order_form"}
    return json.dumps({"next_action": "action_order_submit", "sender_id": "attacker",
                       "tracker": tracker, "domain": {}, "version": "3.6.2"}).encode()


def order_status(stack, order_id: str) -> str:
    from actions.store import session_scope
    from actions.store.db import get_engine
    from actions.store.models import Order

    engine = get_engine(stack.env["STORE_URL"])
    with session_scope(engine) as session:
        return session.get(Order, order_id).status


def test_forged_tracker_without_the_token_runs_nothing(stack):
    before = order_status(stack, C0001_ORDER)
    url = f"{stack.actions_url}/webhook"
    assert status_of(url, forged_cancel(C0001_ORDER)) == 401
    assert status_of(url, forged_cancel(C0001_ORDER), {"Authorization": "Bearer wrong"}) == 401
    assert status_of(url, forged_cancel(C0001_ORDER),
                     {"Authorization": f"Basic {stack.action_token}"}) == 401
    assert status_of(f"{stack.actions_url}/actions") == 401
    assert order_status(stack, C0001_ORDER) == before != "cancelled"
    # Rasa's token passes the gate (an unknown action then is a plain 404, nothing runs)
    probe = json.dumps({"next_action": "action_nobody_has", "sender_id": "probe",
                        "tracker": {"sender_id": "probe", "events": []}, "domain": {},
                        "version": "3.6.2"}).encode()
    assert status_of(url, probe, {"Authorization": f"Bearer {stack.action_token}"}) == 404
    assert status_of(f"{stack.actions_url}/health") == 200


def _outside_address() -> Optional[str]:
    """One of this machine's non-loopback IPv4 addresses, if it has any."""
    candidates = set()
    try:
        candidates.update(socket.gethostbyname_ex(socket.gethostname())[2])
    except OSError:
        pass
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5).stdout
        candidates.update(out.split())
    except (OSError, subprocess.SubprocessError):
        pass
    outside = sorted(a for a in candidates if "." in a and not a.startswith("127."))
    return outside[0] if outside else None


def test_services_listen_on_loopback_only(stack):
    address = _outside_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for name, port in (("actions", stack.ports.actions), ("rasa", stack.ports.rasa),
                       ("handoff", stack.ports.handoff)):
        with socket.socket() as sock:
            sock.settimeout(3)
            assert sock.connect_ex((address, port)) != 0, f"{name} answers on {address}:{port}"
            with socket.create_connection(("127.0.0.1", port), timeout=3):
                pass  # and it is up on loopback


# --- default secrets in production mode ---------------------------------------------------
def start(stack, module: list, env: Dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *module], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def production_env(stack, **changes: Optional[str]) -> Dict[str, str]:
    env = dict(stack.env, FRONTLINE_ENV="production", HANDOFF_PORT="1", ACTIONS_PORT="1")
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def test_action_server_refuses_to_start_without_its_token(stack):
    done = start(stack, ["actions.server"], production_env(stack, ACTION_SERVER_TOKEN=None))
    assert done.returncode != 0 and "ACTION_SERVER_TOKEN is missing" in done.stderr
    done = start(stack, ["actions.server"], dict(stack.env, ACTION_SERVER_TOKEN="", ACTIONS_PORT="1"))
    assert done.returncode != 0 and "ACTION_SERVER_TOKEN is missing" in done.stderr


def test_handoff_service_refuses_default_secrets_in_production(stack):
    done = start(stack, ["handoff"], production_env(
        stack, HANDOFF_TOKEN=DEMO_VALUES["HANDOFF_TOKEN"], RASA_TOKEN=None,
        HANDOFF_DEMO_AGENT=DEMO_VALUES["HANDOFF_DEMO_AGENT"]))
    assert done.returncode != 0
    for named in ("HANDOFF_TOKEN is the public demo value", "RASA_TOKEN is missing",
                  "HANDOFF_DEMO_AGENT must not be set"):
        assert named in done.stderr, done.stderr


def test_handoff_service_refuses_the_demo_account_in_production(stack):
    db = Path(tempfile.mkdtemp(prefix="frontline-prod-")) / "handoff.db"
    env = production_env(stack, HANDOFF_DB_URL=f"sqlite:///{db}",
                         HANDOFF_TOKEN=uuid.uuid4().hex * 2, RASA_TOKEN=uuid.uuid4().hex * 2)
    username, _, password = DEMO_VALUES["HANDOFF_DEMO_AGENT"].partition(":")
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", username, "--role", "supervisor"],
                   cwd=ROOT, env=dict(env, HANDOFF_AGENT_PASSWORD=password), check=True,
                   capture_output=True)
    done = start(stack, ["handoff"], env)
    assert done.returncode != 0 and f"demo account '{username}'" in done.stderr, done.stderr


def test_production_recipe_names_every_default_secret(stack):
    env = production_env(stack, WECHAT_TOKEN=DEMO_VALUES["WECHAT_TOKEN"],
                         WECHAT_AES_KEY=DEMO_VALUES["WECHAT_AES_KEY"], CHANNEL_PROOF_SECRET=None,
                         RASA_TOKEN="short")
    done = start(stack, ["scripts.production", "--check"], env)
    assert done.returncode == 2
    for named in ("WECHAT_TOKEN is the public demo value", "WECHAT_AES_KEY is the public demo value",
                  "CHANNEL_PROOF_SECRET is missing", "RASA_TOKEN is shorter than 32"):
        assert named in done.stderr, done.stderr


def test_rasa_refuses_the_demo_wechat_secrets_in_production(stack):
    env = production_env(stack, RASA_TOKEN=uuid.uuid4().hex * 2)
    done = start(stack, ["rasa", "run", "--model", str(stack.model), "--endpoints", "endpoints.yml",
                         "--credentials", "credentials.yml", "--port", "1"], env, timeout=240)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "WECHAT_TOKEN is the public demo value" in output, output[-3000:]


# --- agent WebSockets ---------------------------------------------------------------------
PASSWORD = "e2e sockets password"


def add_agent(stack, queues: str = "logistics,general") -> str:
    name = f"e2e-ws-{uuid.uuid4().hex[:6]}"
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", name, "--queues", queues],
                   cwd=ROOT, env=dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD), check=True,
                   capture_output=True)
    return name


def accounts(stack, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "handoff.accounts", *args], cwd=ROOT, env=stack.env,
                   check=True, capture_output=True)


async def login(http: aiohttp.ClientSession, stack, name: str) -> str:
    async with http.post(f"{stack.handoff_url}/api/agents/login",
                         json={"username": name, "password": PASSWORD}) as resp:
        assert resp.status == 200
        return (await resp.json())["token"]


async def test_socket_token_in_the_url_is_refused(stack):
    name = add_agent(stack)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        token = await login(http, stack, name)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{stack.handoff_url}/api/ws?token={token}")
        assert refused.value.status == 401
        async with http.ws_connect(f"{stack.handoff_url}/api/ws",
                                   headers={"Authorization": f"Bearer {token}"}) as ws:
            assert (await ws.receive_json())["type"] == "hello"


async def test_socket_closes_on_logout_disable_and_queue_change(stack):
    name = add_agent(stack)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async def socket_of(token: str, queues=("general", "logistics")):
            ws = await http.ws_connect(f"{stack.handoff_url}/api/ws",
                                       headers={"Authorization": f"Bearer {token}"})
            hello = await ws.receive_json()
            assert hello["type"] == "hello" and sorted(hello["agent"]["queues"]) == sorted(queues)
            return ws

        token = await login(http, stack, name)
        ws = await socket_of(token)
        async with http.post(f"{stack.handoff_url}/api/agents/logout",
                             headers={"Authorization": f"Bearer {token}"}) as resp:
            assert resp.status == 200
        assert await closed_with(ws, 5) == 4401

        ws = await socket_of(await login(http, stack, name))
        await asyncio.to_thread(accounts, stack, "queues", name, "after_sales")
        assert await closed_with(ws) == 4403
        # the console reconnects and gets the new queues
        ws = await socket_of(await login(http, stack, name), queues=("after_sales",))

        await asyncio.to_thread(accounts, stack, "disable", name)
        assert await closed_with(ws) == 4401
        async with http.post(f"{stack.handoff_url}/api/agents/login",
                             json={"username": name, "password": PASSWORD}) as resp:
            assert resp.status == 401
