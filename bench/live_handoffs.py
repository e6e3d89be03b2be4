"""Scripted shoppers and agents in live handoffs on the running stack (chaos and soak runs).

A conversation is one shopper (web widget over socket.io, or WeChat through the signed and
encrypted webhook) handed over to a human, and one agent using the service's HTTP API. Every
message carries a unique text (`S<conv>-<n>` from the shopper, `A<conv>-<n>` from the agent), so
the tally can say, for each message either side sent, whether it arrived exactly once and in
order. Clients behave like the real ones: the widget reconnects and rejoins its session, WeChat
retries a webhook call that failed with the same MsgId, the console retries a failed send with
the same client_id.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional

import aiohttp
import socketio

from tools.wechat_sim import WeChatSimulator, new_msg_id

HANDOFF_TEXT = "转人工"
WEB_META = {"channel": "web"}
ACK_SECONDS = 30.0


class WebShopper:
    """The widget's protocol: the server issues the session key on the first join; every
    reconnect asks for that same session again."""

    def __init__(self, rasa_url: str) -> None:
        self.rasa_url = rasa_url
        self.session_id: Optional[str] = None  # the key the server issued (a secret)
        self.conversation_id = ""  # the public id agents see: web:<id>
        self.received: List[str] = []
        self.seen: set = set()  # message ids shown (frontline.id), as the widget keeps them
        self.copies = 0  # copies the relay sent again, which the widget shows once
        self.joined = asyncio.Event()
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.5,
                                        reconnection_delay_max=1.0)
        self.sio.on("bot_uttered", self._uttered)
        self.sio.on("session_confirm", self._confirmed)
        self.sio.on("connect", self._rejoin)
        self.sio.on("disconnect", lambda *_: self.joined.clear())

    async def _uttered(self, data: Any) -> None:
        """The widget's rule: a message whose id was shown already is a copy the relay sent
        again (it sends at least once), not a second message."""
        data = data if isinstance(data, dict) else {}
        message_id = (data.get("frontline") or {}).get("id")
        if str(message_id or "").startswith("msg:") and self.session_id:
            # The widget confirms an agent's message (a copy too: the first confirmation may
            # have been lost); the console then shows it delivered.
            await self.sio.emit("message_received", {"session_id": self.session_id,
                                                     "id": message_id})
        if message_id and message_id in self.seen:
            self.copies += 1
            return
        if message_id:
            self.seen.add(message_id)
        self.received.append(data.get("text") or "")

    async def _confirmed(self, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        self.session_id = data.get("session_id") or self.session_id
        self.conversation_id = data.get("conversation_id") or self.conversation_id
        self.joined.set()

    async def _rejoin(self) -> None:  # what the widget does on every (re)connect
        await self.sio.emit("session_request",
                            {"session_id": self.session_id} if self.session_id else {})

    async def start(self) -> None:
        await self.sio.connect(self.rasa_url, socketio_path="/socket.io", transports=["polling"])
        await asyncio.wait_for(self.joined.wait(), 30)

    async def say(self, text: str, deadline: float) -> None:
        """A message typed while offline waits and is sent on reconnect; it counts as sent
        when the server acknowledged it (the handler ran to its end), else it is sent again
        with the same message_id, which the channel passes on (the service stores it once)."""
        data = {"message": text, "session_id": self.session_id, "customData": WEB_META,
                "message_id": uuid.uuid4().hex}
        while time.monotonic() < deadline:
            if self.joined.is_set():
                try:
                    await self.sio.call("user_uttered", data, timeout=ACK_SECONDS)
                    return
                except (socketio.exceptions.SocketIOError, asyncio.TimeoutError):
                    pass
            await asyncio.sleep(0.2)
        raise TimeoutError(f"web shopper could not send {text}")

    async def inbox(self, http: aiohttp.ClientSession, standin_url: str) -> List[str]:
        return list(self.received)

    async def close(self) -> None:
        await self.sio.disconnect()


class WeChatShopper:
    def __init__(self, sim: WeChatSimulator) -> None:
        self.sim = sim
        self.conversation_id = f"o_chaos_{uuid.uuid4().hex[:12]}"

    async def start(self) -> None:
        pass

    async def say(self, text: str, deadline: float) -> None:
        """Like WeChat: the same MsgId again until the server answers 200."""
        msg_id = new_msg_id()
        while time.monotonic() < deadline:
            try:
                if (await self.sim.send_text(self.conversation_id, text, msg_id)).status == 200:
                    return
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.5)
        raise TimeoutError(f"WeChat shopper could not send {text}")

    async def inbox(self, http: aiohttp.ClientSession, standin_url: str) -> List[str]:
        async with http.get(f"{standin_url}/_sim/messages",
                            params={"openid": self.conversation_id}) as resp:
            return [m["content"] for m in (await resp.json())["messages"]]

    async def close(self) -> None:
        pass


class Agent:
    def __init__(self, http: aiohttp.ClientSession, url: str, username: str, password: str):
        self.http, self.url, self.username, self.password = http, url, username, password
        self.headers: Dict[str, str] = {}

    async def call(self, method: str, path: str, deadline: float, **kwargs: Any) -> Any:
        """The console's behaviour: retry until the service answers (it may be restarting)."""
        while True:
            try:
                if not self.headers:
                    await self.login()
                async with self.http.request(method, self.url + path, headers=self.headers,
                                             timeout=aiohttp.ClientTimeout(total=10),
                                             **kwargs) as resp:
                    if resp.status == 401:
                        self.headers = {}
                    elif resp.status < 500:
                        return resp.status, await resp.json()
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{method} {path} did not succeed")
            await asyncio.sleep(0.3)

    async def login(self) -> None:
        async with self.http.post(self.url + "/api/agents/login",
                                  json={"username": self.username, "password": self.password},
                                  timeout=aiohttp.ClientTimeout(total=10)) as resp:
            if resp.status == 200:
                self.headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}


