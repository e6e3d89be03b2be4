"""Read helpers over the store: who a sender is, which orders they have, order lookups."""
from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from actions.store.models import Customer, Identity, Order, Shipment

# "E" + 12 digits, or 10-20 plain digits typed by shoppers (they often drop the letter).
ORDER_ID_RE = re.compile(r"(?<![A-Za-z0-9])(E\d{12}|\d{10,20})(?![A-Za-z0-9])", re.IGNORECASE)
# Eleven digits that look like a mobile number are a phone, not an order.
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Only spaces or dashes *between digits* (or after the E) are dropped: removing every space
# would glue "is E2026..." into "isE2026..." and the number would no longer stand alone.
_DIGIT_GAP = re.compile(r"(?<=\d)[ \u00a0\-]+(?=\d)")
_E_GAP = re.compile(r"(?<![A-Za-z0-9])([Ee])[ \u00a0\-]+(?=\d)")


def normalize_order_id(text: Optional[str]) -> Optional[str]:
    """The order number anywhere in `text`, upper-cased, or None when it has none.

    "my order is E202611180042", "订单E202611180042到哪了", "E2026 1118 0042" and full-width
    "Ｅ２０２６…" all give the number; a mobile number ("13812345678") does not.
    """
    if not text:
        return None
    said = unicodedata.normalize("NFKC", str(text))
    for candidate in (said, _DIGIT_GAP.sub("", _E_GAP.sub(r"\1", said))):
        for match in ORDER_ID_RE.finditer(candidate):
            found = match.group(1).upper()
            if not _MOBILE.fullmatch(found):
                return found
    return None


def order_id_candidates(order_id: str) -> List[str]:
    """'202611180042' also means 'E202611180042'; 'E2026...' may be stored as digits."""
    order_id = order_id.upper()
    if order_id.startswith("E"):
        return [order_id, order_id[1:]]
    return [order_id, f"E{order_id}"]


def find_order(session: Session, order_id: str) -> Optional[Order]:
    stmt = (
        select(Order)
        .where(Order.id.in_(order_id_candidates(order_id)))
        .options(selectinload(Order.items), selectinload(Order.shipments).selectinload(
            Shipment.events), selectinload(Order.refunds), selectinload(Order.returns))
    )
    return session.execute(stmt).scalars().first()


def customer_by_identity(session: Session, channel: str, external_id: str) -> Optional[Customer]:
    stmt = (
        select(Customer)
        .join(Identity, Identity.customer_id == Customer.id)
        .where(Identity.channel == channel, Identity.external_id == str(external_id))
    )
    return session.execute(stmt).scalars().first()


def identify(session: Session, channel: Optional[str], sender_id: Optional[str],
             metadata: Optional[Mapping] = None) -> Optional[Customer]:
    """The customer a conversation belongs to, from its channel metadata, or None.

    Only identifiers the channel itself vouches for count: the web widget's visitor id,
    WeChat's openid (the channel sets it as the sender id), and for the app only an id the
    token check has verified (`verified_app_user_id`). A bare `app_user_id` is a claim, not
    proof, so it is ignored.
    """
    metadata = metadata or {}
    # The caller names the channel it has checked (actions.identity.access.vouched_channel); the
    # metadata's own "channel" is a claim and never chooses it.
    channel = (channel or "").lower()
    candidates: List[tuple] = []
    if channel == "web" and metadata.get("visitor_id"):
        candidates.append(("web", metadata["visitor_id"]))
    elif channel == "wechat":
        openid = metadata.get("openid") or sender_id
        if openid:
            candidates.append(("wechat", openid))
    elif channel == "app" and metadata.get("verified_app_user_id"):
        candidates.append(("app", metadata["verified_app_user_id"]))
    for chan, external_id in candidates:
        customer = customer_by_identity(session, chan, str(external_id))
        if customer is not None:
            return customer
    return None


def recent_orders(session: Session, customer_id: str, days: int = 30,
                  limit: int = 5) -> List[Order]:
    """The customer's orders of the last `days` days, newest first (all orders if none)."""
    since = datetime.utcnow() - timedelta(days=days)
    base = (
        select(Order)
        .where(Order.customer_id == customer_id)
        .options(selectinload(Order.items), selectinload(Order.shipments).selectinload(
            Shipment.events), selectinload(Order.refunds), selectinload(Order.returns))
        .order_by(Order.created_at.desc())
    )
    recent = session.execute(base.where(Order.created_at >= since).limit(limit)).scalars().all()
    if recent:
        return list(recent)
    return list(session.execute(base.limit(limit)).scalars().all())
