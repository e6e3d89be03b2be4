"""A granted compensation goes to the shop through the handoff service's shop outbox
(common.shop.outbox, table handoff_shop_outbox): written in the grant's own transaction, sent
by the connector's sender with the idempotency key `grant-<id>`, retried until the shop
answers."""
from __future__ import annotations

from typing import Any, Dict

from sqlalchemy.orm import Session

from common.shop.outbox import HANDOFF_OUTBOX, enqueue

# Grant kinds as the shop connector names its requests.
OUTBOX_KIND = {"coupon": "coupon", "refund": "refund_request", "reship": "reship"}


def idempotency_key(grant_id: int) -> str:
    return f"grant-{grant_id}"


def enqueue_grant(db: Session, grant: Dict[str, Any]) -> str:
    payload = {"order_no": grant["order_id"], "customer_id": grant["customer_id"],
               "amount": grant["amount"], "reason": grant["reason"],
               "grant_id": grant["id"], "requested_by": grant["requested_by"],
               "approved_by": grant["decided_by"], "note": grant["note"],
               "partial": grant["kind"] == "refund"}
    return enqueue(db, OUTBOX_KIND[grant["kind"]], grant["order_id"], payload,
                   idempotency_key(grant["id"]), table=HANDOFF_OUTBOX)
