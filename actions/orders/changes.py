"""change_address and cancel_order: only before shipment, always after a confirmation."""
from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.texts import method_name, status_name, text
from actions.orders.common import items_text, money, shipment_values
from actions.orders.status import human_button, refund_days
from actions.store.models import Order, OrderLog, Refund

OPEN = ("unpaid", "paid")
# English street words as whole words: "I have another question" holds "ave" but no address.
_ADDRESS_HINT = re.compile(r"\d|[路街道巷弄号室区县市镇村]|\b(road|street|st|ave|avenue|lane|rd)\b",
                           re.IGNORECASE)


def clean_address(value: Any) -> Optional[str]:
    """A plausible postal address (with a street or a number), tidied, or None."""
    address = " ".join(str(value or "").split())
    if not (6 <= len(address) <= 200) or not _ADDRESS_HINT.search(address):
        return None
    if address.startswith("/"):  # an intent payload, not an address
        return None
    return address


def address_slots(order: Order, tracker: Tracker) -> List[str]:
    return ["new_address", "order_confirmed"] if order.status in OPEN else []


def cancel_slots(order: Order, tracker: Tracker) -> List[str]:
    return ["order_confirmed"] if order.status in OPEN else []


def refund_note(order: Order, lang: str) -> str:
    if order.status == "unpaid" or not order.payment_method:
        return text("refund_note_unpaid", lang)
    return text("refund_note", lang, amount=money(order.amount),
                method=method_name(order.payment_method, lang),
                days=refund_days(order.payment_method))


def _log(session: Session, order: Order, kind: str, tracker: Tracker, detail: Dict) -> None:
    session.add(OrderLog(order_id=order.id, kind=kind, at=datetime.utcnow(),
                         actor=f"bot:{tracker.sender_id}",
                         detail=json.dumps(detail, ensure_ascii=False)))


def change_address(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher,
                   order: Order, lang: str) -> List[Dict[str, Any]]:
    if order.status in ("shipped", "delivered") and order.shipment is not None:
        dispatcher.utter_message(text=text("address_too_late", lang, order_id=order.id,
                                           **shipment_values(order, lang)),
                                 buttons=human_button(lang))
        return []
    if order.status not in OPEN:
        dispatcher.utter_message(text=text("address_closed", lang, order_id=order.id,
                                           status=status_name(order.status, lang)))
        return []
    address = tracker.get_slot("new_address")
    if not tracker.get_slot("order_confirmed") or not address:
        dispatcher.utter_message(text=text("address_kept", lang))
        return []
    _log(session, order, "address_changed", tracker, {"from": order.address, "to": address})
    order.address = address
    dispatcher.utter_message(text=text("address_changed", lang, order_id=order.id,
                                       address=address))
    return [SlotSet("order_action_done", "address_changed")]


def cancel(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher, order: Order,
           lang: str) -> List[Dict[str, Any]]:
    if order.status in ("shipped", "delivered"):
        dispatcher.utter_message(text=text("cancel_too_late", lang, order_id=order.id))
        return []
    if order.status not in OPEN:
        dispatcher.utter_message(text=text("cancel_closed", lang, order_id=order.id,
                                           status=status_name(order.status, lang)))
        return []
    if not tracker.get_slot("order_confirmed"):
        dispatcher.utter_message(text=text("cancel_kept", lang))
        return []
    note = refund_note(order, lang)
    was_paid = order.status == "paid" and order.payment_method
    order.status, order.cancelled_at = "cancelled", datetime.utcnow()
    if was_paid:
        session.add(Refund(id=f"F{order.id.lstrip('E')}C", order_id=order.id,
                           amount=Decimal(str(order.amount)), method=order.payment_method,
                           status="processing", requested_at=datetime.utcnow()))
    _log(session, order, "cancelled", tracker, {"refund": bool(was_paid)})
    dispatcher.utter_message(text=text("cancelled", lang, order_id=order.id, refund_note=note))
    return [SlotSet("order_action_done", "cancelled")]


class AskConfirm:
    """The confirmation question depends on the topic (address change or cancellation)."""

    @staticmethod
    def message(order: Order, tracker: Tracker, lang: str) -> str:
        if tracker.get_slot("order_topic") == "change_address":
            return text("confirm_address", lang, order_id=order.id,
                        address=tracker.get_slot("new_address"))
        return text("confirm_cancel", lang, order_id=order.id, items=items_text(order, lang),
                    refund_note=refund_note(order, lang))
