"""A case opened by the bot is worked by an agent, and its progress reaches the shopper.

A web shopper (C0021, web-demo-0021: no other e2e test uses this customer) says a parcel
shown as delivered never arrived; the bot opens a not-received case. The case reaches the
handoff service (owner: logistics, with its resolution deadline); an agent moves it to
"waiting on the carrier" with a note; the shopper's open socket receives the update; asked
"我的售后进度", the bot answers with the status the agent set.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
import uuid

from scripts.stack import ROOT

WEB = {"channel": "web", "visitor_id": "web-demo-0021"}
ORDER = "E202600000054"  # C0021's delivered order (stable demo numbering)
PASSWORD = "e2e agent password"
CASE_REF = re.compile(r"AS\d{14}")


def call(url, token=None, body=None, method=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, headers, method=method)
    with urllib.request.urlopen(request, timeout=15) as resp:
        return json.loads(resp.read())


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def test_bot_case_worked_by_an_agent_reaches_the_shopper(stack, web_shopper):
    agent = f"e2e-cases-{uuid.uuid4().hex[:6]}"
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", agent,
                    "--queues", "logistics"], cwd=ROOT,
                   env=dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD), check=True)
    shopper = web_shopper(WEB)
    said = texts(shopper.say(f"订单{ORDER}显示已签收,但我根本没收到货"))
    found = CASE_REF.search(said)
    assert found, said
    ref = found.group(0)

    token = call(f"{stack.handoff_url}/api/agents/login",
                 body={"username": agent, "password": PASSWORD})["token"]
    deadline, case = time.monotonic() + 20, None
    while case is None and time.monotonic() < deadline:
        listed = call(f"{stack.handoff_url}/api/cases?department=logistics", token)["cases"]
        case = next((c for c in listed if c["case_ref"] == ref), None)
        time.sleep(0.2)
    assert case is not None, f"case {ref} never reached the handoff service"
    assert case["kind"] == "not_received" and case["opened_by"] == "bot"
    assert case["customer_id"] == "C0021" and case["order_id"] == ORDER
    assert case["conversation_id"] == shopper.sender_id and case["due_at"]

    before = len(shopper.received)
    call(f"{stack.handoff_url}/api/cases/{case['id']}", token,
         {"status": "waiting_carrier", "note": "已请快递公司核实签收记录"})
    deadline = time.monotonic() + 20
    while len(shopper.received) == before and time.monotonic() < deadline:
        time.sleep(0.1)
    update = texts(shopper.received[before:])
    assert ref in update and "等待快递公司" in update and "已请快递公司核实签收记录" in update

    answer = texts(shopper.say("我的售后进度"))
    assert ref in answer and "正在等待快递公司回复" in answer, answer
    detail = call(f"{stack.handoff_url}/api/cases/{case['id']}", token)
    assert [e["kind"] for e in detail["events"]] == ["opened", "status"]
    assert detail["events"][1]["actor"] == agent