@dataclass
class Conversation:
    shopper: Any
    agent: Agent
    name: str
    ticket_id: Optional[int] = None
    shopper_sent: List[str] = field(default_factory=list)
    agent_sent: List[str] = field(default_factory=list)
    failed: List[Dict[str, Any]] = field(default_factory=list)  # agent messages shown as failed

    async def open(self, deadline: float) -> None:
        await self.shopper.start()
        await self.shopper.say(HANDOFF_TEXT, deadline)
        while self.ticket_id is None:
            _, data = await self.agent.call("GET", "/api/tickets?status=open", deadline)
            for ticket in data.get("tickets", []):
                if ticket["conversation_id"] == self.shopper.conversation_id:
                    self.ticket_id = ticket["id"]
            if self.ticket_id is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name}: no ticket")
                await asyncio.sleep(0.3)
        await self.agent.call("POST", f"/api/tickets/{self.ticket_id}/claim", deadline)

    async def shopper_says(self, deadline: float) -> None:
        text = f"S{self.name}-{len(self.shopper_sent)}"
        self.shopper_sent.append(text)
        await self.shopper.say(text, deadline)

    async def agent_says(self, deadline: float) -> None:
        text = f"A{self.name}-{len(self.agent_sent)}"
        self.agent_sent.append(text)
        client_id = uuid.uuid4().hex  # one id for every retry: the service stores it once
        await self.agent.call("POST", f"/api/tickets/{self.ticket_id}/messages", deadline,
                              json={"text": text, "client_id": client_id})

    async def arrived(self, http: aiohttp.ClientSession, standin_url: str, deadline: float):
        _, data = await self.agent.call("GET", f"/api/tickets/{self.ticket_id}/messages",
                                        deadline)
        messages = data.get("messages", [])
        at_agent = [m["text"] for m in messages if m["role"] == "shopper"]
        self.failed = [m for m in messages if m["role"] == "agent" and m.get("delivery") == "failed"]
        at_shopper = await self.shopper.inbox(http, standin_url)
        return at_agent, at_shopper


@dataclass
class Tally:
    sent: int = 0
    arrived_once: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    failed_shown: int = 0  # did not arrive, and the console says so with the reason
    lost_examples: List[str] = field(default_factory=list)

    def add(self, sent: List[str], received: List[str], failed: Iterable[str] = ()) -> None:
        """`failed`: messages the agent was shown as failed, with the reason (not silent)."""
        mine = [text for text in received if text in set(sent)]
        shown_failed = set(failed)
        self.sent += len(sent)
        for text in sent:
            count = mine.count(text)
            if count == 0 and text in shown_failed:
                self.failed_shown += 1
            elif count == 0:
                self.lost += 1
                if len(self.lost_examples) < 10:
                    self.lost_examples.append(text)
            elif count == 1:
                self.arrived_once += 1
            else:
                self.duplicated += 1
        firsts = [t for i, t in enumerate(mine) if t not in mine[:i]]
        expected = [t for t in sent if t in firsts]
        self.out_of_order += sum(1 for a, b in zip(firsts, expected) if a != b)

    def line(self, label: str) -> str:
        return (f"{label:<18} sent {self.sent:>5}  arrived once {self.arrived_once:>5}  "
                f"lost {self.lost:>3}  duplicated {self.duplicated:>3}  "
                f"out of order {self.out_of_order:>3}  shown failed {self.failed_shown:>3}")

    @property
    def clean(self) -> bool:
        return not (self.lost or self.duplicated or self.out_of_order)


async def settle(conversations: List[Conversation], http: aiohttp.ClientSession,
                 standin_url: str, timeout: float) -> Dict[str, Tally]:
    """Wait until everything sent has arrived (or the timeout), then count."""
    deadline = time.monotonic() + timeout
    while True:
        tallies = {"shopper → agent": Tally(), "agent → shopper": Tally()}
        for conv in conversations:
            at_agent, at_shopper = await conv.arrived(http, standin_url, deadline + 60)
            tallies["shopper → agent"].add(conv.shopper_sent, at_agent)
            tallies["agent → shopper"].add(conv.agent_sent, at_shopper,
                                           [m["text"] for m in conv.failed])
        if all(t.clean for t in tallies.values()) or time.monotonic() > deadline:
            return tallies
        await asyncio.sleep(1.0)
