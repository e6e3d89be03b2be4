"""The transactional outbox: what Frontline changed, waiting to be told to the shop.

A process writes a row with `enqueue()` in the same transaction as its local change, so either
both exist or neither does. The sender (common.shop.sender) later claims rows, sends them with
their idempotency key and records the shop's answer here. Each process keeps the table in its
own database: the shop's store uses `shop_outbox`, the handoff service `handoff_shop_outbox`
(both may share one PostgreSQL database, hence two names).

Row life:  queued -> (sent) -> accepted | refused | pending -> accepted | refused
                    \\-> retried with back-off -> dead (after N attempts; an operator retries)

`shopper_told` records what the shopper has heard: NULL (nothing yet), "submitted" (that it was
sent to the shop) or "final" (the shop's answer), so each answer is told exactly once.
Operator view: `python -m common.shop.outbox list|dead|retry ID` (docs/shop-connector.md).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, List, Optional

from sqlalchemy import (JSON, Column, DateTime, Integer, MetaData, String, Table, Text, and_,
                        create_engine, or_, select, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

KINDS = ("cancel", "change_address", "return_request", "refund_request", "carrier_inquiry",
         "coupon", "reship")
OPEN_STATES = ("queued", "pending")
FINAL_STATES = ("accepted", "refused")
STORE_TABLE = "shop_outbox"
HANDOFF_TABLE = "handoff_shop_outbox"


def outbox_columns() -> List[Column]:
    """The outbox's columns, new objects on each call (a Column belongs to one table).

    The model below and both processes' outbox migrations (the store's 0003_shop_outbox, the
    service's 0007_shop_outbox) build the table from this one list, so what is migrated is
    what the code reads and writes (tests/integration/test_shop_outbox_pg.py compares them).
    It is the shape those migrations created: a later change is a new migration in each
    process plus a column added in `outbox_table()`, never an edit here, or databases
    migrated before and after the edit would differ."""
    return [
        Column("id", Integer, primary_key=True),
        Column("kind", String(32), nullable=False),
        Column("order_no", String(32), nullable=False, index=True),
        Column("payload", JSON, nullable=False),
        Column("idempotency_key", String(80), nullable=False, unique=True),
        Column("status", String(16), nullable=False, index=True),
        Column("attempts", Integer, nullable=False, default=0, server_default="0"),
        Column("next_attempt_at", DateTime, nullable=False, index=True),
        Column("claimed_by", String(64), nullable=True),
        Column("claimed_until", DateTime, nullable=True),
        Column("reason", Text, nullable=True),  # the shop's reason for a refusal
        Column("reference", String(64), nullable=True),  # the shop's id for the request
        Column("last_error", Text, nullable=True),
        Column("conversation_id", String(255), nullable=True),
        Column("notice", JSON, nullable=True),  # what to tell the shopper: lang, what, done
        Column("shopper_told", String(16), nullable=True),
        Column("created_at", DateTime, nullable=False),
        Column("updated_at", DateTime, nullable=False),
        Column("answered_at", DateTime, nullable=True),
    ]


def outbox_table(metadata: MetaData, name: str) -> Table:
    """The outbox under a process's own table name (STORE_TABLE or HANDOFF_TABLE)."""
    return Table(name, metadata, *outbox_columns())


STORE_OUTBOX = outbox_table(MetaData(), STORE_TABLE)
HANDOFF_OUTBOX = outbox_table(MetaData(), HANDOFF_TABLE)


def utcnow() -> datetime:
    return datetime.utcnow()


@dataclass
class OutboxRow:
    id: int
    kind: str
    order_no: str
    payload: Dict[str, Any]
    idempotency_key: str
    status: str
    attempts: int
    reason: Optional[str]
    reference: Optional[str]
    last_error: Optional[str]
    conversation_id: Optional[str]
    notice: Optional[Dict[str, Any]]
    shopper_told: Optional[str]
    created_at: datetime
    answered_at: Optional[datetime]

    @classmethod
    def of(cls, row: Any) -> "OutboxRow":
        m = row._mapping
        return cls(**{name: m[name] for name in cls.__dataclass_fields__})


