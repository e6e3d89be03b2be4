"""Who is asking: channel metadata -> customer, and the order-number + phone check.

A shopper the channel vouches for (web visitor id, WeChat openid, verified app user id, each
sealed by its channel for this conversation: common.channel_proof) sees all their orders.
Anyone else proves possession of one order at a time with its number and the last four digits
of its phone; each order proven is kept in `verified_orders`, and that is
all it grants: four digits can be guessed, so a proof never opens the customer's account (other
orders, coupons) nor links the channel's identity to the customer. Wrong attempts are counted
with the shared limiter (actions.identity.verification) per conversation, per actor (what a new
conversation does not reset) and per canonical order number.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.identity import link, verification
from actions.identity.metadata import conversation_metadata
from actions.store.models import Order
from actions.store.queries import customer_by_identity

# The limits live with the counters; re-exported for the replies that quote them.
limits, order_limits = verification.limits, verification.order_limits


def customer_from_channel(session: Session, tracker: Tracker) -> Optional[str]:
    """The customer whose identity this conversation's channel sealed, or None.

    Metadata is only a claim, and so is the input channel a request reports: only an identity
    sealed for this conversation id by the channel that verified it counts.
    """
    verified = link.identity_of(tracker)
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


async def is_blocked(tracker: Tracker, order_id: Optional[str] = None) -> bool:
    """Too many wrong attempts from this conversation or actor, or (with `order_id`) on that
    order. Unknown order numbers are counted like real ones, so being blocked reveals nothing."""
    return await verification.blocked_scope(tracker, conversation_metadata(tracker), order_id) \
        is not None


async def attempt(tracker: Tracker, order_id: Optional[str] = None) -> verification.Attempt:
    """Reserve one attempt (before the digits are compared); see actions.identity.verification."""
    return await verification.Attempt(tracker, conversation_metadata(tracker), order_id).reserve()


async def register_failure(tracker: Tracker) -> bool:
    """Count a wrong order number of an identified shopper; True when now blocked."""
    counted = await attempt(tracker)
    return not counted.allowed or counted.blocked_after


def verified_events(tracker: Tracker, order: Order) -> List[Tuple[str, Any]]:
    """Slot values after a successful order + phone check: this order, nothing more.

    `customer_id` is kept for the agent's ticket; `identity_source` "order" tells every action
    that the shopper proved this order only (no other orders, no coupons, no link)."""
    verified = list(tracker.get_slot("verified_orders") or [])
    if order.id not in verified:
        verified.append(order.id)
    values: List[Tuple[str, Any]] = [("verified_orders", verified), ("order_id", order.id),
                                     ("phone_last4", None)]
    if tracker.get_slot("identity_source") != "channel":
        values += [("customer_id", order.customer_id), ("identity_source", "order")]
    return values
