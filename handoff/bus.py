"""Redis streams with consumer groups: the durable paths into and out of the service.

  <prefix>:events  tracker events from bot.broker (+ handoffs the bot could not POST)
  <prefix>:relay   agent messages, notices and hand-backs on their way to the shopper

An entry is acknowledged only after its effect is committed, so a crash re-delivers it
(at-least-once); handlers are idempotent, so a re-delivery changes nothing (exactly-once effect).
A consumer first re-reads its own pending entries, then claims entries idle at dead consumers.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from redis import asyncio as aioredis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)
EVENTS = "events"
RELAY = "relay"
GROUP = "handoff-service"
MAXLEN = 200_000  # approximate trim: the streams are a transport, SQL is the record

Handler = Callable[[str, Dict[str, Any], bool], Awaitable[None]]
# Errors that mean "this entry is malformed"; anything else (Redis, SQL, Rasa down) is retried.
PERMANENT = (KeyError, ValueError, TypeError)


def key(prefix: str, name: str) -> str:
    return f"{prefix}:{name}"


def encode(payload: Dict[str, Any]) -> Dict[str, str]:
    return {"json": json.dumps(payload, ensure_ascii=False, default=str)}


def decode(fields: Dict[str, str]) -> Dict[str, Any]:
    return json.loads(fields["json"])


def connect(url: str) -> aioredis.Redis:
    return aioredis.from_url(url, decode_responses=True, socket_timeout=10,
                             health_check_interval=30)


async def publish(redis: aioredis.Redis, stream: str, payload: Dict[str, Any]) -> str:
    return await redis.xadd(stream, encode(payload), maxlen=MAXLEN, approximate=True)


async def ensure_group(redis: aioredis.Redis, stream: str, group: str = GROUP) -> None:
    try:
        # "0": a new group also sees entries written while the service was never up.
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class Consumer:
    """One ordered consumer of one stream: entries are handled strictly one after another."""

    def __init__(self, redis: aioredis.Redis, stream: str, consumer: str, handler: Handler,
                 group: str = GROUP, block_ms: int = 1000, claim_idle_ms: int = 60_000):
        self.redis, self.stream, self.consumer = redis, stream, consumer
        self.handler, self.group = handler, group
        self.block_ms, self.claim_idle_ms = block_ms, claim_idle_ms
        self.stopping = False
        self.handled = 0

    async def _claim_orphans(self) -> None:
        try:
            await self.redis.xautoclaim(self.stream, self.group, self.consumer,
                                        min_idle_time=self.claim_idle_ms, start_id="0-0",
                                        count=500)
        except ResponseError as exc:  # pragma: no cover - Redis < 6.2
            log.warning("xautoclaim failed: %s", exc)

    async def _read(self, pending: bool) -> List[Tuple[str, Dict[str, str]]]:
        resp = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: "0" if pending else ">"}, count=100,
            block=None if pending else self.block_ms)
        return resp[0][1] if resp else []

    async def _dead_letter(self, entry_id: str, fields: Dict[str, str], exc: Exception) -> None:
        log.error("stream %s: entry %s is malformed (%r); moved to %s:dead", self.stream,
                  entry_id, exc, self.stream)
        await self.redis.xadd(f"{self.stream}:dead", {**fields, "entry_id": entry_id,
                                                      "error": repr(exc)[:500]},
                              maxlen=10_000, approximate=True)

    async def run(self) -> None:
        await ensure_group(self.redis, self.stream, self.group)
        pending, backoff = True, 0.2
        while not self.stopping:
            try:
                if pending:
                    await self._claim_orphans()
                entries = await self._read(pending)
                if pending and not entries:
                    pending = False
                    continue
                for entry_id, fields in entries:
                    if not fields:  # trimmed away while pending: nothing left to do
                        await self.redis.xack(self.stream, self.group, entry_id)
                        continue
                    try:
                        await self.handler(entry_id, decode(fields), pending)
                    except PERMANENT as exc:  # malformed: retrying cannot help, and it
                        await self._dead_letter(entry_id, fields, exc)  # would block the stream
                    await self.redis.xack(self.stream, self.group, entry_id)
                    self.handled += 1
                backoff = 0.2
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the entry pending and retry it, in order, after a pause
                log.exception("stream %s: handler failed; retrying", self.stream)
                pending = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


async def pending_count(redis: aioredis.Redis, stream: str, group: str = GROUP) -> int:
    try:
        info = await redis.xpending(stream, group)
    except ResponseError:
        return 0
    return int(info["pending"]) if info else 0


def optional_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
