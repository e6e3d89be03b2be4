"""Live fan-out of ticket events to connected agents' WebSockets (in this process).

Each socket has its own bounded queue and writer task, so one slow browser never delays
the others; an agent sees only events of the queues they work (supervisors see all).
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from aiohttp import web

log = logging.getLogger(__name__)

# WebSocket close codes (private range): the console logs in again / reconnects for new rights.
SESSION_ENDED = 4401
RIGHTS_CHANGED = 4403
# The instance is going away (IANA "Service Restart"): reconnect, another instance answers.
RESTARTING = 1012

# (event, queue, agent_ids, supervisors): sends an event to every instance (handoff.fanout).
Broadcaster = Callable[[Dict[str, Any], Optional[str], Optional[List[int]], bool], None]


@dataclass(eq=False)
class Subscriber:
    ws: web.WebSocketResponse
    agent_id: int
    role: str
    queues: Set[str]
    session: str = ""  # the agent session's key (handoff.agents.session_key)
    # Why the service closed the socket: the handler closes with it too (see Hub.close).
    close_code: Optional[int] = None
    close_reason: str = ""
    outbox: "asyncio.Queue[str]" = field(default_factory=lambda: asyncio.Queue(maxsize=1000))

    def wants(self, queue: Optional[str], agent_ids: Optional[List[int]]) -> bool:
        if agent_ids is not None and self.agent_id in agent_ids:
            return True
        if queue is None:
            return agent_ids is None
        return self.role == "supervisor" or queue in self.queues


class Hub:
    def __init__(self) -> None:
        self.subscribers: Set[Subscriber] = set()
        # Set while several instances share the agents: events then reach this instance's
        # sockets through deliver(), called by the fan-out for every instance's events.
        self.broadcaster: Optional[Broadcaster] = None
        # Agents online on the other instances: (agent_id, role, queues), kept by the fan-out.
        self.elsewhere: List[Tuple[int, str, List[str]]] = []

    def presence(self) -> List[Tuple[int, str, List[str]]]:
        """This instance's online agents, as the other instances count them."""
        return sorted({(s.agent_id, s.role, tuple(sorted(s.queues))) for s in self.subscribers})

    def _online(self) -> List[Tuple[int, str, Any]]:
        return [(s.agent_id, s.role, s.queues) for s in self.subscribers] + list(self.elsewhere)

    def online_agents(self) -> int:
        return len({agent for agent, _, _ in self._online()})

    def online_for(self, queue: str) -> int:
        return len({agent for agent, role, queues in self._online()
                    if role == "supervisor" or queue in queues})

    def add(self, sub: Subscriber) -> None:
        self.subscribers.add(sub)

    def remove(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    async def close(self, sub: Subscriber, code: int, reason: str) -> None:
        """Close one socket: its session ended, or its agent's rights changed."""
        self.remove(sub)
        log.info("closing agent %s socket: %s", sub.agent_id, reason)
        # Closing from here wakes the socket's handler, which may finish (and close with the
        # default 1000) first; it closes with these instead, so the console learns why.
        sub.close_code, sub.close_reason = code, reason
        await sub.ws.close(code=code, message=reason.encode())

    async def close_session(self, session: str, reason: str = "logged out") -> int:
        subs = [s for s in list(self.subscribers) if s.session == session]
        for sub in subs:
            await self.close(sub, SESSION_ENDED, reason)
        return len(subs)

    def publish(self, event: Dict[str, Any], queue: Optional[str] = None,
                agent_ids: Optional[List[int]] = None, supervisors: bool = False) -> int:
        """Send an event to every interested socket, on every instance when fanned out;
        returns how many sockets of this instance got it now (0 when fanned out)."""
        if self.broadcaster is not None:
            self.broadcaster(event, queue, agent_ids, supervisors)
            return 0
        return self.deliver(event, queue, agent_ids, supervisors)

    async def close_all(self, code: int = RESTARTING,
                        reason: str = "service restarting; reconnect") -> int:
        """Shutdown: close every socket with a reconnect hint (the console reconnects)."""
        subs = list(self.subscribers)
        for sub in subs:
            await self.close(sub, code, reason)
        return len(subs)

    def deliver(self, event: Dict[str, Any], queue: Optional[str] = None,
                agent_ids: Optional[List[int]] = None, supervisors: bool = False) -> int:
        """Queue an event for every interested socket of this instance."""
        data = json.dumps(event, ensure_ascii=False, default=str)
        sent = 0
        for sub in list(self.subscribers):
            if not (sub.wants(queue, agent_ids) or (supervisors and sub.role == "supervisor")):
                continue
            try:
                sub.outbox.put_nowait(data)
                sent += 1
            except asyncio.QueueFull:  # a stuck socket: drop it; the console re-syncs on reconnect
                log.warning("agent %s socket is not reading; closing it", sub.agent_id)
                self.remove(sub)
                asyncio.ensure_future(sub.ws.close(message=b"too slow"))
        return sent

    async def writer(self, sub: Subscriber) -> None:
        while True:
            data = await sub.outbox.get()
            await sub.ws.send_str(data)
