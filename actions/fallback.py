"""Two-stage fallback: ask to rephrase once, then offer a human.

Counts the consecutive low-confidence user turns at the end of the conversation so the
state survives restarts (it is derived from the tracker, not kept in memory).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import knowledge
from actions.faq import follow_up_topic

FALLBACK_INTENT = "nlu_fallback"


def consecutive_fallbacks(tracker: Tracker) -> int:
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


class ActionFallback(Action):
    def name(self) -> Text:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        topic = follow_up_topic(tracker)
        if topic:  # "and by credit card?" right after an FAQ answer: read against that topic
            dispatcher.utter_message(response=f"utter_{topic}")
            return []
        language = tracker.get_slot("language") or "zh"
        found = await knowledge.lookup((tracker.latest_message or {}).get("text") or "",
                                       language, tracker.sender_id)
        if found.answer is not None:  # a long-tail question the knowledge base answers
            dispatcher.utter_message(text=knowledge.quote(found.answer, language))
            return []
        if consecutive_fallbacks(tracker) < 2:
            if found.checked:  # say so only when the knowledge base really had nothing
                dispatcher.utter_message(text=knowledge.unknown(language))
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet("handoff_trigger", "fallback")]


class ActionOutOfScope(Action):
    """A question the assistant has no intent for ("who founded the shop?") may still be in
    the knowledge base: quote the article when one answers confidently, else say what the
    assistant can help with."""

    def name(self) -> Text:
        return "action_out_of_scope"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = tracker.get_slot("language") or "zh"
        found = await knowledge.lookup((tracker.latest_message or {}).get("text") or "",
                                       language, tracker.sender_id)
        if found.answer is not None:
            dispatcher.utter_message(text=knowledge.quote(found.answer, language))
            return []
        if found.checked:  # the question is recorded for the supervisors' list of misses
            dispatcher.utter_message(text=knowledge.unknown(language))
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
