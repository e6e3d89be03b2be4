"""order_status and logistics_problem answers, from the order's real tracking events."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.texts import method_name, status_name, text
from actions.orders import goodwill
from actions.orders.common import items_text, local_time, money, shipment_values
from actions.shop import submit as shop
from actions.store.context import hours_since
from actions.store.models import AfterSalesCase, Order
from common import policy


def refund_sentence(order: Order, lang: str) -> str:
    refund = order.refunds[-1] if order.refunds else None
    if refund is None:
        return ""
    key = "refund_done" if refund.status == "succeeded" else "refund_progress"
    return text(key, lang, order_id=order.id, amount=money(refund.amount),
                method=method_name(refund.method, lang), refund_status=status_name(
                    refund.status, lang), at=local_time(refund.completed_at or refund.requested_at),
                days=refund_days(refund.method))


def refund_days(method: str) -> str:
    # Cash on delivery is refunded to a bank card, Huabei like Alipay.
    key = {"cash_on_delivery": "bank_card", "huabei": "alipay"}.get(method, method)
    return str(policy.get(f"refunds.{key}_days", policy.get("refunds.bank_card_days")))


def status(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher, order: Order,
           lang: str) -> List[Dict[str, Any]]:
    values = dict(order_id=order.id, items=items_text(order, lang), amount=money(order.amount),
                  paid_at=local_time(order.paid_at), refund=refund_sentence(order, lang),
                  **shipment_values(order, lang))
    key = {"unpaid": "status_unpaid", "paid": "status_paid", "shipped": "status_shipped",
           "delivered": "status_delivered", "cancelled": "status_cancelled",
           "refunded": "status_refunded"}.get(order.status, "status_paid")
    message = text(key, lang, **values)
    open_return = next((r for r in order.returns if r.status not in ("refunded", "rejected")), None)
    if open_return is not None:
        message += " " + text("status_return_open", lang, return_id=open_return.id,
                              return_status=status_name(open_return.status, lang))
    dispatcher.utter_message(text=message)
    return []


def new_case_id(prefix: str = "AS") -> str:
    return f"{prefix}{datetime.utcnow():%Y%m%d}{secrets.randbelow(10**6):06d}"


def open_case(session: Session, order: Order, kind: str, priority: str, tracker: Tracker,
              description: str = "", photo_url: Any = None) -> AfterSalesCase:
    case = AfterSalesCase(id=new_case_id(), order_id=order.id, customer_id=order.customer_id,
                          kind=kind, priority=priority, description=description,
                          photo_url=photo_url, conversation_id=tracker.sender_id,
                          created_at=datetime.utcnow())
    session.add(case)
    session.flush()
    return case


def human_button(lang: str) -> List[Dict[str, str]]:
    return [{"title": text("btn_human", lang), "payload": "/request_human"}]


def goodwill_sentence(session: Session, order: Order, reason: str, lang: str,
                      tracker: Optional[Tracker] = None) -> str:
    result = goodwill.grant(session, order.customer_id, order.id, reason)
    if not result.granted:
        return ""
    done = text("goodwill_granted", lang, amount=money(result.amount))
    if tracker is not None:
        done = shop_coupon(session, tracker, order.id, result, done, lang)
    return " " + done


def shop_coupon(session: Session, tracker: Tracker, order_id: str,
                result: goodwill.Goodwill, done: str, lang: str) -> str:
    """A goodwill coupon goes to the shop like any change (it is refused: it is withdrawn)."""
    return shop.request(session, tracker, "coupon", order_id,
                        {"code": goodwill.GOODWILL_CODE, "amount": str(result.amount),
                         "reason": result.reason},
                        done, lang, local={"issuance_id": result.issuance_id})


def carrier_inquiry(session: Session, tracker: Tracker, order: Order, case: AfterSalesCase,
                    lang: str) -> str:
    """Ask the shop to chase the carrier for this case: an empty sentence when it confirms
    at once (the reply already says the inquiry is open), else what is true."""
    shipment = order.shipment
    said = shop.request(session, tracker, "carrier_inquiry", order.id,
                        {"case_id": case.id, "kind": case.kind,
                         "carrier": shipment.carrier if shipment else None,
                         "tracking_no": shipment.tracking_no if shipment else None}, "", lang,
                        later=text("shop_done_carrier_inquiry", lang, order_id=order.id))
    return " " + said if said else ""


def parcel_case(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher,
                order: Order, lang: str, kind: str, priority: str, key: str,
                values: Dict[str, Any], goodwill_reason: Optional[str] = None
                ) -> List[Dict[str, Any]]:
    """A parcel gone wrong: open the case, ask the shop to chase the carrier, grant the
    goodwill the reason earns (if any) and offer a human, in one reply."""
    case = open_case(session, order, kind, priority, tracker)
    message = text(key, lang, case_id=case.id, **values)
    message += carrier_inquiry(session, tracker, order, case, lang)
    if goodwill_reason:
        message += goodwill_sentence(session, order, goodwill_reason, lang, tracker)
    dispatcher.utter_message(text=message + " " + text("offer_human", lang),
                             buttons=human_button(lang))
    return [SlotSet("after_sales_case", case.id)]


def logistics(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher, order: Order,
              lang: str) -> List[Dict[str, Any]]:
    shipment = order.shipment
    if shipment is None or order.status in ("unpaid", "paid"):
        if order.status in ("unpaid", "paid"):
            dispatcher.utter_message(text=text("logistics_not_shipped", lang, order_id=order.id))
        return status(session, tracker, dispatcher, order, lang)
    values = shipment_values(order, lang)
    event = shipment.last_event
    hours = hours_since(event.at) if event else None
    stale_after = float(policy.get("shipping.stale_tracking_hours", 48))
    if order.status == "delivered" or shipment.status == "delivered":
        # Asking about a delivered parcel as a logistics problem means it never arrived.
        order.delivery_disputed = True
        return parcel_case(session, tracker, dispatcher, order, lang, "not_received", "high",
                           "logistics_not_received", values)
    if hours is not None and hours >= stale_after:
        return parcel_case(session, tracker, dispatcher, order, lang, "carrier_inquiry", "normal",
                           "logistics_stale", dict(values, hours=int(hours)),
                           goodwill_reason="late_delivery")
    dispatcher.utter_message(text=text("logistics_moving", lang, hours=int(hours or 0), **values)
                             + " " + text("offer_human", lang), buttons=human_button(lang))
    return []
