"""The order form's questions that need more than a fixed text (buttons, topic, channel)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions.form_steps import ask_text, misses
from actions.texts import text
from actions.orders.aftersales import REASONS, ask_photo_key
from actions.orders.changes import AskConfirm
from actions.orders.common import accessible_order, language
from actions.store import in_session


def slot_payload(slot: str, value: str) -> str:
    """A button that sets one form slot: parsed by Rasa without NLU, so a word such as
    "no_reason" is never read as "no", and the conversation's language never changes."""
    return "/inform" + json.dumps({slot: value}, ensure_ascii=False, separators=(",", ":"))


def reason_buttons(lang: str) -> List[Dict[str, str]]:
    return [{"title": text(f"reason_{r}", lang), "payload": slot_payload("return_reason", r)}
            for r in REASONS]


def _confirm_message(session: Session, tracker: Tracker, lang: str) -> str:
    order = accessible_order(session, tracker)
    return AskConfirm.message(order, tracker, lang) if order else ""


class ActionAskNewAddress(Action):
    def name(self) -> Text:
        return "action_ask_new_address"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=ask_text("ask_new_address", "new_address", tracker,
                                               language(tracker)))
        return []


class ActionAskOrderConfirmed(Action):
    def name(self) -> Text:
        return "action_ask_order_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        message = await in_session(_confirm_message, tracker, lang)
        if misses(tracker) >= 2:
            message = text("reask_order_confirmed", lang)
        yes, no = text("btn_yes", lang), text("btn_no", lang)
        dispatcher.utter_message(text=message, buttons=[{"title": yes, "payload": "/affirm"},
                                                        {"title": no, "payload": "/deny"}])
        return []


class ActionAskReturnReason(Action):
    def name(self) -> Text:
        return "action_ask_return_reason"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        dispatcher.utter_message(text=ask_text("ask_return_reason", "return_reason", tracker, lang),
                                 buttons=reason_buttons(lang))
        return []


class ActionAskDamagePhoto(Action):
    def name(self) -> Text:
        return "action_ask_damage_photo"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        dispatcher.utter_message(text=ask_text(ask_photo_key(tracker), "damage_photo", tracker, lang),
                                 buttons=[{"title": text("btn_no_photo", lang),
                                           "payload": slot_payload("damage_photo", "none")}])
        return []
