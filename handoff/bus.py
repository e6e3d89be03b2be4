"""Redis streams with consumer groups: the durable paths into and out of the service.

  <prefix>:events  tracker events from bot.broker (+ handoffs the bot could not POST)
  <prefix>:relay   agent messages, notices and hand-backs on their way to the shopper
(names and entry format: common.streams)

An entry is acknowledged only after its effect is committed, so a crash re-delivers it
(at-least-once); handlers are idempotent, so a re-delivery changes nothing (exactly-once effect).
A consumer first re-reads its own pending entries, then claims entries idle at dead consumers.
Every entry is signed with the shared secret (common.streams); an unsigned or forged entry is
refused, set aside in `<stream>:dead` and reported. If Redis lost the stream or the group (a
restart without persistence, a flush), the consumer creates them again and carries on with
whatever the stream still holds. Nothing trims an entry a group has not acknowledged.
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from redis import asyncio as aioredis
from redis.exceptions import ResponseError

from common import streams

log = logging.getLogger(__name__)
GROUP = "handoff-service"

Handler = Callable[[str, Dict[str, Any], bool], Awaitable[None]]
# Told a lane's entries (id, payload) before they are handled one by one, so a handler may do
# work common to several entries at once (the service records a message's events together).
LaneStart = Callable[[List[Tuple[str, Dict[str, Any]]]], None]
# called with every lane of a fresh read (entry id, payload or None) before they run
BatchStart = Callable[[List[List[Tuple[str, Optional[Dict[str, Any]]]]]], Awaitable[None]]
READ_COUNT = 100  # entries per read
# Errors that mean "this entry is malformed"; anything else (Redis, SQL, Rasa down) is retried.
PERMANENT = (KeyError, ValueError, TypeError)  # streams.ForgedEntry is a ValueError


def connect(url: str) -> aioredis.Redis:
    return aioredis.from_url(url, decode_responses=True, socket_timeout=10,
                             health_check_interval=30)


async def publish(redis: aioredis.Redis, secret: str, stream: str, payload: Dict[str, Any]) -> str:
    # No MAXLEN: a trim here could drop entries nobody has read yet (see trim_acknowledged).
    return await redis.xadd(stream, streams.seal(secret, stream, payload))


async def ensure_group(redis: aioredis.Redis, stream: str, group: str = GROUP) -> None:
    try:
        # "0": a new group also sees entries written while the service was never up.
        await redis.xgroup_create(stream, group, id="0", mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def is_nogroup(exc: BaseException) -> bool:
    """Redis lost the group, or deleted the stream while we were blocked reading it."""
    return isinstance(exc, ResponseError) and (
        "NOGROUP" in str(exc) or "no longer exists" in str(exc))


class LaneFailed(Exception):
    """Entries of some keys failed; their lanes wait, the others go on."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


@dataclass
class ConsumerState:
    """What /health reports about one consumer."""
    handled: int = 0
    refused: int = 0  # forged or unsigned entries set aside
    recreated: int = 0  # times the stream or group was gone and was created again
    failing_since: Optional[float] = None  # monotonic time of the first failure in a row
    last_error: str = ""

    def failing_for(self) -> float:
        return 0.0 if self.failing_since is None else time.monotonic() - self.failing_since


