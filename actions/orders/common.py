"""Shared pieces of the order actions: the store session, the order in question, slots."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from sqlalchemy.orm import Session

from actions.identity import access
from actions.texts import carrier_name, lang_of
from actions.store import build_context, find_order, session_scope  # noqa: F401
from actions.store.models import Order

TOPICS = ("order_status", "logistics_problem", "change_address", "cancel_order",
          "return_request", "refund_status", "damaged_item")
FORM_SLOTS = ("phone_last4", "new_address", "order_confirmed", "return_reason", "damage_photo",
              "form_misses")
SHOP_TZ = timezone(timedelta(hours=8))


def language(tracker: Tracker) -> str:
    return lang_of(tracker.get_slot("language") or "zh")


def local_time(value: Optional[datetime]) -> str:
    """Naive UTC -> shop local time, the way shoppers read it."""
    if value is None:
        return "-"
    return value.replace(tzinfo=timezone.utc).astimezone(SHOP_TZ).strftime("%Y-%m-%d %H:%M")


def items_text(order: Order, lang: str, limit: int = 2) -> str:
    names = [(i.name_en if lang == "en" else i.name_zh) + (f" ×{i.quantity}" if i.quantity > 1
                                                            else "") for i in order.items]
    more = len(names) - limit
    sep = ", " if lang == "en" else "、"
    text = sep.join(names[:limit])
    if more > 0:
        text += f" +{more}"
    return text


def money(value: Any) -> str:
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def accessible_order(session: Session, tracker: Tracker) -> Optional[Order]:
    """The order in the `order_id` slot if this conversation may see it, else None."""
    order_id = tracker.get_slot("order_id")
    if not order_id:
        return None
    order = find_order(session, str(order_id))
    return order if access.can_see(tracker, order) else None


def context_events(order: Order) -> List[Dict[str, Any]]:
    """Leave what we found in the tracker so a warm transfer carries it."""
    return [SlotSet("order_id", order.id), SlotSet("order_context", build_context(order).to_dict())]


def shipment_values(order: Order, lang: str) -> Dict[str, Any]:
    shipment = order.shipment
    event = shipment.last_event if shipment else None
    return {
        "carrier": carrier_name(shipment.carrier, lang) if shipment else "-",
        "tracking_no": shipment.tracking_no if shipment else "-",
        "event_time": local_time(event.at) if event else "-",
        "event_place": event.place if event else "-",
        "event_text": event.description if event else "-",
    }


def reset_form_events() -> List[Dict[str, Any]]:
    return [SlotSet(name, None) for name in FORM_SLOTS] + [SlotSet("order_aborted", None),
                                                           SlotSet("verify_blocked", None)]
