"""`action_handoff`: package the conversation as a warm-transfer ticket and hand it over.

Runs on every trigger of PRODUCT.md §5 (slot `handoff_trigger`, or the latest intent). It
builds the ticket from the tracker (actions.handover.ticket), sends it signed to the handoff
service (or to its Redis outbox when the service is down; the service renders the summary and
the agent's first sentence), tells the shopper what happens next and pauses the
conversation: from then on the shopper's messages go to the agent (bot.broker -> service).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.texts import text
from actions.handover.client import deliver
from actions.handover.ticket import build_ticket
from actions.identity.link import linked_identities
from actions.store import off_loop, order_context, session_scope
from actions.store.models import Customer, Order
from common import policy
from common.ticket import mask_phone

log = logging.getLogger(__name__)


def lookup_order(order_id: str) -> Optional[Dict[str, Any]]:
    try:
        with session_scope() as session:
            ctx = order_context(session, order_id)
            return ctx.to_dict() if ctx is not None else None
    except Exception as exc:  # the store is down: the ticket still goes out
        log.warning("order context for %s unavailable: %s", order_id, exc)
        return None


def lookup_customer(customer_id: Optional[str]) -> Optional[Dict[str, Any]]:
    if not customer_id:
        return None
    try:
        with session_scope() as session:
            customer = session.get(Customer, customer_id)
            if customer is None:
                return None
            return {"customer_id": customer.id, "name": customer.name,
                    "masked_phone": mask_phone(customer.phone), "tier": customer.tier,
                    # every linked channel, with its conversation id
                    "identities": [i.to_dict() for i in linked_identities(session, customer.id)],
                    # all their orders, newest first: the agent's customer 360
                    "extra": {"orders": customer_orders(session, customer.id)}}
    except Exception as exc:
        log.warning("customer %s unavailable: %s", customer_id, exc)
        return None


def customer_orders(session: Any, customer_id: str, limit: int = 20) -> List[Dict[str, Any]]:
    rows = session.execute(select(Order).where(Order.customer_id == customer_id)
                           .order_by(Order.created_at.desc()).limit(limit)).scalars()
    return [{"order_id": o.id, "status": o.status, "amount": float(o.amount),
             "created_at": o.created_at.isoformat() + "Z",
             "items": [{"name": i.name_zh, "name_en": i.name_en, "qty": i.quantity}
                       for i in o.items]} for o in rows]


def _hours() -> Dict[str, str]:
    lang_days = policy.get("hours.days") or {}
    return {"open": str(policy.get("hours.open", "09:00")),
            "close": str(policy.get("hours.close", "22:00")), "days": lang_days}


def when_back(opens_at: Optional[str], language: str, now: Optional[datetime] = None) -> str:
    if not opens_at:
        return ""
    back = datetime.fromisoformat(opens_at)
    today = (now or datetime.now(back.tzinfo)).astimezone(back.tzinfo).date()
    clock = back.strftime("%H:%M")
    if back.date() == today:
        return text("handoff.today", language, time=clock)
    if back.date() == today + timedelta(days=1):
        return text("handoff.tomorrow", language, time=clock)
    return text("handoff.on_date", language, date=back.date().isoformat(), time=clock)


def shopper_message(status: str, placement: Optional[Dict[str, Any]], language: str) -> str:
    hours = _hours()
    days = hours["days"].get(language, "") if isinstance(hours["days"], dict) else hours["days"]
    common = {"open": hours["open"], "close": hours["close"], "days": days}
    if status == "queued":
        return text("handoff.service_down", language)
    if status != "accepted" or placement is None:
        return text("handoff.failed", language, **common)
    if not placement.get("open_now", True):
        return text("handoff.closed", language, when=when_back(placement.get("opens_at"), language),
                    **common)
    if int(placement.get("agents_online", 1)) == 0:  # no promise we cannot keep
        return text("handoff.no_agents", language)
    wait = max(1, int(placement.get("expected_wait_minutes") or 1))
    position = int(placement.get("position") or 1)
    if position <= 1:
        return text("handoff.queued_next", language, wait=wait)
    return text("handoff.queued", language, ahead=position - 1, wait=wait)


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        language = tracker.get_slot("language") or "zh"
        # On a worker thread: the order and customer lookups wait for the store (the customer
        # may only be known from the order), and the event loop serves every conversation.
        ticket = await off_loop(build_ticket, list(tracker.events), dict(tracker.slots),
                                tracker.sender_id, tracker.get_latest_input_channel(),
                                lookup_order, lookup_customer)
        delivery = await deliver(ticket)
        dispatcher.utter_message(text=shopper_message(delivery.status, delivery.placement,
                                                      language))
        events: List[Dict[Text, Any]] = [SlotSet("handoff_trigger", None)]
        if delivery.status in ("accepted", "queued"):
            # Rasa keeps recording the shopper's messages but runs no action until the
            # service resumes the conversation on resolve.
            events.append(ConversationPaused())
        return events
