"""One rate limiter for every door that can be knocked on: console and API logins, phone-digit
checks, widget uploads and socket.io session joins.

Counters live in Redis (shared by every worker, kept across restarts) and each check-and-count
is one Lua script, so parallel attempts cannot all read "4 of 5" and all pass: the 6th attempt
is refused however many arrive at once. A refused attempt is not counted, and its verdict says
how long until the next one is allowed (HTTP ``Retry-After``).

Windows are fixed and start at the first attempt; the attempt that fills a window restarts it,
so a lock-out lasts the whole window after the last allowed attempt.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional

# KEYS[1] counter; ARGV: limit, window ms, cost. Returns {allowed, count, ms to reset}.
_HIT = """
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count + cost > limit then
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then
    redis.call('PEXPIRE', KEYS[1], window)
    left = window
  end
  return {0, count, left}
end
count = redis.call('INCRBY', KEYS[1], cost)
if count == cost or count >= limit then
  redis.call('PEXPIRE', KEYS[1], window)
end
return {1, count, redis.call('PTTL', KEYS[1])}
"""
# Give back what an attempt reserved (a right password must not use up a spraying budget).
_REFUND = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count <= 0 then return 0 end
local cost = math.min(count, tonumber(ARGV[1]))
return redis.call('DECRBY', KEYS[1], cost)
"""


@dataclass(frozen=True)
class Limit:
    """At most ``attempts`` (summed costs) per ``seconds`` for each key of one kind."""

    kind: str  # part of the Redis key, e.g. "console:failed"
    attempts: int
    seconds: float

    @property
    def enabled(self) -> bool:
        return self.attempts > 0 and self.seconds > 0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int = 0  # whole seconds until the window resets (0 when allowed)

    @property
    def reached(self) -> bool:
        """Allowed, but nothing more is until the window resets."""
        return self.retry_after > 0


ALLOWED = Verdict(True, 0)


class RateLimiter:
    """Fixed-window counters under ``prefix`` on a ``redis.asyncio`` client."""

    def __init__(self, redis: Any, prefix: str) -> None:
        self.redis = redis
        self.prefix = prefix.rstrip(":")
        self._hit = redis.register_script(_HIT)
        self._refund = redis.register_script(_REFUND)

    def key(self, limit: Limit, subject: str) -> str:
        return f"{self.prefix}:{limit.kind}:{subject}"

    async def hit(self, limit: Limit, subject: str, cost: int = 1) -> Verdict:
        """Count one attempt (of ``cost``) unless that would pass the limit; atomic."""
        if not limit.enabled:
            return ALLOWED
        allowed, count, left_ms = await self._hit(
            keys=[self.key(limit, subject)],
            args=[limit.attempts, max(1, int(limit.seconds * 1000)), cost])
        count = int(count)
        if allowed:
            # Filling the window is allowed, and says how long the lock that follows lasts.
            full = count >= limit.attempts
            return Verdict(True, count, _seconds(left_ms) if full else 0)
        return Verdict(False, count, _seconds(left_ms))

    async def peek(self, limit: Limit, subject: str) -> Verdict:
        """Whether one more attempt would be allowed, without counting it."""
        if not limit.enabled:
            return ALLOWED
        key = self.key(limit, subject)
        count = int(await self.redis.get(key) or 0)
        if count < limit.attempts:
            return Verdict(True, count)
        return Verdict(False, count, _seconds(await self.redis.pttl(key)))

    async def refund(self, limit: Limit, subject: str, cost: int = 1) -> None:
        if limit.enabled:
            await self._refund(keys=[self.key(limit, subject)], args=[cost])

    async def reset(self, limit: Limit, subject: str) -> None:
        await self.redis.delete(self.key(limit, subject))


def _seconds(left_ms: Optional[int]) -> int:
    left = int(left_ms or 0)
    return max(1, math.ceil(left / 1000)) if left > 0 else 1


def connect(url: str) -> Any:
    """A ``redis.asyncio`` client for a limiter (short timeouts: a login must not hang)."""
    from redis import asyncio as aioredis

    return aioredis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
