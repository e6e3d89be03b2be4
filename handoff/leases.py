"""Run-once work across service instances: a lease in Redis, held by one instance at a time.

Periodic work (the escalation sweep) and the ordered stream consumers run only where the lease
is held, so N instances neither escalate a ticket N times nor handle one conversation's
entries concurrently. A holder renews well before the lease's time-to-live; an instance that
dies stops renewing and another takes over within one time-to-live.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Callable, Optional, Protocol

from redis import asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Renew only what we hold, release only what we hold: compare-and-act in one Lua call.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Lease:
    """One named lease: `hold()` acquires or renews it; it says whether this owner has it."""

    def __init__(self, redis: aioredis.Redis, key: str, owner: str, ttl_seconds: float = 10.0):
        self.redis, self.key, self.owner = redis, key, owner
        self.ttl_ms = max(1000, int(ttl_seconds * 1000))
        self.held = False

    async def hold(self) -> bool:
        try:
            if self.held and await self.redis.eval(_RENEW, 1, self.key, self.owner, self.ttl_ms):
                return True
            self.held = bool(await self.redis.set(self.key, self.owner, nx=True, px=self.ttl_ms))
            if not self.held:  # our own lease after a restart with the same owner name
                self.held = bool(await self.redis.eval(_RENEW, 1, self.key, self.owner,
                                                       self.ttl_ms))
        except (RedisError, OSError) as exc:
            log.warning("lease %s: Redis unreachable (%s); not holding it", self.key, exc)
            self.held = False
        return self.held

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        try:
            await self.redis.eval(_RELEASE, 1, self.key, self.owner)
        except (RedisError, OSError):
            pass  # it expires by itself

    async def holder(self) -> Optional[str]:
        return await self.redis.get(self.key)


class Stoppable(Protocol):
    stopping: bool

    async def run(self) -> None: ...


class LeasedWorker:
    """Runs a worker (a stream consumer) only while its lease is held, on one instance."""

    def __init__(self, lease: Lease, make: Callable[[], Stoppable], grace_seconds: float = 10.0):
        self.lease, self.make, self.grace = lease, make, grace_seconds
        self.worker: Optional[Stoppable] = None
        self.task: Optional[asyncio.Task] = None

    @property
    def active(self) -> bool:
        return self.task is not None and not self.task.done()

    async def keep(self) -> None:
        """The lease loop: start the worker when the lease is won, stop it when it is lost."""
        interval = self.lease.ttl_ms / 3000
        while True:
            held = await self.lease.hold()
            if held and not self.active:
                log.info("lease %s won by %s: starting", self.lease.key, self.lease.owner)
                self.worker = self.make()
                self.task = asyncio.create_task(self.worker.run())
            elif not held and self.active:
                log.warning("lease %s lost by %s: stopping", self.lease.key, self.lease.owner)
                await self._stop_worker()
            await asyncio.sleep(interval)

    async def _stop_worker(self) -> None:
        """Let the entry in flight finish (the worker checks `stopping` between entries)."""
        if self.worker is not None:
            self.worker.stopping = True
        if self.task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self.task), self.grace)
            except asyncio.TimeoutError:
                self.task.cancel()
            except Exception:  # the worker's own failure: it is logged there
                pass
            if not self.task.done():
                self.task.cancel()
                await asyncio.gather(self.task, return_exceptions=True)
        self.worker, self.task = None, None

    async def stop(self) -> None:
        await self._stop_worker()
        await self.lease.release()  # hand over at once rather than after a time-to-live
