"""FAQ answers that remember the topic of the last answer.

A short follow-up ("and by credit card?", "what about two months later?", "那信用卡呢") is
read against the FAQ the bot answered just before: if the response selector still ranks that
topic near the top, or is unsure, the shopper gets that topic's answer again (it holds the
detail they asked about) rather than a new, unrelated one. The topic is read from the tracker
(the previous bot message's response name), so nothing is kept in memory.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from common.followup import is_follow_up

RETRIEVAL_ACTION = "utter_faq"  # the retrieval action this one stands in for
FAQ_PREFIX = RETRIEVAL_ACTION + "/"
TOP_K = 3
# The policy answer that belongs to an order topic, for a follow-up asked inside the order form.
ORDER_TOPIC_FAQ = {"refund_status": "faq/return_policy", "return_request": "faq/return_policy",
                   "order_status": "faq/shipping_time", "logistics_problem": "faq/shipping_time"}
# a follow-up keeps the last topic unless the selector is this sure of another one
UNSURE = 0.9
def last_faq_topic(tracker: Tracker) -> Optional[str]:
    """"faq/return_policy" if the bot's message just before the shopper's was that answer."""
    seen_user = False
    for event in reversed(tracker.events or []):
        kind = event.get("event")
        if kind == "user":
            if seen_user:
                return None
            seen_user = True
        elif kind == "session_started":
            return None
        elif kind == "bot" and seen_user:
            name = str((event.get("metadata") or {}).get("utter_action") or "")
            if name.startswith(FAQ_PREFIX):
                return name[len("utter_"):]
            # an order conversation is under way ("退货以后钱多久能退回来" -> "which order?"):
            # its policy question is the topic ("信用卡付的呢" asks about refund times)
            return ORDER_TOPIC_FAQ.get(str(tracker.get_slot("order_topic") or "")) \
                if tracker.get_slot("requested_slot") else None
    return None


_MARKERS = re.compile(r"^(and|but|or|also|so|what about|how about|what if|and if|even if|same for)\b|"
                      r"^(那么|那|如果|要是|假如|还有|换成|改用)|(的呢|呢|吗|嘛)\s*[??]?\s*$|"
                      r"[\s,.!?;:,。!?;:]", re.IGNORECASE)


def last_answer_text(tracker: Tracker) -> str:
    """The text of the bot's message just before the shopper's latest one."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            if seen_user:
                return ""
            seen_user = True
        elif event.get("event") == "bot" and seen_user:
            return str(event.get("text") or "")
    return ""


def names_something_in(said: str, answer: str) -> bool:
    """The follow-up names something the last answer talks about ("信用卡付的呢" after an
    answer that gives the credit-card refund time): English words of 4+ letters, Chinese
    character pairs."""
    answer = answer.lower()
    rest = _MARKERS.sub(" ", said.lower())
    words = [w for w in re.findall(r"[a-z]{4,}", rest)]
    pairs = [c[i:i + 2] for c in re.findall(r"[\u4e00-\u9fff]+", rest) for i in range(len(c) - 1)]
    return any(w in answer for w in words) or any(p in answer for p in pairs)


def _selection(tracker: Tracker) -> Dict[str, Any]:
    selector = (tracker.latest_message or {}).get("response_selector") or {}
    return selector.get("faq") or {}


def selected_topic(tracker: Tracker) -> Optional[str]:
    key = ((_selection(tracker).get("response") or {}).get("intent_response_key"))
    return str(key) if key else None


def follow_up_topic(tracker: Tracker) -> Optional[str]:
    """The last answer's topic when the latest message is a follow-up to it, else None."""
    last = last_faq_topic(tracker)
    if last is None or not is_follow_up((tracker.latest_message or {}).get("text")):
        return None
    selection = _selection(tracker)
    ranking = selection.get("ranking") or []
    top = [str(r.get("intent_response_key")) for r in ranking[:TOP_K]]
    confidence = float(((selection.get("response") or {}).get("confidence")) or 0.0)
    intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
    said = str((tracker.latest_message or {}).get("text") or "")
    if intent != "faq" or last in top or confidence < UNSURE or \
            names_something_in(said, last_answer_text(tracker)):
        return last
    return None


class ActionFaqAnswer(Action):
    """The FAQ answer the response selector chose, or the previous topic for a follow-up."""

    def name(self) -> Text:
        return "action_faq_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        topic = follow_up_topic(tracker) or selected_topic(tracker)
        dispatcher.utter_message(response=f"utter_{topic}" if topic else "utter_ask_rephrase")
        return []
