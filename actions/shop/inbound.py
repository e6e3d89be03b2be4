"""What the shop tells Frontline: signed webhook events, and the sync that pulls missed ones.

One event shape for both paths (docs/shop-connector.md):

    {"id": "ev-…", "type": "order.updated", "data": {…}}

- order.created / order.updated / shipment.updated / refund.updated: `data` is a whole order
  record in the import format, validated and stored by the same code as
  `python -m actions.store import` (records.parse_record, importer.upsert_order);
- customer.updated: `data` is a customer object (records.parse_customer);
- request.answered: the final answer to a change the shop had left pending
  (`{"idempotency_key", "status": "accepted"|"refused", "reason", "reference"}`).

Each event id is applied once (kept in `shop_events_seen`): a replayed or re-synced event is
acknowledged and changes nothing.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, Optional

from sqlalchemy import Column, DateTime, MetaData, String, Table, and_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.shop import answers
from actions.store.db import session_scope
from actions.store.importer import upsert_customer, upsert_order
from actions.store.records import RecordError, parse_customer, parse_record
from common.shop import outbox
from common.shop.client import ShopAnswer, ShopClient
from common.shop.outbox import STORE_OUTBOX

log = logging.getLogger(__name__)
ORDER_EVENTS = ("order.created", "order.updated", "shipment.updated", "refund.updated")
EVENT_TYPES = ORDER_EVENTS + ("customer.updated", "request.answered")
_meta = MetaData()
SEEN = Table("shop_events_seen", _meta, Column("event_id", String(80), primary_key=True),
             Column("kind", String(32), nullable=False),
             Column("received_at", DateTime, nullable=False))
SYNC = Table("shop_sync_state", _meta, Column("name", String(32), primary_key=True),
             Column("value", String(200)), Column("updated_at", DateTime, nullable=False))


class EventError(ValueError):
    def __init__(self, reasons):
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


def check_event(event: Any) -> Dict[str, Any]:
    if not isinstance(event, dict):
        raise EventError(["the event is not a JSON object"])
    reasons = []
    if not isinstance(event.get("id"), str) or not 1 <= len(event["id"]) <= 80:
        reasons.append("id must be a string of 1-80 characters")
    if event.get("type") not in EVENT_TYPES:
        reasons.append(f"type must be one of {', '.join(EVENT_TYPES)}")
    if not isinstance(event.get("data"), dict):
        reasons.append("data must be an object")
    if reasons:
        raise EventError(reasons)
    return event


def _answered(session: Session, data: Dict[str, Any]) -> None:
    key, status = data.get("idempotency_key"), data.get("status")
    if not isinstance(key, str) or status not in outbox.FINAL_STATES:
        raise EventError(["request.answered needs idempotency_key and status accepted|refused"])
    conn = session.connection()
    row = outbox.find(conn, STORE_OUTBOX, key)
    if row is None:
        raise EventError([f"no request {key!r}"])
    answer = ShopAnswer(status, (str(data.get("reason") or "")[:500] or None),
                        str(data.get("reference") or "")[:64] or None)
    now = outbox.utcnow()
    done = conn.execute(update(STORE_OUTBOX).where(and_(
        STORE_OUTBOX.c.idempotency_key == key, STORE_OUTBOX.c.status.in_(outbox.OPEN_STATES)
    )).values(status=status, reason=answer.reason, reference=answer.reference,
              answered_at=now, updated_at=now, claimed_by=None, claimed_until=None))
    if done.rowcount == 1:
        answers.apply(conn, row, answer)


def apply_event(session: Session, event: Dict[str, Any]) -> str:
    """Store one checked event: "applied" or "duplicate". Raises RecordError / EventError."""
    event = check_event(event)
    conn = session.connection()
    if conn.execute(select(SEEN.c.event_id).where(SEEN.c.event_id == event["id"])).first():
        return "duplicate"
    data = event["data"]
    if event["type"] in ORDER_EVENTS:
        upsert_order(session, parse_record(data))
    elif event["type"] == "customer.updated":
        upsert_customer(session, parse_customer(data))
    else:
        _answered(session, data)
    conn.execute(SEEN.insert().values(event_id=event["id"], kind=event["type"],
                                      received_at=datetime.utcnow()))
    return "applied"


def receive(engine: Engine, event: Any) -> str:
    """One event in its own transaction (used by the webhook and the sync)."""
    try:
        with session_scope(engine) as session:
            return apply_event(session, event)
    except IntegrityError:
        # The webhook and the sync applied the same event at the same moment: the other
        # transaction stored it (a bad record raises RecordError before any write).
        with engine.connect() as conn:
            if conn.execute(select(SEEN.c.event_id).where(SEEN.c.event_id == event["id"])
                            ).first():
                return "duplicate"
        raise


def _cursor(engine: Engine) -> Optional[str]:
    with engine.connect() as conn:
        return conn.execute(select(SYNC.c.value).where(SYNC.c.name == "events")).scalar()


def _save_cursor(engine: Engine, cursor: Optional[str]) -> None:
    with engine.begin() as conn:
        now = datetime.utcnow()
        if conn.execute(update(SYNC).where(SYNC.c.name == "events").values(
                value=cursor, updated_at=now)).rowcount == 0:
            conn.execute(SYNC.insert().values(name="events", value=cursor, updated_at=now))


async def sync_once(engine: Engine, client: ShopClient) -> Dict[str, int]:
    """Pull the shop's events since the last sync and apply those no webhook brought."""
    import asyncio

    events, cursor = await client.changes(await asyncio.to_thread(_cursor, engine))
    counts = {"applied": 0, "duplicate": 0, "rejected": 0}
    for event in events:
        try:
            counts[await asyncio.to_thread(receive, engine, event)] += 1
        except (RecordError, EventError) as exc:
            counts["rejected"] += 1
            log.warning("shop sync: event %s rejected: %s", event.get("id"), exc)
    await asyncio.to_thread(_save_cursor, engine, cursor)
    return counts
