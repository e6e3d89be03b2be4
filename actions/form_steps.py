"""The order form's steps read locally first: does the shopper's message answer the question
the bot just asked? Misses are counted so the second one gets a different prompt and the third
an offer of a human instead of the same question again."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import form_reading
from actions.texts import text
from actions.orders.aftersales import parse_reason, photo_from_message
from actions.orders.changes import clean_address
from actions.store import normalize_order_id

MISSES = "form_misses"
HUMAN_AFTER = 3  # the third miss offers a person
GLOBAL_CONFIDENCE = 0.6
HUMAN_INTENTS = ("request_human", "complain")
GLOBAL_INTENTS = ("faq", "coupon_inquiry", "order_status", "logistics_problem", "change_address",
                  "cancel_order", "return_request", "refund_status", "damaged_item")


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def answers_step(asked: Optional[str], tracker: Tracker) -> bool:
    """The message holds a usable answer to the step (whatever intent NLU gave it), so a
    "no"-sounding answer such as "没有" to the photo question is not read as giving up."""
    said = latest_text(tracker)
    if asked == "damage_photo":
        return photo_from_message(tracker) is not None
    if asked == "return_reason":
        return parse_reason(said) is not None
    if asked == "phone_last4":
        return form_reading.last4_in(said) is not None
    if asked == "order_id":
        return normalize_order_id(said) is not None
    if asked == "new_address":
        return clean_address(said) is not None
    if asked == "order_confirmed":
        return form_reading.yes_no_in(said) is not None
    return False


def gives_up(asked: Optional[str], tracker: Tracker, intent: Optional[str]) -> bool:
    """"算了" / "forget it" / "I have another question", or a bare "no" that answers nothing
    ("I don't remember" is a miss, not a refusal)."""
    if not asked or answers_step(asked, tracker):
        return False
    said = latest_text(tracker)
    if form_reading.leaves_form(said):
        return True
    return intent in ("deny", "cancel") and asked != "order_confirmed" and \
        form_reading.bare_refusal(said)


def _intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name"), float(intent.get("confidence") or 0.0)


def wants_a_person(asked: Optional[str], tracker: Tracker) -> bool:
    """"just get me a human" typed at a step: a request, not an answer."""
    name, confidence = _intent(tracker)
    return bool(asked) and name in HUMAN_INTENTS and confidence >= GLOBAL_CONFIDENCE and \
        not answers_step(asked, tracker)


def asks_something_else(asked: Optional[str], tracker: Tracker) -> bool:
    """An FAQ or another topic typed at a step whose answer is free text (the slot would take
    any words): let the global rules answer it, then the form asks again."""
    name, confidence = _intent(tracker)
    if not asked or confidence < GLOBAL_CONFIDENCE or answers_step(asked, tracker):
        return False
    if not _QUESTION.search(latest_text(tracker)):
        return False  # "公司" at the address step is a (poor) answer, not an invoice question
    return name in GLOBAL_INTENTS or str(name).startswith(("faq", "troubleshoot_"))


_QUESTION = re.compile(r"[??吗呢么嘛]|怎么|多少|几|什么|哪|能不能|可不可以|是否|.{6,}|"
                       r"\b(what|how|when|where|why|which|who|do|does|did|can|could|is|are|will)\b",
                       re.IGNORECASE)


def filled(events: List[Dict[str, Any]], slot: str) -> Optional[bool]:
    """True if `slot` got a value, False if it was tried and cleared, None if untouched.

    The phone digits are cleared once they have verified the order (they are not kept), so a
    verification counts as an answer."""
    result: Optional[bool] = None
    for event in events:
        if event.get("event") != "slot":
            continue
        if event.get("name") == "verified_orders" and event.get("value"):
            return True
        if event.get("name") == slot:
            result = event.get("value") is not None
    return result


def misses(tracker: Tracker) -> int:
    try:
        return int(tracker.get_slot(MISSES) or 0)
    except (TypeError, ValueError):
        return 0


def after_validation(asked: Optional[str], tracker: Tracker, events: List[Dict[str, Any]],
                     dispatcher: CollectingDispatcher, lang: str) -> List[Dict[str, Any]]:
    """Count a miss (the step was answered with something unusable) or clear the count."""
    outcome = filled(events, asked) if asked else None
    if outcome is None:
        return events  # nothing tried at this step: the form lets other rules answer
    if outcome:
        return events + [SlotSet(MISSES, None)]
    count = misses(tracker) + 1
    if count < HUMAN_AFTER:
        return events + [SlotSet(MISSES, count)]
    dispatcher.utter_message(text=text("form_offer_human", lang), buttons=[
        {"title": text("btn_human", lang), "payload": "/request_human"},
        {"title": text("btn_no_thanks", lang), "payload": "/deny"}])
    return [e for e in events if e.get("name") != asked] + [
        SlotSet("order_aborted", True), SlotSet("requested_slot", None), SlotSet(MISSES, count)]


def ask_text(key: str, slot: str, tracker: Tracker, lang: str, **values: Any) -> str:
    """The usual question, or its clearer second form after a miss."""
    return text(f"reask_{slot}" if misses(tracker) >= 2 else key, lang, **values)
