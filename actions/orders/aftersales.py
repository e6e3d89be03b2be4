"""return_request, refund_status and damaged_item, with the policy's windows and categories."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.form_reading import canonical, declines_photo
from actions.identity.metadata import conversation_metadata
from actions.texts import method_name, status_name, text
from actions.orders.common import money
from actions.orders.status import goodwill_sentence, open_case, refund_days, refund_sentence
from actions.shop import submit as shop
from actions.store.models import Order, ReturnRequest
from common import policy

REASONS = ("no_reason", "quality", "wrong_item")
_REASON_WORDS = {
    "quality": ("quality", "defect", "broken", "faulty", "damaged", "doesn't work", "does not work",
                "not working", "stopped working", "质量", "坏", "破", "故障", "瑕疵", "不能用", "用不了"),
    "wrong_item": ("wrong", "not what i ordered", "错", "不对", "不符", "不是我买的"),
    "no_reason": ("no_reason", "no reason", "changed", "mind", "don't want", "do not want",
                  "don't need", "don't like", "doesn't fit", "too big", "too small", "size",
                  "无理由", "不想要", "不要了", "不喜欢", "不合适", "不需要", "尺码", "大了", "小了"),
}
_URL = re.compile(r"https?://\S+")


def parse_reason(value: Any) -> Optional[str]:
    said = canonical(value).lower().replace("\u2019", "'")
    if said in REASONS:  # a button's value
        return said
    for reason, words in _REASON_WORDS.items():
        if any(w in said for w in words):
            return reason
    return None


def _open_return(order: Order) -> Optional[ReturnRequest]:
    return next((r for r in order.returns if r.status not in ("rejected",)), None)


def _tell_open_return(dispatcher: CollectingDispatcher, key: str, order: Order,
                      ret: ReturnRequest, lang: str) -> List[Dict[str, Any]]:
    """The open return decides the answer: say which it is and where it stands."""
    dispatcher.utter_message(text=text(key, lang, order_id=order.id, return_id=ret.id,
                                       return_status=status_name(ret.status, lang)))
    return []


def days_since_delivery(order: Order) -> Optional[int]:
    shipment = order.shipment
    if shipment is None or shipment.delivered_at is None:
        return None
    return (datetime.utcnow() - shipment.delivered_at).days


def return_slots(order: Order, tracker: Tracker) -> List[str]:
    days = days_since_delivery(order)
    within = days is not None and days <= int(policy.get("returns.quality_days"))
    if order.status == "delivered" and within and _open_return(order) is None:
        return ["return_reason"]
    return []


def return_request(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher,
                   order: Order, lang: str) -> List[Dict[str, Any]]:
    existing = _open_return(order)
    if existing is not None:
        return _tell_open_return(dispatcher, "return_exists", order, existing, lang)
    if order.status != "delivered":
        dispatcher.utter_message(text=text("return_not_delivered", lang, order_id=order.id,
                                           status=status_name(order.status, lang)))
        return []
    days = days_since_delivery(order) or 0
    reason = tracker.get_slot("return_reason") or "no_reason"
    window = int(policy.get("returns.no_reason_days" if reason == "no_reason"
                            else "returns.quality_days"))
    if days > window:
        dispatcher.utter_message(text=text("return_window_over", lang, order_id=order.id,
                                           days=days))
        return []
    excluded = set(policy.get("returns.excluded_categories") or [])
    blocked = [i for i in order.items if i.category in excluded]
    if reason == "no_reason" and blocked:
        item = blocked[0].name_en if lang == "en" else blocked[0].name_zh
        dispatcher.utter_message(text=text("return_excluded", lang, item=item))
        return []
    shop_pays = reason != "no_reason" and policy.get(
        "returns.return_shipping_paid_by_shop_if_defective", True)
    member = order.customer is not None and order.customer.tier != "normal"
    shipping_key = "ship_shop" if shop_pays else ("ship_allowance" if member else "ship_customer")
    ret = ReturnRequest(id=f"R{order.id.lstrip('E')}{len(order.returns) + 1}", order_id=order.id,
                        reason=reason, status="requested", created_at=datetime.utcnow(),
                        shipping_paid_by="shop" if shop_pays else "customer")
    session.add(ret)
    session.flush()
    done = text("return_created", lang, return_id=ret.id, shipping=text(shipping_key, lang),
                amount=money(order.amount), method=method_name(order.payment_method, lang),
                days=refund_days(order.payment_method or "bank_card"))
    dispatcher.utter_message(text=shop.request(
        session, tracker, "return_request", order.id,
        {"return_id": ret.id, "reason": reason, "shipping_paid_by": ret.shipping_paid_by}, done, lang))
    return [SlotSet("order_action_done", "return_created"), SlotSet("return_id", ret.id)]


def refund_status(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher,
                  order: Order, lang: str) -> List[Dict[str, Any]]:
    sentence = refund_sentence(order, lang)
    if sentence:
        dispatcher.utter_message(text=sentence)
        return []
    ret = _open_return(order)
    if ret is not None:
        return _tell_open_return(dispatcher, "refund_waiting_return", order, ret, lang)
    dispatcher.utter_message(text=text("refund_none", lang, order_id=order.id))
    return []


def damage_slots(order: Order, tracker: Tracker) -> List[str]:
    return ["damage_photo"] if order.status in ("shipped", "delivered") else []


def photo_from_message(tracker: Tracker) -> Optional[str]:
    """An attachment the channel passed in metadata, a photo link, or "none" if declined."""
    message = tracker.latest_message or {}
    metadata = conversation_metadata(tracker) if message.get("metadata") else {}
    found = _image_of(metadata)
    if found:
        return found
    for entity in message.get("entities") or []:
        if entity.get("entity") == "damage_photo" and entity.get("value"):  # the button
            return str(entity["value"])
    said = str(message.get("text") or "")
    url = _URL.search(said)
    if url:
        return url.group(0)
    if declines_photo(said):  # "没有", "没拍照", "no photo", "I don't have one"…
        return "none"
    return None


def _image_of(metadata: Dict[str, Any]) -> Optional[str]:
    for key in ("image_url", "attachment_url", "pic_url"):
        if metadata.get(key):
            return str(metadata[key])
    for attachment in metadata.get("attachments") or []:
        if isinstance(attachment, dict) and attachment.get("url"):
            return str(attachment["url"])
    return None


def recent_photo(tracker: Tracker, max_age_s: float = 1800, lookback: int = 6) -> Optional[str]:
    """A picture the shopper sent shortly before reporting the damage, so they are not asked
    for it again ("here is a photo" first, "it arrived broken" second)."""
    seen = 0
    newest = max((float(e.get("timestamp") or 0) for e in tracker.events), default=0.0)
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        seen += 1
        if seen > lookback or newest - float(event.get("timestamp") or 0) > max_age_s:
            return None
        found = _image_of(event.get("metadata") or {})
        if found:
            return found
    return None


# Channels on which a shopper can send a picture into the chat itself.
ATTACHING_CHANNELS = ("wechat", "app", "web")


def ask_photo_key(tracker: Tracker) -> str:
    channel = conversation_metadata(tracker).get("channel")
    return "ask_photo_attach" if channel in ATTACHING_CHANNELS else "ask_photo_text"


def damaged(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher, order: Order,
            lang: str) -> List[Dict[str, Any]]:
    if order.status not in ("shipped", "delivered"):
        dispatcher.utter_message(text=text("damage_not_shipped", lang, order_id=order.id))
        return []
    photo = tracker.get_slot("damage_photo")
    photo_url = photo if photo and photo != "none" else None
    case = open_case(session, order, "damaged_item", "high", tracker,
                     description=str((tracker.latest_message or {}).get("text") or "")[:500],
                     photo_url=photo_url)
    message = text("damage_case", lang, case_id=case.id,
                   photo=text("photo_yes" if photo_url else "photo_no", lang))
    message += goodwill_sentence(session, order, "damaged_item", lang, tracker)
    dispatcher.utter_message(text=message)
    return [SlotSet("after_sales_case", case.id), SlotSet("order_action_done", "case_opened"),
            SlotSet("damage_photo", photo_url)]
