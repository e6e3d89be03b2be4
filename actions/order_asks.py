"""The order form's questions that need more than a fixed text (buttons, topic, channel)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.messages import text
from actions.order_aftersales import REASONS, ask_photo_key
from actions.order_changes import AskConfirm
from actions.order_common import accessible_order, language, session_scope


class ActionAskNewAddress(Action):
    def name(self) -> Text:
        return "action_ask_new_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=text("ask_new_address", language(tracker)))
        return []


class ActionAskOrderConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_order_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        with session_scope() as session:
            order = accessible_order(session, tracker)
            message = AskConfirm.message(order, tracker, lang) if order else ""
        yes, no = ("是的", "不用了") if lang == "zh" else ("Yes", "No")
        dispatcher.utter_message(text=message, buttons=[{"title": yes, "payload": "/affirm"},
                                                        {"title": no, "payload": "/deny"}])
        return []


class ActionAskReturnReason(Action):
    def name(self) -> Text:
        return "action_ask_return_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        # Plain-text payloads: the form reads the reply as text (parse_reason).
        buttons = [{"title": text(f"reason_{r}", lang), "payload": r} for r in REASONS]
        dispatcher.utter_message(text=text("ask_return_reason", lang), buttons=buttons)
        return []


class ActionAskDamagePhoto(Action):
    def name(self) -> Text:
        return "action_ask_damage_photo"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=text(ask_photo_key(tracker), language(tracker)))
        return []
