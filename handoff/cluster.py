"""This instance's part among N handoff-service instances sharing Redis and PostgreSQL.

- live events: every instance's events reach every instance's agents (handoff.fanout);
- the ordered streams (events in, relay out) are each consumed by one instance at a time,
  under a lease, so one conversation's entries are handled in order, never concurrently by
  two instances; when the holder dies another takes over within a lease's time-to-live and
  first re-reads what the dead one left unacknowledged (handlers are idempotent);
- the escalation sweep runs where its lease is held, so a breach is escalated once.
Claims need nothing here: they are single conditional UPDATEs in SQL (handoff.store).
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Dict, List, Optional

from handoff.fanout import Fanout
from handoff.leases import Lease, LeasedWorker

if TYPE_CHECKING:  # pragma: no cover
    from handoff.service import Service

log = logging.getLogger(__name__)


class Cluster:
    def __init__(self, service: "Service"):
        settings, redis = service.settings, service.redis
        self.instance = settings.consumer_name
        prefix = settings.redis_prefix
        self.fanout = Fanout(redis, prefix, service.hub, self.instance)

        def lease(name: str, ttl: float) -> Lease:
            return Lease(redis, f"{prefix}:lease:{name}", self.instance, ttl)

        def worker(name: str) -> LeasedWorker:
            return LeasedWorker(lease(name, settings.lease_seconds),
                                lambda: service.make_consumer(name))
        self.names = ("events", "relay")
        self.workers: Dict[str, LeasedWorker] = {name: worker(name) for name in self.names}
        # Held across sweeps (longer than the pause between them), so one instance keeps it.
        self.sweep_lease = lease("sweep", max(settings.lease_seconds, 2 * settings.sweep_seconds))
        self.tasks: List[asyncio.Task] = []

    async def start(self, run_workers: bool) -> None:
        await self.fanout.start()
        if run_workers:
            self.tasks = [asyncio.create_task(w.keep()) for w in self.workers.values()]

    async def may_sweep(self) -> bool:
        return await self.sweep_lease.hold()

    def consuming(self) -> List[str]:
        return [w.lease.key for w in self.workers.values() if w.active]

    def consumer(self, name: str):
        """This instance's consumer of a stream, or None while another instance holds it."""
        worker = self.workers[name]
        return worker.worker if worker.active else None

    async def stop(self) -> None:
        """Finish the entries in flight, then hand the leases over at once."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await asyncio.gather(*(w.stop() for w in self.workers.values()), return_exceptions=True)
        await self.sweep_lease.release()
        await self.fanout.stop()


def instance_of(cluster: Optional[Cluster]) -> str:
    return cluster.instance if cluster is not None else ""
