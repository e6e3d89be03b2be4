"""Offer a human at once when the shopper's emotion turns strongly negative.

The offer names what upset the shopper in their own words (the cue phrases) and gives two
buttons: a human now, or carry on with the bot on what they asked (the original intent and
entities as a payload, which Rasa parses without NLU, so the offer is not made again).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.texts import text

def carry_on_payload(original: Dict[str, Any]) -> str:
    # the language entity is the detector's, not the shopper's answer: a button never sets it
    entities = {e["entity"]: e["value"] for e in original.get("entities") or []
                if e.get("entity") and e.get("entity") != "language"}
    intent = original.get("intent") or "greet"
    if intent in ("nlu_fallback", "emotion_escalation"):
        intent = "greet"
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


class ActionOfferHumanForEmotion(Action):
    def name(self) -> Text:
        return "action_offer_human_for_emotion"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        language = tracker.get_slot("language") or "zh"
        original = (tracker.latest_message or {}).get("emotion_escalation") or {}
        dispatcher.utter_message(
            text=text("emotion.offer", language),
            buttons=[
                {"title": text("emotion.human", language), "payload": "/request_human"},
                {"title": text("emotion.carry_on", language), "payload": carry_on_payload(original)},
            ],
        )
        return [SlotSet("handoff_trigger", "negative_emotion")]
