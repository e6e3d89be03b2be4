"""A Rasa server with two Sanic workers under concurrent load: conversations stay whole.

Both workers accept on one port, so the messages of one conversation land on either. The Redis
lock (bot.lock_store) must still run one turn at a time, the tracker store must hold every event
once, and the event stream (bot.broker) must carry each of them once, in the tracker's order.
Own stack (two workers ≈ 1.4 GB), started once for this module (~50 s), ~80 s in all.
"""
from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List

import psutil
import pytest
import redis

from common import streams
from common.config import redis_prefix
from scripts.stack import ROOT, Stack
from tests.e2e.conftest import REDIS_URL, post_json, running_stack

LAST_EVENT = "快件到达目的地分拨中心 Arrived at the destination hub"
ORDER_STEPS = ["where is my order", "E202600000002", "0001"]  # the verification form (orders e2e)
BURST = ["包邮吗", "how long does delivery take", "可以退货吗", "what payment methods do you accept",
         "发什么快递", "do you ship abroad", "怎么开发票", "hello"]


@pytest.fixture(scope="module")
def two_workers():
    subprocess.run([sys.executable, "-m", "scripts.train"], cwd=ROOT, check=True)
    with running_stack(workers=2) as running:
        yield running


def say(stack: Stack, sender: str, text: str) -> List[Dict[str, Any]]:
    return post_json(f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text},
                     timeout=90) or []


def tracker_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    url = f"{stack.rasa_url}/conversations/{sender}/tracker?token={stack.rasa_token}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())["events"]


def events_stream(stack: Stack) -> str:
    return streams.stream_key(redis_prefix(stack.env), streams.EVENTS)


def hold_the_stream(stack: Stack) -> None:
    """A consumer group that reads nothing: the handoff service trims only what every group has
    acknowledged, so from now on each entry stays on the stream for the test to count."""
    redis.Redis.from_url(REDIS_URL).xgroup_create(events_stream(stack), "test-observer", id="$",
                                                  mkstream=True)


def stream_events(stack: Stack, sender: str) -> List[Dict[str, Any]]:
    """The conversation's entries on the event stream the handoff service reads."""
    key = events_stream(stack)
    entries = redis.Redis.from_url(REDIS_URL, decode_responses=True).xrange(key)
    payloads = [streams.unseal(stack.handoff_token, key, fields) for _, fields in entries]
    return [p for p in payloads if p.get("sender_id") == sender]


def worker_cpu(stack: Stack) -> Dict[int, float]:
    workers = psutil.Process(stack.procs["rasa"].pid).children()
    return {w.pid: sum(w.cpu_times()[:2]) for w in workers}


def identity(event: Dict[str, Any]) -> tuple:
    return event["event"], event.get("timestamp"), event.get("name"), event.get("text")


def test_both_workers_serve_and_each_conversation_keeps_its_turns_whole(two_workers):
    stack = two_workers
    hold_the_stream(stack)
    before = worker_cpu(stack)
    assert len(before) == 2
    form_senders = [f"rest:workers-form-{uuid.uuid4().hex[:8]}" for _ in range(6)]
    burst_sender = f"rest:workers-burst-{uuid.uuid4().hex[:8]}"

    def order_form(sender: str) -> str:
        replies = [say(stack, sender, text) for text in ORDER_STEPS]
        return " ".join(m.get("text") or "" for m in replies[-1])

    with ThreadPoolExecutor(len(form_senders) + len(BURST)) as pool:
        forms = [pool.submit(order_form, sender) for sender in form_senders]
        # every message of one conversation at the same moment: spread over both workers
        burst = [pool.submit(say, stack, burst_sender, text) for text in BURST]
        answers = [f.result() for f in forms]
        burst_replies = [f.result() for f in burst]

    # six conversations each completed the verification form while the others ran
    assert all(LAST_EVENT in answer for answer in answers), answers
    assert all(burst_replies), "every message of the burst was answered"
    # both processes handled messages: ~25 ms of CPU each; 26 messages make ~0.65 s in all,
    # while a worker that only idles for this minute uses a few hundredths of a second
    spent = {pid: cpu - before[pid] for pid, cpu in worker_cpu(stack).items()}
    assert all(seconds > 0.15 for seconds in spent.values()), spent

    for sender, texts in [(burst_sender, BURST)] + [(s, ORDER_STEPS) for s in form_senders]:
        events = tracker_events(stack, sender)
        users = [e["text"] for e in events if e["event"] == "user"]
        assert sorted(users) == sorted(texts), sender  # each message once, none lost
        # one turn at a time: each user message is followed by its whole turn, which ends in
        # action_listen before the next user message (an interleaved turn breaks this)
        positions = [i for i, e in enumerate(events) if e["event"] == "user"]
        for start, end in zip(positions, positions[1:] + [len(events)]):
            turn = events[start + 1:end]
            assert turn and turn[-1]["event"] == "action" and turn[-1]["name"] == "action_listen", \
                (sender, [identity(e) for e in events[start:end]])
        if sender in form_senders:
            assert users == ORDER_STEPS  # sent one after another: kept in that order
        # the stream holds each of the tracker's events once, in the tracker's order
        assert [identity(e) for e in stream_events(stack, sender)] == [identity(e) for e in events]


