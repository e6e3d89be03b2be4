"""What the shop's answer changes in the store, and how a late answer reaches the shopper.

`apply` runs inside the transaction that records the answer (common.shop.sender): a refused
change is undone locally in the same commit, so the store never shows a cancellation the shop
did not make. `tell` sends a late answer on the shopper's own channel the way the handoff
service sends agent replies: a BotUttered appended through Rasa's HTTP API with
`output_channel=latest` and side effects, so the socket.io widget, WeChat's customer-service
API or the app's callback delivers it, and the transcript keeps it.
"""
from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from typing import Any, Dict
from urllib.parse import quote

import aiohttp
from sqlalchemy import and_, delete, update
from sqlalchemy.engine import Connection

from actions.shop.submit import final_text
from actions.store.models import CouponIssuance, Order, OrderLog, Refund, ReturnRequest
from common.shop.client import ShopAnswer
from common.shop.outbox import OutboxRow

log = logging.getLogger(__name__)
ORDERS, REFUNDS, RETURNS = Order.__table__, Refund.__table__, ReturnRequest.__table__
COUPONS, LOG = CouponIssuance.__table__, OrderLog.__table__


def _undo_refused(conn: Connection, row: OutboxRow) -> None:
    p: Dict[str, Any] = row.payload or {}
    local = (row.notice or {}).get("local") or {}
    if row.kind == "cancel":
        conn.execute(update(ORDERS).where(and_(ORDERS.c.id == row.order_no,
                                               ORDERS.c.status == "cancelled")).values(
            status=local.get("previous_status") or "paid", cancelled_at=None))
        if local.get("refund_id"):
            conn.execute(delete(REFUNDS).where(and_(REFUNDS.c.id == local["refund_id"],
                                                    REFUNDS.c.status == "processing")))
    elif row.kind == "change_address" and local.get("previous_address") is not None:
        conn.execute(update(ORDERS).where(and_(ORDERS.c.id == row.order_no,
                                               ORDERS.c.address == p.get("address"))).values(
            address=local["previous_address"]))
    elif row.kind == "return_request" and p.get("return_id"):
        conn.execute(update(RETURNS).where(RETURNS.c.id == p["return_id"]).values(
            status="rejected"))
    elif row.kind == "coupon" and local.get("issuance_id"):
        conn.execute(delete(COUPONS).where(and_(COUPONS.c.id == local["issuance_id"],
                                                COUPONS.c.used_at.is_(None))))


def apply(conn: Connection, row: OutboxRow, answer: ShopAnswer) -> None:
    """The shop's final answer, in the store: undo what it refused; log either way."""
    if answer.status == "refused":
        _undo_refused(conn, row)
    detail = {"kind": row.kind, "request": row.idempotency_key, "reason": answer.reason,
              "reference": answer.reference}
    conn.execute(LOG.insert().values(
        order_id=row.order_no, at=datetime.utcnow(),
        kind=f"shop_{answer.status}", actor="shop",
        detail=json.dumps(detail, ensure_ascii=False)))


async def tell(row: OutboxRow) -> bool:
    """Send a late answer to the conversation that asked; False when Rasa could not take it."""
    rasa_url = (os.environ.get("RASA_URL") or "").rstrip("/")
    if not rasa_url or not row.conversation_id:
        log.warning("shop answer %s not told: no RASA_URL or conversation", row.id)
        return True  # nobody to tell: do not retry forever
    params = {"output_channel": "latest", "execute_side_effects": "true",
              "include_events": "NONE"}
    if os.environ.get("RASA_TOKEN"):
        params["token"] = os.environ["RASA_TOKEN"]
    relay_id = f"shop:{row.idempotency_key}"
    event = {"event": "bot", "text": final_text(row, later=True), "timestamp": time.time(),
             "metadata": {"handoff": {"relay_id": relay_id, "role": "bot", "event": "notice"},
                          "shop": {"request": row.idempotency_key, "status": row.status,
                                   "kind": row.kind, "order_id": row.order_no}}}
    url = f"{rasa_url}/conversations/{quote(row.conversation_id, safe='')}/tracker/events"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=[event], params=params,
                                    timeout=aiohttp.ClientTimeout(total=15)) as resp:
                if resp.status >= 300:
                    log.warning("telling %s: Rasa answered %s", row.conversation_id, resp.status)
                    return False
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("telling %s failed: %s", row.conversation_id, exc)
        return False
    return True
