"""OrderContext: what a human agent needs to know about the order in question.

The handoff ticket calls `order_context(session, order_id)`; the order actions put
the same dict in the `order_context` slot so it survives in the tracker.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy.orm import Session

from actions.store.models import Order
from actions.store.queries import find_order
from common import policy


def iso(value: Optional[datetime]) -> Optional[str]:
    """Naive UTC -> ISO 8601 with an explicit zone."""
    return value.replace(tzinfo=timezone.utc).isoformat() if value else None


@dataclass
class ItemInfo:
    sku: str
    name_zh: str
    name_en: str
    category: str
    quantity: int
    unit_price: float


@dataclass
class TrackingInfo:
    at: Optional[str]
    place: str
    status: str
    description: str


@dataclass
class OrderContext:
    order_id: str
    customer_id: str
    status: str
    amount: float
    currency: str
    payment_method: Optional[str]
    created_at: Optional[str]
    items: List[ItemInfo] = field(default_factory=list)
    carrier: Optional[str] = None
    tracking_no: Optional[str] = None
    shipment_status: Optional[str] = None
    last_event: Optional[TrackingInfo] = None
    hours_since_last_event: Optional[float] = None
    delivery_disputed: bool = False
    return_status: Optional[str] = None
    refund_status: Optional[str] = None
    refund_amount: Optional[float] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def hours_since(value: Optional[datetime], now: Optional[datetime] = None) -> Optional[float]:
    if value is None:
        return None
    return round(((now or datetime.utcnow()) - value).total_seconds() / 3600.0, 1)


def build_context(order: Order, now: Optional[datetime] = None) -> OrderContext:
    shipment = order.shipment
    event = shipment.last_event if shipment else None
    refund = order.refunds[-1] if order.refunds else None
    ret = order.returns[-1] if order.returns else None
    return OrderContext(
        order_id=order.id,
        customer_id=order.customer_id,
        status=order.status,
        amount=float(order.amount),
        currency=str(policy.get("currency", "¥")),
        payment_method=order.payment_method,
        created_at=iso(order.created_at),
        items=[ItemInfo(i.sku, i.name_zh, i.name_en, i.category, i.quantity, float(i.unit_price))
               for i in order.items],
        carrier=shipment.carrier if shipment else None,
        tracking_no=shipment.tracking_no if shipment else None,
        shipment_status=shipment.status if shipment else None,
        last_event=TrackingInfo(iso(event.at), event.place, event.status, event.description)
        if event else None,
        hours_since_last_event=hours_since(event.at, now) if event else None,
        delivery_disputed=bool(order.delivery_disputed),
        return_status=ret.status if ret else None,
        refund_status=refund.status if refund else None,
        refund_amount=float(refund.amount) if refund else None,
    )


def order_context(session: Session, order_id: str) -> Optional[OrderContext]:
    """The context of `order_id`, or None when there is no such order."""
    order = find_order(session, order_id)
    return build_context(order) if order else None
