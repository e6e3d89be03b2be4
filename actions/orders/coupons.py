"""coupon_inquiry: the coupons this shopper can use now, plus a goodwill coupon when an
order of theirs is late and the authorization matrix allows one (never above, never twice)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.identity import access
from actions.texts import text
from actions.orders.common import language, local_time, money
from actions.orders.goodwill import GOODWILL_CODE, grant
from actions.orders.status import shop_coupon
from actions.shop import submit as shop
from actions.store import in_session
from actions.store.context import hours_since
from actions.store.models import Coupon, CouponIssuance, Customer
from actions.store.queries import recent_orders
from common import policy


def usable_coupons(session: Session, customer: Optional[Customer], lang: str) -> List[str]:
    now = datetime.utcnow()
    lines: List[str] = []
    public = session.execute(select(Coupon).where(
        Coupon.public.is_(True), Coupon.valid_from <= now, Coupon.valid_to >= now)
    ).scalars().all()
    for coupon in public:
        tiers = [t for t in (coupon.tiers or "").split(",") if t]
        if tiers and (customer is None or customer.tier not in tiers):
            continue
        lines.append(text("coupon_line", lang, title=coupon.title_en if lang == "en"
                          else coupon.title_zh, min_spend=money(coupon.min_spend),
                          until=local_time(coupon.valid_to)[:10]))
    if customer is not None:
        issued = session.execute(select(CouponIssuance).where(
            CouponIssuance.customer_id == customer.id, CouponIssuance.used_at.is_(None))
        ).scalars().all()
        for issue in issued:
            title = f"{issue.coupon.title_en if lang == 'en' else issue.coupon.title_zh} " \
                    f"{policy.get('currency', '¥')}{money(issue.amount)}"
            lines.append(text("coupon_line", lang, title=title, min_spend="0",
                              until=local_time(issue.coupon.valid_to)[:10]))
    return lines


def late_order_goodwill(session: Session, customer_id: str) -> Optional[Any]:
    """A late-delivery goodwill coupon for the first stuck order that has none yet."""
    stale_after = float(policy.get("shipping.stale_tracking_hours", 48))
    for order in recent_orders(session, customer_id):
        event = order.shipment.last_event if order.shipment else None
        if order.status == "shipped" and event and (hours_since(event.at) or 0) >= stale_after:
            result = grant(session, customer_id, order.id, "late_delivery")
            if result.granted:
                return result
    return None


def _coupons(session: Session, tracker: Tracker,
             lang: str) -> Tuple[List[Dict[Text, Any]], str, List[str]]:
    """The slot events, the goodwill sentence (or "") and the coupon lines, in one transaction."""
    events: List[Dict[Text, Any]] = []
    customer_id = tracker.get_slot("customer_id")
    if tracker.get_slot("identity_source") != "channel":
        found = access.customer_from_channel(session, tracker)
        if found:
            customer_id = found
            events += [SlotSet("customer_id", found), SlotSet("identity_source", "channel")]
        else:  # an order proven with phone digits opens that order, not the account
            customer_id = None
    customer = session.get(Customer, customer_id) if customer_id else None
    prefix = ""
    if customer is not None and tracker.get_slot("identity_source") != "order" or \
            events:
        granted = late_order_goodwill(session, customer.id) if customer else None
        if granted is not None:
            done = text("goodwill_granted", lang, amount=money(granted.amount))
            order_id = str(granted.order_id)
            prefix = shop_coupon(session, tracker, order_id, granted, done, lang) + "\n"
            events.append(SlotSet("goodwill_coupon", {"code": GOODWILL_CODE,
                                                      "amount": float(granted.amount),
                                                      "reason": "late_delivery"}))
    lines = usable_coupons(session, customer, lang)
    return events, prefix, lines


class ActionCouponInquiry(Action):
    def name(self) -> Text:
        return "action_coupon_inquiry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        events, prefix, lines = await in_session(_coupons, tracker, lang)
        body = text("coupons_list", lang, lines="\n".join(lines)) if lines else \
            text("coupons_none", lang)
        dispatcher.utter_message(text=prefix + body + "\n" + text("coupon_rules", lang))
        await shop.resolve(dispatcher)
        return events