class Consumer:
    """One consumer of one stream: the entries of one key (a conversation) are handled strictly
    one after another, different keys concurrently."""

    def __init__(self, redis: aioredis.Redis, stream: str, consumer: str, handler: Handler,
                 secret: str, group: str = GROUP, block_ms: int = 1000,
                 claim_idle_ms: int = 60_000,
                 key: Optional[Callable[[Dict[str, Any]], str]] = None, concurrency: int = 16,
                 lane_start: Optional[LaneStart] = None,
                 batch: Optional[BatchStart] = None, linger: float = 0.0):
        self.redis, self.stream, self.consumer = redis, stream, consumer
        self.handler, self.group, self.secret = handler, group, secret
        self.lane_start = lane_start
        self.batch = batch
        self.linger = linger  # seconds to wait after a read that was not full
        self.key = key  # the ordering key (a conversation); None: the whole stream in order
        self.lanes = asyncio.Semaphore(concurrency)
        self.blocked: set = set()  # keys whose entries failed; retried at `retry_at`
        self.retry_at = 0.0
        self.block_ms, self.claim_idle_ms = block_ms, claim_idle_ms
        self.stopping = False
        self.state = ConsumerState()

    @property
    def handled(self) -> int:
        return self.state.handled

    async def _claim_orphans(self) -> None:
        try:
            await self.redis.xautoclaim(self.stream, self.group, self.consumer,
                                        min_idle_time=self.claim_idle_ms, start_id="0-0",
                                        count=500)
        except ResponseError as exc:
            if is_nogroup(exc):
                raise
            log.warning("xautoclaim failed: %s", exc)  # pragma: no cover - Redis < 6.2

    async def _read(self, pending: bool) -> List[Tuple[str, Dict[str, str]]]:
        resp = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: "0" if pending else ">"}, count=READ_COUNT,
            block=None if pending else self.block_ms)
        return resp[0][1] if resp else []

    async def _dead_letter(self, entry_id: str, fields: Dict[str, str], exc: Exception) -> None:
        if isinstance(exc, streams.ForgedEntry):
            self.state.refused += 1
            log.error("stream %s: REFUSED entry %s: not signed with the shared secret "
                      "(HANDOFF_TOKEN); someone without the secret wrote to Redis, or a "
                      "writer is misconfigured; moved to %s:dead", self.stream, entry_id,
                      self.stream)
        else:
            log.error("stream %s: entry %s is malformed (%r); moved to %s:dead", self.stream,
                      entry_id, exc, self.stream)
        await self.redis.xadd(f"{self.stream}:dead", {**fields, "entry_id": entry_id,
                                                      "error": repr(exc)[:500]},
                              maxlen=10_000, approximate=True)

    async def _handle(self, entries: List[Tuple[str, Dict[str, str]]], pending: bool) -> None:
        """Entries of one key (one conversation) strictly in order; different keys at once,
        so one slow conversation (or channel) does not hold up the others. A failure leaves
        that key's remaining entries pending: they are retried, in order, next round."""
        lanes: Dict[str, List[Tuple[str, Dict[str, str], Optional[Dict[str, Any]]]]] = {}
        for entry_id, fields in entries:
            payload: Optional[Dict[str, Any]] = None
            if fields:  # else: trimmed away while pending, nothing left to do
                try:
                    payload = streams.unseal(self.secret, self.stream, fields)
                except PERMANENT as exc:  # forged or unreadable: set aside at once
                    await self._dead_letter(entry_id, fields, exc)
                    await self._ack(entry_id)
                    continue
            lane = self.key(payload) if payload is not None and self.key else ""
            lanes.setdefault(lane, []).append((entry_id, fields, payload))
        if pending:  # a retry round: every stuck lane gets its chance again
            self.blocked = set()
        # A stuck lane's newer entries wait (unacknowledged) behind its pending ones.
        run = [key for key in lanes if pending or key not in self.blocked]
        if self.batch is not None and not pending:  # a retry round goes entry by entry
            try:
                await self.batch([[(entry_id, payload) for entry_id, _, payload in lanes[key]]
                                  for key in run])
            except Exception:  # its lanes still run: the handler does what the batch did not
                log.exception("stream %s: batch start failed", self.stream)
        results = await asyncio.gather(*(self._lane(lanes[key], pending) for key in run),
                                       return_exceptions=True)
        failures = [(key, r) for key, r in zip(run, results) if isinstance(r, BaseException)]
        self.blocked.update(key for key, _ in failures)
        if failures:
            raise LaneFailed(failures[0][1])

    async def _lane(self, items: List[Tuple[str, Dict[str, str], Optional[Dict[str, Any]]]],
                    pending: bool) -> None:
        async with self.lanes:
            if self.lane_start is not None:
                self.lane_start([(entry_id, payload) for entry_id, _, payload in items
                                 if payload is not None])
            # The lane's handled entries are acknowledged together when it ends (one XACK
            # instead of one per entry, ~10 per shopper message), also when an entry fails:
            # a crash before that re-delivers them, and handlers are idempotent.
            handled: List[str] = []
            try:
                for entry_id, fields, payload in items:
                    if payload is not None:
                        try:
                            await self.handler(entry_id, payload, pending)
                        except PERMANENT as exc:  # malformed: retrying cannot help, and
                            await self._dead_letter(entry_id, fields, exc)  # it would block
                    handled.append(entry_id)  # the lane
            finally:
                if handled:
                    await self._ack(*handled)

    async def _ack(self, *entry_ids: str) -> None:
        await self.redis.xack(self.stream, self.group, *entry_ids)
        self.state.handled += len(entry_ids)

    async def run(self) -> None:
        pending, backoff = True, 0.2
        while not self.stopping:
            try:
                if not pending and self.blocked and time.monotonic() >= self.retry_at:
                    pending = True
                if pending:
                    await ensure_group(self.redis, self.stream, self.group)
                    await self._claim_orphans()
                entries = await self._read(pending)
                if pending and not entries:
                    pending = False
                    continue
                await self._handle(entries, pending)
                if not self.blocked:
                    backoff, self.state.failing_since = 0.2, None
                if self.linger and not pending and 0 < len(entries) < READ_COUNT:
                    await asyncio.sleep(self.linger)  # let the next read gather more
            except asyncio.CancelledError:
                raise
            except LaneFailed as failed:  # the other conversations carry on meanwhile
                log.error("stream %s: %d conversation(s) stuck (%s); retrying them in "
                          "%.1f s", self.stream, len(self.blocked), failed.cause, backoff)
                if self.state.failing_since is None:
                    self.state.failing_since = time.monotonic()
                self.state.last_error = f"{type(failed.cause).__name__}: {failed.cause}"[:300]
                pending, self.retry_at = False, time.monotonic() + backoff
                backoff = min(backoff * 2, 10.0)
            except Exception as exc:  # keep the entry pending and retry it, in order, later
                if is_nogroup(exc):  # Redis lost the group (or the whole stream)
                    self.state.recreated += 1
                    log.error("stream %s: consumer group is gone (Redis restarted without "
                              "persistence or was flushed); creating it again", self.stream)
                else:
                    log.exception("stream %s: handler failed; retrying", self.stream)
                if self.state.failing_since is None:
                    self.state.failing_since = time.monotonic()
                self.state.last_error = f"{type(exc).__name__}: {exc}"[:300]
                pending = True
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


