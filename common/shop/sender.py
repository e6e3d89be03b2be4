"""The outbox sender: a background task in each process that owns an outbox table.

One round: claim due rows (leased, so replicas never send the same row at the same time),
send each with its idempotency key, record the answer (and apply it locally in the same
transaction), retry transport failures with exponential back-off, dead-letter after N attempts,
poll pending answers, and tell shoppers the answers they have not heard yet.
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Awaitable, Callable, Optional

import aiohttp
from sqlalchemy import Table
from sqlalchemy.engine import Connection, Engine

from common.shop import outbox
from common.shop.backoff import Backoff
from common.shop.client import (ShopAnswer, ShopClient, ShopRejected, ShopUnavailable,
                                shop_url)
from common.shop.outbox import OutboxRow
from common.shop.signing import shop_secret

log = logging.getLogger(__name__)

# Runs inside the transaction that records a final answer: the local consequence of a
# refusal (the order is not cancelled after all) commits together with the answer.
ApplyAnswer = Callable[[Connection, OutboxRow, ShopAnswer], None]
# Tells the shopper a final answer on their own channel; False means "try again later".
TellShopper = Callable[[OutboxRow], Awaitable[bool]]
PENDING_POLL = Backoff(base=2.0, factor=1.5, cap=120.0, max_attempts=10 ** 6, jitter=0.1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class OutboxSender:
    def __init__(self, engine: Engine, table: Table, client: ShopClient,
                 apply: Optional[ApplyAnswer] = None, tell: Optional[TellShopper] = None,
                 backoff: Backoff = Backoff(), lease_seconds: float = 60.0,
                 idle_seconds: float = 1.0, worker: Optional[str] = None):
        self.engine, self.table, self.client = engine, table, client
        self.apply, self.tell = apply, tell
        self.backoff, self.lease, self.idle = backoff, lease_seconds, idle_seconds
        self.worker = worker or worker_name()
        self._wake = asyncio.Event()

    def nudge(self) -> None:
        """Something was just queued: send now instead of at the next tick."""
        self._wake.set()

    async def run_forever(self) -> None:
        while True:
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database is away: the next round tries again
                log.exception("shop outbox round failed")
                busy = 0
            if busy:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self.idle)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def run_once(self) -> int:
        """One round; the number of rows sent or told."""
        rows = await asyncio.to_thread(outbox.claim, self.engine, self.table, self.worker,
                                       self.lease)
        for row in rows:
            await self.deliver(row)
        told = await self.tell_untold() if self.tell else 0
        return len(rows) + told

    async def deliver(self, row: OutboxRow) -> None:
        try:
            if row.status == "pending":
                answer = await self.client.status(row.idempotency_key)
            else:
                answer = await self.client.submit(row.kind, row.order_no, row.payload,
                                                  row.idempotency_key)
        except ShopUnavailable as exc:
            await self._failed(row, str(exc), permanent=False)
            return
        except ShopRejected as exc:
            await self._failed(row, str(exc), permanent=True)
            return
        await asyncio.to_thread(self._record, row, answer)
        log.info("shop outbox %s %s %s: %s %s", row.id, row.kind, row.order_no, answer.status,
                 answer.reason or "")

    def _record(self, row: OutboxRow, answer: ShopAnswer) -> None:
        next_poll = None
        if answer.status == "pending":
            polls = row.attempts + 1 if row.status == "pending" else 1
            next_poll = outbox.utcnow() + timedelta(seconds=PENDING_POLL.delay(polls))
        with self.engine.begin() as conn:
            mine = outbox.record_answer(conn, self.table, row.id, self.worker, answer.status,
                                        answer.reason, answer.reference, next_poll)
            if mine and answer.status == "pending":
                conn.execute(self.table.update().where(self.table.c.id == row.id).values(
                    attempts=row.attempts + 1 if row.status == "pending" else 0))
            if mine and answer.status in outbox.FINAL_STATES and self.apply is not None:
                self.apply(conn, row, answer)

    async def _failed(self, row: OutboxRow, error: str, permanent: bool) -> None:
        attempts = row.attempts + 1
        retry_at = None
        if not permanent and not self.backoff.gives_up(attempts):
            retry_at = outbox.utcnow() + timedelta(seconds=self.backoff.delay(attempts))
        log.warning("shop outbox %s %s %s: attempt %d failed (%s)%s", row.id, row.kind,
                    row.order_no, attempts, error, "" if retry_at else ": dead-lettered")

        def work() -> None:
            with self.engine.begin() as conn:
                outbox.record_failure(conn, self.table, row.id, self.worker, error, attempts,
                                      retry_at)
        await asyncio.to_thread(work)

    async def tell_untold(self) -> int:
        """Answers that came after the shopper was told "submitted" (or heard nothing)."""
        assert self.tell is not None

        def pick():
            with self.engine.begin() as conn:
                found = outbox.untold_answers(conn, self.table)
                return [r for r in found if outbox.mark_told(
                    conn, self.table, r.idempotency_key, "final", r.shopper_told)]
        told = 0
        for row in await asyncio.to_thread(pick):
            ok = False
            try:
                ok = await self.tell(row)
            except Exception:
                log.exception("telling the shopper about outbox row %s failed", row.id)
            if ok:
                told += 1
                continue

            def undo(row: OutboxRow = row) -> None:  # heard nothing: try again next round
                with self.engine.begin() as conn:
                    outbox.mark_told(conn, self.table, row.idempotency_key,
                                     row.shopper_told or "submitted", "final")
            await asyncio.to_thread(undo)
        return told


@dataclass
class RunningSender:
    sender: OutboxSender
    task: "asyncio.Future[None]"
    session: aiohttp.ClientSession


async def start(engine: Engine, table: Table, apply: Optional[ApplyAnswer] = None,
                tell: Optional[TellShopper] = None) -> Optional[RunningSender]:
    """Start this process's sender (None without SHOP_URL); for an app whose tables exist only
    after its own start-up step, where a cleanup_ctx would run too early."""
    if not shop_url():
        return None
    session = aiohttp.ClientSession()
    sender = OutboxSender(engine, table, ShopClient(shop_url(), shop_secret(), session),
                          apply=apply, tell=tell)
    return RunningSender(sender, asyncio.ensure_future(sender.run_forever()), session)


async def stop(running: Optional[RunningSender]) -> None:
    if running is None:
        return
    running.task.cancel()
    await asyncio.gather(running.task, return_exceptions=True)
    await running.session.close()