class WebSocketShopper:
    """The widget's connection as the widget now opens it: socket.io over one WebSocket (spoken
    by hand: python-engineio's own WebSocket client needs a newer aiohttp than Rasa allows)."""

    def __init__(self, stack: Stack) -> None:
        self.stack, self.events = stack, []  # (event name, payload) as they arrive

    async def __aenter__(self) -> "WebSocketShopper":
        import aiohttp

        self.http = aiohttp.ClientSession()
        url = f"ws://127.0.0.1:{self.stack.ports.rasa}/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.http.ws_connect(url, headers={"Origin": f"http://127.0.0.1:{self.stack.ports.web}"})
        assert (await self.ws.receive_str()).startswith("0")  # engine.io open
        await self.ws.send_str("40")  # socket.io connect, default namespace
        await self.emit("session_request", {})
        confirm = (await self.collect("session_confirm", 1))[0]
        self.session_id, self.sender_id = confirm["session_id"], confirm["conversation_id"]
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.ws.close()
        await self.http.close()

    async def emit(self, event: str, data: Dict[str, Any]) -> None:
        await self.ws.send_str("42" + json.dumps([event, data]))

    async def collect(self, event: str, count: int, timeout: float = 60, linger: float = 0) -> list:
        """Read until `count` new `event`s arrived (then `linger` seconds more); their payloads."""
        import asyncio

        mark, loop = len(self.events), asyncio.get_running_loop()
        new = lambda: [data for name, data in self.events[mark:] if name == event]  # noqa: E731
        deadline = loop.time() + timeout
        while len(new()) < count or linger > 0:
            if len(new()) >= count:
                deadline, linger = loop.time() + linger, 0  # then a quiet while: doubles show
            try:
                frame = await asyncio.wait_for(self.ws.receive_str(), max(0.01, deadline - loop.time()))
            except asyncio.TimeoutError:
                if len(new()) < count:
                    raise AssertionError(f"{len(new())} of {count} {event!r}: {self.events[mark:]}")
                break
            if frame == "2":
                await self.ws.send_str("3")  # engine.io ping, pong
            elif frame.startswith("42"):
                name, data = json.loads(frame[2:])[:2]
                self.events.append((name, data))
        return new()


async def test_an_agents_messages_reach_the_widget_whichever_worker_relays_them(two_workers):
    """The widget's socket lives in one worker; the handoff relay's calls (Rasa's HTTP API,
    output_channel=latest) reach either. Every message arrives once, through Redis when the
    relaying worker is not the socket's."""
    import asyncio

    import aiohttp

    stack = two_workers
    async with WebSocketShopper(stack) as shopper:
        await shopper.emit("user_uttered", {"message": "包邮吗", "session_id": shopper.session_id})
        await shopper.collect("bot_uttered", 1)
        texts = [f"agent reply {n} {uuid.uuid4().hex[:6]}" for n in range(8)]
        url = f"{stack.rasa_url}/conversations/{shopper.sender_id}/tracker/events"
        params = {"token": stack.rasa_token, "output_channel": "latest",
                  "execute_side_effects": "true", "include_events": "NONE"}

        async def relay() -> None:
            async with aiohttp.ClientSession() as http:
                for text in texts:  # a new connection each: the kernel spreads them over the workers
                    async with http.post(url, params=params, json=[{"event": "bot", "text": text}],
                                         headers={"Connection": "close"}) as answer:
                        assert answer.status == 200, await answer.text()

        sent = asyncio.ensure_future(relay())
        received = await shopper.collect("bot_uttered", len(texts), linger=1.5)
        await sent
        assert sorted(m.get("text") for m in received) == sorted(texts)  # each once