def enqueue(session: Session, kind: str, order_no: str, payload: Dict[str, Any],
            idempotency_key: str, table: Table = STORE_OUTBOX,
            conversation_id: Optional[str] = None,
            notice: Optional[Dict[str, Any]] = None) -> str:
    """Add a row in the caller's transaction (committed or rolled back with its change).

    A key already queued is not queued again: a retried action makes one request."""
    if kind not in KINDS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    existing = session.execute(select(table.c.id).where(
        table.c.idempotency_key == idempotency_key)).first()
    if existing is not None:
        return idempotency_key
    now = utcnow()
    session.execute(table.insert().values(
        kind=kind, order_no=order_no, payload=payload, idempotency_key=idempotency_key,
        status="queued", attempts=0, next_attempt_at=now, conversation_id=conversation_id,
        notice=notice, created_at=now, updated_at=now))
    return idempotency_key


def claim(engine: Engine, table: Table, worker: str, lease_seconds: float = 60,
          limit: int = 10) -> List[OutboxRow]:
    """Rows due now that no other replica holds, leased to `worker`.

    PostgreSQL: SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers never wait on or take
    each other's rows. SQLite (one writer at a time): a compare-and-set on the lease. A worker
    that dies keeps its rows only until the lease ends."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    free = or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    due = and_(table.c.status.in_(OPEN_STATES), table.c.next_attempt_at <= now, free)
    query = select(table.c.id).where(due).order_by(table.c.id).limit(limit)
    claimed: List[int] = []
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            ids = [r.id for r in conn.execute(query.with_for_update(skip_locked=True))]
            if ids:
                conn.execute(update(table).where(table.c.id.in_(ids)).values(
                    claimed_by=worker, claimed_until=until))
            claimed = ids
        else:
            for row_id in [r.id for r in conn.execute(query)]:
                done = conn.execute(update(table).where(table.c.id == row_id, free).values(
                    claimed_by=worker, claimed_until=until))
                if done.rowcount == 1:
                    claimed.append(row_id)
        if not claimed:
            return []
        rows = conn.execute(select(table).where(table.c.id.in_(claimed)).order_by(table.c.id))
        return [OutboxRow.of(r) for r in rows]


def _mine(table: Table, row_id: int, worker: str):
    return and_(table.c.id == row_id, table.c.claimed_by == worker)


def record_answer(conn: Connection, table: Table, row_id: int, worker: str, status: str,
                  reason: Optional[str] = None, reference: Optional[str] = None,
                  next_poll: Optional[datetime] = None) -> bool:
    """The shop answered: accepted | refused | pending (polled again at `next_poll`)."""
    now = utcnow()
    values: Dict[str, Any] = dict(status=status, reason=reason, reference=reference,
                                  updated_at=now, claimed_by=None, claimed_until=None,
                                  last_error=None)
    if status in FINAL_STATES:
        values["answered_at"] = now
    else:
        values["next_attempt_at"] = next_poll or now
    return conn.execute(update(table).where(_mine(table, row_id, worker)).values(
        **values)).rowcount == 1


def record_failure(conn: Connection, table: Table, row_id: int, worker: str, error: str,
                   attempts: int, retry_at: Optional[datetime]) -> bool:
    """Not delivered: try again at `retry_at`, or dead-letter it when that is None."""
    values: Dict[str, Any] = dict(attempts=attempts, last_error=error[:500], updated_at=utcnow(),
                                  claimed_by=None, claimed_until=None)
    if retry_at is None:
        values["status"] = "dead"
    else:
        values["next_attempt_at"] = retry_at
    return conn.execute(update(table).where(_mine(table, row_id, worker)).values(
        **values)).rowcount == 1


def mark_told(conn: Connection, table: Table, key: str, told: str,
              expected: Optional[str] = None) -> bool:
    """Compare-and-set of what the shopper heard: whoever flips it tells, nobody else."""
    was = table.c.shopper_told.is_(None) if expected is None else table.c.shopper_told == expected
    return conn.execute(update(table).where(table.c.idempotency_key == key, was).values(
        shopper_told=told)).rowcount == 1


def find(conn: Connection, table: Table, key: str) -> Optional[OutboxRow]:
    row = conn.execute(select(table).where(table.c.idempotency_key == key)).first()
    return OutboxRow.of(row) if row is not None else None


def untold_answers(conn: Connection, table: Table, quiet_seconds: float = 30,
                   limit: int = 20) -> List[OutboxRow]:
    """Final answers the shopper has not heard: told "submitted", or never told anything
    (the action died before replying) for longer than `quiet_seconds`."""
    old = utcnow() - timedelta(seconds=quiet_seconds)
    rows = conn.execute(select(table).where(
        table.c.status.in_(FINAL_STATES), table.c.conversation_id.isnot(None),
        or_(table.c.shopper_told == "submitted",
            and_(table.c.shopper_told.is_(None), table.c.created_at < old))
    ).order_by(table.c.id).limit(limit))
    return [OutboxRow.of(r) for r in rows]


# --- operator view ---------------------------------------------------------------------------
def rows(conn: Connection, table: Table, status: Optional[str] = None,
         limit: int = 50) -> List[OutboxRow]:
    query = select(table).order_by(table.c.id.desc()).limit(limit)
    if status:
        query = query.where(table.c.status == status)
    return [OutboxRow.of(r) for r in conn.execute(query)]


def retry(conn: Connection, table: Table, row_id: int) -> bool:
    """Send a dead row again (after the operator fixed the cause), attempts counted afresh."""
    now = utcnow()
    return conn.execute(update(table).where(table.c.id == row_id, table.c.status == "dead").values(
        status="queued", attempts=0, next_attempt_at=now, updated_at=now,
        claimed_by=None, claimed_until=None)).rowcount == 1


def _engine_for(which: str) -> Engine:
    """The database of the store or of the handoff service, as each process finds it."""
    var = Path(__file__).resolve().parents[2] / "var"
    if which == "handoff":
        url = os.environ.get("HANDOFF_DB_URL") or f"sqlite:///{var / 'handoff.db'}"
    else:
        url = os.environ.get("STORE_URL") or f"sqlite:///{var / 'shop.db'}"
    return create_engine(url, future=True)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m common.shop.outbox",
                                     description="What waits to reach the shop, and dead letters.")
    parser.add_argument("--db", choices=("store", "handoff"), default="store",
                        help="the store (STORE_URL) or the handoff service (HANDOFF_DB_URL)")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="newest rows first")
    listing.add_argument("--status", choices=OPEN_STATES + FINAL_STATES + ("dead",))
    listing.add_argument("--json", action="store_true")
    sub.add_parser("dead", help="rows that gave up; `retry ID` sends one again")
    again = sub.add_parser("retry", help="send dead rows again")
    again.add_argument("ids", type=int, nargs="+")
    args = parser.parse_args(argv)
    table = HANDOFF_OUTBOX if args.db == "handoff" else STORE_OUTBOX
    engine = _engine_for(args.db)
    with engine.begin() as conn:
        if args.command == "retry":
            for row_id in args.ids:
                print(f"{row_id}: {'queued again' if retry(conn, table, row_id) else 'not dead'}")
            return 0
        found = rows(conn, table, "dead" if args.command == "dead" else args.status)
    if getattr(args, "json", False):
        print(json.dumps([r.__dict__ for r in found], default=str, ensure_ascii=False))
        return 0
    for r in found:
        detail = r.reason or r.last_error or ""
        print(f"{r.id:>6} {r.status:<9} {r.kind:<16} {r.order_no:<16} tries={r.attempts} "
              f"{r.created_at:%Y-%m-%d %H:%M:%S} {detail}")
    if not found:
        print("nothing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
