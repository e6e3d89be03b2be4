"""Live events across service instances: every instance's agents see every instance's events.

An agent's WebSocket is open on one instance, but the event it must see (a new ticket, a
shopper's message, a claim) can happen on any other. Hub.publish hands each event to this
fan-out, which publishes it on one Redis pub/sub channel; every instance (the sender too)
receives it and delivers it to its own sockets. Events carry `origin`, the instance where
they happened. Pub/sub is fire-and-forget by design: the console re-reads its tickets
when its socket reconnects, and the SQL record is the truth.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, List, Optional

from redis import asyncio as aioredis
from redis.exceptions import RedisError

from handoff.hub import Hub

log = logging.getLogger(__name__)
CHANNEL = "live"
PRESENCE = "presence"
PRESENCE_SECONDS = 2.0  # how often each instance says who is online on it


class Fanout:
    def __init__(self, redis: aioredis.Redis, prefix: str, hub: Hub, instance: str):
        self.redis, self.hub, self.instance = redis, hub, instance
        self.channel = f"{prefix}:{CHANNEL}"
        self.presence_key = f"{prefix}:{PRESENCE}"
        # One sender task drains this queue, so one instance's events keep their order.
        self.outbox: "asyncio.Queue[str]" = asyncio.Queue(maxsize=10_000)
        self.tasks: List[asyncio.Task] = []
        self.subscribed = asyncio.Event()
        self.received = 0

    async def start(self) -> None:
        self.tasks = [asyncio.create_task(self._listen()), asyncio.create_task(self._send()),
                      asyncio.create_task(self._presence())]
        self.hub.broadcaster = self.broadcast
        await asyncio.wait_for(self.subscribed.wait(), 10)

    async def stop(self) -> None:
        self.hub.broadcaster = None
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        try:
            await self.redis.hdel(self.presence_key, self.instance)
        except (RedisError, OSError):
            pass

    async def _presence(self) -> None:
        """Who is online on each instance (queue placement counts every instance's agents);
        an instance silent for five rounds (dead) no longer counts."""
        while True:
            try:
                mine = json.dumps({"at": time.time(), "agents": self.hub.presence()})
                await self.redis.hset(self.presence_key, self.instance, mine)
                others = []
                for name, raw in (await self.redis.hgetall(self.presence_key)).items():
                    entry = json.loads(raw)
                    if name != self.instance and time.time() - entry["at"] < 5 * PRESENCE_SECONDS:
                        others += [(int(a), str(r), list(q)) for a, r, q in entry["agents"]]
                self.hub.elsewhere = others
            except (RedisError, OSError, ValueError, KeyError, TypeError) as exc:
                log.warning("presence update failed: %s", exc)
            await asyncio.sleep(PRESENCE_SECONDS)

    def broadcast(self, event: Dict[str, Any], queue: Optional[str],
                  agent_ids: Optional[List[int]], supervisors: bool) -> None:
        event = {**event, "origin": self.instance}
        envelope = {"event": event, "queue": queue, "agent_ids": agent_ids,
                    "supervisors": supervisors}
        try:
            self.outbox.put_nowait(json.dumps(envelope, ensure_ascii=False, default=str))
        except asyncio.QueueFull:  # Redis is gone for long: at least this instance's agents
            log.warning("fan-out backlog full; delivering locally only")
            self.hub.deliver(event, queue, agent_ids, supervisors)

    async def _send(self) -> None:
        while True:
            data = await self.outbox.get()
            while True:
                try:
                    await self.redis.publish(self.channel, data)
                    break
                except (RedisError, OSError) as exc:
                    log.warning("fan-out publish failed (%s); retrying", exc)
                    await asyncio.sleep(0.5)

    async def _listen(self) -> None:
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self.subscribed.set()
                while True:  # short reads: a quiet channel is not a dead connection
                    message = await pubsub.get_message(ignore_subscribe_messages=True,
                                                       timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._deliver(message["data"])
            except asyncio.CancelledError:
                await _close_quietly(pubsub)
                raise
            except (RedisError, OSError) as exc:
                log.warning("fan-out subscription lost (%s); resubscribing", exc)
                await _close_quietly(pubsub)
                await asyncio.sleep(0.5)

    def _deliver(self, data: str) -> None:
        try:
            envelope = json.loads(data)
            self.hub.deliver(envelope["event"], envelope.get("queue"),
                             envelope.get("agent_ids"), bool(envelope.get("supervisors")))
            self.received += 1
        except (ValueError, KeyError, TypeError) as exc:
            log.error("fan-out: malformed message dropped (%r)", exc)


async def _close_quietly(pubsub, seconds: float = 2.0) -> None:
    """Close a subscription without waiting on a connection a cancelled read left half-used
    (redis-py's asyncio client can then wait forever): shutdown must never hang on it."""
    try:
        await asyncio.wait_for(pubsub.close(), seconds)
    except (asyncio.TimeoutError, RedisError, OSError):
        pass
