"""The warm transfer end to end, over the socket.io channel of the running stack.

A shopper (web-demo-0001, order in transit) asks about the order, gets angry and is handed
over; the ticket is checked field by field; the agent's reply reaches the shopper's socket;
the shopper's reply reaches the agent; the handoff service restarts mid-chat and loses
nothing; resolve hands back to the bot, which answers again and stores the CSAT.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import aiohttp
import socketio

from common import signing
from scripts.stack import ROOT, wait_http

WEB1 = {"channel": "web", "visitor_id": "web-demo-0001"}
ORDER_ID = "E202600000002"  # C0001's order in transit (stable demo numbering)
PASSWORD = "e2e agent password"


class Shopper:
    def __init__(self, url: str):
        self.url, self.session_id, self.sender_id = url, None, None
        self.sio = socketio.AsyncClient()
        self.received: list = []
        self.sio.on("bot_uttered", lambda data: self.received.append(data))

    async def connect(self):
        confirmed = asyncio.Event()
        def on_confirm(data):  # the server issues the session key; agents see the public id
            self.session_id, self.sender_id = data["session_id"], data["conversation_id"]
            confirmed.set()
        self.sio.on("session_confirm", on_confirm)
        await self.sio.connect(self.url, socketio_path="/socket.io", transports=["polling"])  # engineio's websocket needs aiohttp>=3.10
        await self.sio.emit("session_request", {})
        await asyncio.wait_for(confirmed.wait(), 10)

    async def say(self, text: str, wait_for: int = 1, timeout: float = 30.0) -> list:
        start = len(self.received)
        await self.sio.emit("user_uttered", {"message": text, "session_id": self.session_id,
                                             "customData": WEB1})
        return await self.wait(start + wait_for, timeout)

    async def wait(self, count: int, timeout: float = 30.0) -> list:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        return self.received

    def texts(self, since: int = 0) -> str:
        return " ".join(m.get("text") or "" for m in self.received[since:])


async def test_warm_transfer_over_socketio(stack):
    env = dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD)
    agent_name = f"e2e-{uuid.uuid4().hex[:6]}"
    subprocess.run([sys.executable, "-m", "handoff.agents", "add", agent_name], cwd=ROOT,
                   env=env, check=True)
    shopper = Shopper(stack.rasa_url)
    await shopper.connect()
    sender = shopper.session_id  # the session key: only the shopper's socket holds it
    http = aiohttp.ClientSession()
    try:
        await shopper.say("我的快递到哪了")
        assert "最新物流" in shopper.texts()
        mark = len(shopper.received)
        await shopper.say("都三天没动了!太慢了,气死我了,我要投诉,再不处理就给差评!")
        handoff_reply = shopper.texts(mark)
        assert "人工" in handoff_reply, handoff_reply

        async with http.post(f"{stack.handoff_url}/api/agents/login",
                             json={"username": agent_name, "password": PASSWORD}) as resp:
            assert resp.status == 200
            headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
        async with http.get(f"{stack.handoff_url}/api/tickets?status=open",
                            headers=headers) as resp:
            # The web channel's conversation id is "web:<public id>" (bot/channels/webchat.py):
            # agents never see the session key.
            tickets = [t for t in (await resp.json())["tickets"]
                       if t["conversation_id"] == shopper.sender_id]
            assert all(sender not in json.dumps(t) for t in (await resp.json())["tickets"])
        assert len(tickets) == 1
        tid = tickets[0]["id"]
        async with http.get(f"{stack.handoff_url}/api/tickets/{tid}", headers=headers) as resp:
            detail = await resp.json()
        ticket = detail["ticket"]
        assert detail["reason"] == "complaint" and detail["queue"] == "complaints"
        assert ticket["channel"] == "socketio" and ticket["language"] == "zh"
        names = [i["name"] for i in ticket["intent_history"]]
        assert names[-1] == "complain" and "order_status" in names
        assert ticket["top_intent"]["name"] == "order_status"
        assert all(0 < i["confidence"] <= 1 for i in ticket["intent_history"])
        assert ticket["order"]["order_id"] == ORDER_ID
        assert ticket["order"]["status"] and ticket["order"]["tracking_no"]
        assert ticket["order"]["last_event"] and ticket["order"]["extra"]["verified"] is True
        assert ticket["customer"]["customer_id"] == "C0001"
        assert "****" in (ticket["customer"]["masked_phone"] or "")
        if "bot.emotion.component" in (ROOT / "config.yml").read_text():  # the emotion component is on
            emotion = ticket["emotion"]
            assert emotion["current"] == "angry" and emotion["negative_share"] > 0
            assert emotion["cues"] and "bad_review" in emotion["risk_flags"]
        else:
            assert ticket["emotion"] is None  # nothing made up when nothing was measured
        assert ticket["flow_steps"] == []  # no troubleshooting flow in this chat
        assert [t["role"] for t in ticket["transcript"]][:2] == ["shopper", "bot"]
        assert ORDER_ID in ticket["summary"]["zh"] and ticket["first_sentence"]["zh"]

        async with http.ws_connect(f"{stack.handoff_url}/api/ws", headers=headers) as ws:
            assert (await ws.receive_json())["type"] == "hello"
            async with http.post(f"{stack.handoff_url}/api/tickets/{tid}/claim",
                                 headers=headers) as resp:
                assert resp.status == 200
            mark = len(shopper.received)
            async with http.post(f"{stack.handoff_url}/api/tickets/{tid}/messages",
                                 headers=headers, json={"text": "您好,我是客服小李,马上帮您催件。"}) as resp:
                assert resp.status == 201
            await shopper.wait(mark + 1, 15)
            assert "客服小李" in shopper.texts(mark)

            mark = len(shopper.received)
            await shopper.sio.emit("user_uttered", {"message": "好的,请快一点",
                                                    "session_id": sender, "customData": WEB1})
            event = await _next(ws, "message.new", role="shopper")
            assert event["message"]["text"] == "好的,请快一点"
            await asyncio.sleep(1.0)
            assert len(shopper.received) == mark  # the paused bot did not answer

        # the handoff service restarts mid-chat; the shopper writes meanwhile
        proc = stack.procs["handoff"]
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        await shopper.sio.emit("user_uttered", {"message": "停机时发的消息",
                                                "session_id": sender, "customData": WEB1})
        await asyncio.sleep(1.0)
        stack.start_handoff()
        wait_http(f"{stack.handoff_url}/health", 60, "handoff service", stack.procs["handoff"])
        for _ in range(100):
            async with http.get(f"{stack.handoff_url}/api/tickets/{tid}/messages",
                                headers=headers) as resp:
                shopper_texts = [m["text"] for m in (await resp.json())["messages"]
                                 if m["role"] == "shopper"]
            if "停机时发的消息" in shopper_texts:
                break
            await asyncio.sleep(0.1)
        assert shopper_texts == ["好的,请快一点", "停机时发的消息"]

        mark = len(shopper.received)
        async with http.post(f"{stack.handoff_url}/api/tickets/{tid}/resolve",
                             headers=headers, json={"code": "expedited"}) as resp:
            assert resp.status == 200
        await shopper.wait(mark + 2, 15)
        assert "还有其他" in shopper.texts(mark) and "1-5" in shopper.texts(mark)
        await shopper.say("5")
        for _ in range(100):
            async with http.get(f"{stack.handoff_url}/api/tickets/{tid}", headers=headers) as resp:
                detail = await resp.json()
            if detail["csat"] is not None:
                break
            await asyncio.sleep(0.1)
        assert detail["csat"] == 5 and detail["status"] == "resolved"
        # the post-chat surveys follow the rating on the shopper's own channel: NPS, then CES
        await _until(shopper, "推荐给朋友", mark)
        mark = len(shopper.received)
        await shopper.say("9")
        await _until(shopper, "容易", mark)
        mark = len(shopper.received)
        await shopper.say("6")
        await _until(shopper, "感谢您的反馈", mark)
        mark = len(shopper.received)
        await shopper.say("包邮吗")
        await _until(shopper, "包邮", mark)  # the bot answers again

        # forged and unauthenticated calls are refused
        body = json.dumps({"conversation_id": "x", "trigger": "request_human"}).encode()
        forged = signing.sign("not-the-secret", "POST", "/api/bot/handoffs", body)
        async with http.post(f"{stack.handoff_url}/api/bot/handoffs", data=body,
                             headers=forged) as resp:
            assert resp.status == 403
        async with http.get(f"{stack.handoff_url}/api/tickets") as resp:
            assert resp.status == 401
    finally:
        await http.close()
        await shopper.sio.disconnect()


async def _until(shopper, needle, since, timeout=15.0):
    deadline = time.monotonic() + timeout
    while needle not in shopper.texts(since):
        assert time.monotonic() < deadline, f"no {needle!r} in {shopper.texts(since)!r}"
        await asyncio.sleep(0.1)


async def _next(ws, kind, timeout=15.0, role=None):
    async def read():
        while True:
            msg = await ws.receive_json()
            if msg.get("type") == kind and (role is None or msg["message"]["role"] == role):
                return msg
    return await asyncio.wait_for(read(), timeout)
