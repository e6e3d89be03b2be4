"""Shopper messages the widget sends again: each is handled once.

The widget keeps every message it sent until the server acknowledged it (the socket.io ack
comes when the channel has handled the message), and after a reconnect sends the unacknowledged
ones again with the same ``message_id``. The first copy may have been handled already (the ack
was lost with the connection), or may still be in progress in this process: this record tells.

Handled ids are kept in Redis (so a restarted Rasa knows them too) in one sorted set per
conversation, ``<prefix>:web:handled:<conversation>`` (member: the id, score: when it was
handled), trimmed on every write to the last ``HANDLED_SECONDS`` and the newest
``HANDLED_PER_CONVERSATION`` ids; the set expires ``HANDLED_SECONDS`` after the conversation's
last message. So Redis holds one small key per conversation active in the last hour, not a
key per message. Without Redis (unit tests) the ids are kept only in this process.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
import os
import time
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional

from common.ratelimit import connect

logger = logging.getLogger(__name__)
# How long a handled id is known. The widget sends an unacknowledged message again 30 s after
# sending it and on every reconnect (back-off up to 30 s); only a shopper who closes the page
# and comes back later sends it later. An hour covers reconnects with a wide margin.
HANDLED_SECONDS = 3600
# A copy is always of one of the conversation's latest messages: the widget sends in order and
# keeps only what is unacknowledged, which is what was typed since the connection dropped. 100
# ids is many times that, and keeps the set in Redis's compact encoding (up to 128 members; it
# holds one more between the add and the trim, and once past 128 it would stay large).
HANDLED_PER_CONVERSATION = 100


class HandledMessages:
    def __init__(self, redis_url: Optional[str], prefix: str, size: int = 10_000) -> None:
        self.redis_url, self.prefix, self.size = redis_url, prefix, size
        self._redis: Any = None
        self.local: "OrderedDict[tuple, bool]" = OrderedDict()
        self.inflight: Dict[str, asyncio.Event] = {}

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "HandledMessages":
        env = os.environ if env is None else env
        prefix = (env.get("REDIS_KEY_PREFIX") or "frontline").rstrip(":") + ":web:handled"
        return cls(env.get("REDIS_URL"), prefix)

    def key(self, sender: str) -> str:
        """The conversation's set of handled ids in Redis."""
        return f"{self.prefix}:{sender}"

    def _client(self) -> Any:
        if self._redis is None:
            self._redis = connect(self.redis_url)
        return self._redis

    async def _handled(self, sender: str, message_id: str) -> bool:
        if (sender, message_id) in self.local:
            return True
        if not self.redis_url:
            return False
        try:
            handled_at = await self._client().zscore(self.key(sender), message_id)
        except Exception as exc:  # Redis down: handle it (the service stores it once anyway)
            logger.warning("web channel: cannot check message %s of %s (%s)", message_id, sender, exc)
            return False
        return handled_at is not None and float(handled_at) > time.time() - HANDLED_SECONDS

    async def _remember(self, sender: str, message_id: str) -> None:
        self.local[(sender, message_id)] = True
        while len(self.local) > self.size:
            self.local.popitem(last=False)
        if not self.redis_url:
            return
        key, now = self.key(sender), time.time()
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                pipe.zadd(key, {message_id: now})
                pipe.zremrangebyscore(key, "-inf", now - HANDLED_SECONDS)
                pipe.zremrangebyrank(key, 0, -HANDLED_PER_CONVERSATION - 1)
                pipe.expire(key, HANDLED_SECONDS)
                await pipe.execute()
        except Exception as exc:
            logger.warning("web channel: cannot record message %s of %s (%s)", message_id, sender, exc)

    async def once(self, sender: str, message_id: Optional[str],
                   handle: Callable[[], Awaitable[Any]]) -> bool:
        """Run `handle` unless this message was handled (or is being handled) already;
        True when it ran. A copy that arrives while the first is in progress waits for it."""
        if not message_id:
            await handle()
            return True
        key = f"{sender}:{message_id}"
        running = self.inflight.get(key)
        if running is not None:
            await running.wait()
            return False
        if await self._handled(sender, message_id):
            return False
        done = self.inflight[key] = asyncio.Event()
        try:
            await handle()
            await self._remember(sender, message_id)
        finally:
            self.inflight.pop(key, None)
            done.set()
        return True