async def pending_count(redis: aioredis.Redis, stream: str, group: str = GROUP) -> int:
    try:
        info = await redis.xpending(stream, group)
    except ResponseError:
        return 0
    return int(info["pending"]) if info else 0


async def group_lag(redis: aioredis.Redis, stream: str, group: str = GROUP) -> Optional[Dict[str, Any]]:
    """Entries not yet read by the group (lag) and read but not acknowledged (pending);
    None when the stream or the group does not exist."""
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return None
    for info in groups:
        if info.get("name") == group:
            lag = info.get("lag")
            if lag is None:  # Redis < 7 does not report it: count what is left to read
                unread = await redis.xrange(stream, min=f"({info['last-delivered-id']}",
                                            max="+", count=10_000)
                lag = len(unread)
            return {"lag": int(lag), "pending": int(info.get("pending") or 0)}
    return None


async def trim_acknowledged(redis: aioredis.Redis, stream: str) -> int:
    """Drop the entries every consumer group of `stream` has acknowledged, nothing else.

    The oldest entry still needed is the oldest pending one of any group, or the next one a
    group has not read yet; a stream without groups is left alone (someone may create one).
    """
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:
        return 0
    if not groups:
        return 0
    keep: List[Tuple[int, int]] = []
    for info in groups:
        summary = await redis.xpending(stream, info["name"])
        if summary and summary.get("min"):  # the oldest entry this group has not acknowledged
            keep.append(_entry_id(summary["min"]))
        else:  # everything read is acknowledged: keep what it has not read yet
            ms, seq = _entry_id(info["last-delivered-id"])
            keep.append((ms, seq + 1))
    ms, seq = min(keep)
    return int(await redis.execute_command("XTRIM", stream, "MINID", f"{ms}-{seq}"))


def _entry_id(value: Any) -> Tuple[int, int]:
    text = value.decode() if isinstance(value, bytes) else str(value)
    ms, _, seq = text.partition("-")
    return int(ms), int(seq or 0)


def optional_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
