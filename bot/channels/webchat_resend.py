"""Shopper messages the widget sends again: each is handled once.

The widget keeps every message it sent until the server acknowledged it (the socket.io ack
comes when the channel has handled the message), and after a reconnect sends the unacknowledged
ones again with the same ``message_id``. The first copy may have been handled already (the ack
was lost with the connection), or may still be in progress in this process: this record tells.
Handled ids are kept in Redis for an hour (``<prefix>:web:handled:<conversation>:<id>``, so a
restarted Rasa knows them too); without Redis (unit tests) only in this process.
"""
from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional
import os

from common.ratelimit import connect

logger = logging.getLogger(__name__)
HANDLED_SECONDS = 3600  # the widget sends again on its next (re)connect: minutes, not hours


class HandledMessages:
    def __init__(self, redis_url: Optional[str], prefix: str, size: int = 10_000) -> None:
        self.redis_url, self.prefix, self.size = redis_url, prefix, size
        self._redis: Any = None
        self.local: "OrderedDict[str, bool]" = OrderedDict()
        self.inflight: Dict[str, asyncio.Event] = {}

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "HandledMessages":
        env = os.environ if env is None else env
        prefix = (env.get("REDIS_KEY_PREFIX") or "frontline").rstrip(":") + ":web:handled"
        return cls(env.get("REDIS_URL"), prefix)

    def _key(self, sender: str, message_id: str) -> str:
        return f"{self.prefix}:{sender}:{message_id}"

    async def _handled(self, key: str) -> bool:
        if key in self.local:
            return True
        if not self.redis_url:
            return False
        try:
            if self._redis is None:
                self._redis = connect(self.redis_url)
            return bool(await self._redis.exists(key))
        except Exception as exc:  # Redis down: handle it (the service stores it once anyway)
            logger.warning("web channel: cannot check message %s (%s)", key, exc)
            return False

    async def _remember(self, key: str) -> None:
        self.local[key] = True
        while len(self.local) > self.size:
            self.local.popitem(last=False)
        if self.redis_url:
            try:
                if self._redis is None:
                    self._redis = connect(self.redis_url)
                await self._redis.set(key, "1", ex=HANDLED_SECONDS)
            except Exception as exc:
                logger.warning("web channel: cannot record message %s (%s)", key, exc)

    async def once(self, sender: str, message_id: Optional[str],
                   handle: Callable[[], Awaitable[Any]]) -> bool:
        """Run `handle` unless this message was handled (or is being handled) already;
        True when it ran. A copy that arrives while the first is in progress waits for it."""
        if not message_id:
            await handle()
            return True
        key = self._key(sender, message_id)
        running = self.inflight.get(key)
        if running is not None:
            await running.wait()
            return False
        if await self._handled(key):
            return False
        done = self.inflight[key] = asyncio.Event()
        try:
            await handle()
            await self._remember(key)
        finally:
            self.inflight.pop(key, None)
            done.set()
        return True
