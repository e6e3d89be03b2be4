"""Who is asking: channel metadata -> customer, and the order-number + phone check.

A shopper the channel vouches for (web visitor id, WeChat openid, verified app user id, each
sealed by its channel for this conversation: common.channel_proof) sees all their orders. Anyone else proves possession of one order at a time with its number and
the last four digits of its phone; each order proven is kept in `verified_orders`. Wrong
attempts are counted in the store per conversation (a /restart cannot reset them) and per
order number, so guessing one order's four digits from many conversations is capped too.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions import identity_link
from actions.store.models import Order
from actions.store.queries import customer_by_identity, failures_since, record_failure
from bot import policy

# Security limits, not shop policy; overridable in data/shop.yml under `verification`.
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_WINDOW_MINUTES = 15
# Per order number, across conversations: 10 wrong tries a day leave 4 digits unguessable.
DEFAULT_ORDER_MAX_ATTEMPTS = 10
DEFAULT_ORDER_WINDOW_HOURS = 24


def limits() -> Tuple[int, int]:
    return (int(policy.get("verification.max_attempts", DEFAULT_MAX_ATTEMPTS)),
            int(policy.get("verification.window_minutes", DEFAULT_WINDOW_MINUTES)))


def order_limits() -> Tuple[int, int]:
    return (int(policy.get("verification.order_max_attempts", DEFAULT_ORDER_MAX_ATTEMPTS)),
            int(policy.get("verification.order_window_hours", DEFAULT_ORDER_WINDOW_HOURS)))


def conversation_metadata(tracker: Tracker) -> Dict[str, Any]:
    """The latest user message's metadata, else the newest earlier one that had any."""
    latest = (tracker.latest_message or {}).get("metadata")
    if latest:
        return dict(latest)
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("metadata"):
            return dict(event["metadata"])
    return {}


def customer_from_channel(session: Session, tracker: Tracker) -> Optional[str]:
    """The customer whose identity this conversation's channel sealed, or None.

    Metadata is only a claim, and so is the input channel a request reports: only an identity
    sealed for this conversation id by the channel that verified it counts.
    """
    verified = identity_link.identity_of(tracker)
    if verified is None:
        return None
    customer = customer_by_identity(session, verified.channel, verified.external_id)
    return customer.id if customer else None


def can_see(tracker: Tracker, order: Optional[Order]) -> bool:
    """Whether this conversation may see `order` (never describe someone else's order)."""
    if order is None:
        return False
    source = tracker.get_slot("identity_source")
    if source == "channel" and tracker.get_slot("customer_id"):
        return order.customer_id == tracker.get_slot("customer_id")
    return order.id in (tracker.get_slot("verified_orders") or [])


def phone_matches(order: Order, last4: str) -> bool:
    phones = {order.recipient_phone or "", order.customer.phone if order.customer else ""}
    return any(p and p[-4:] == last4 for p in phones)


def attempt_key(tracker: Tracker) -> str:
    return f"conv:{tracker.sender_id}"


def order_attempt_key(order_id: str) -> str:
    return f"order:{order_id}"


def is_blocked(session: Session, tracker: Tracker, order_id: Optional[str] = None) -> bool:
    """Too many wrong attempts from this conversation, or (with `order_id`) on that order.

    Unknown order numbers are counted like real ones, so being blocked reveals nothing.
    """
    max_attempts, minutes = limits()
    if failures_since(session, attempt_key(tracker), timedelta(minutes=minutes)) >= max_attempts:
        return True
    if not order_id:
        return False
    order_max, hours = order_limits()
    return failures_since(session, order_attempt_key(order_id), timedelta(hours=hours)) >= order_max


def register_failure(session: Session, tracker: Tracker, order_id: Optional[str] = None) -> bool:
    """Count a wrong attempt; True when the conversation (or that order) is now blocked."""
    record_failure(session, attempt_key(tracker))
    if order_id:
        record_failure(session, order_attempt_key(order_id))
    return is_blocked(session, tracker, order_id)


def verified_events(tracker: Tracker, order: Order) -> List[Tuple[str, Any]]:
    """Slot values after a successful order + phone check."""
    verified = list(tracker.get_slot("verified_orders") or [])
    if order.id not in verified:
        verified.append(order.id)
    values: List[Tuple[str, Any]] = [("verified_orders", verified), ("order_id", order.id),
                                     ("phone_last4", None)]
    if tracker.get_slot("identity_source") != "channel":
        values += [("customer_id", order.customer_id), ("identity_source", "order")]
    return values
