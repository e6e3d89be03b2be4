"""The order conversation: one start action per order intent, the `order_form` that finds
and verifies the order (and asks what the topic needs), and the submit action that answers.

    intent -> action_<intent> (topic, identify, pre-fill) -> order_form -> action_order_submit

Topic logic lives in the other modules of actions/orders/; this module only routes.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.orm import Session

from actions import form_reading, form_steps
from actions.handover import cases as handoff_cases
from actions.identity import access
from actions.texts import status_name, text
from actions.orders import aftersales, changes, status
from actions.orders.common import (
    TOPICS, accessible_order, context_events, items_text, language, reset_form_events,
)
from actions.shop import submit as shop
from actions.store import find_order, in_session, normalize_order_id
from actions.store.queries import recent_orders

HANDLERS = {
    "order_status": status.status, "logistics_problem": status.logistics,
    "change_address": changes.change_address, "cancel_order": changes.cancel,
    "return_request": aftersales.return_request,
    "refund_status": aftersales.refund_status, "damaged_item": aftersales.damaged,
}
REQUIRED = {
    "change_address": changes.address_slots, "cancel_order": changes.cancel_slots,
    "return_request": aftersales.return_slots, "damaged_item": aftersales.damage_slots,
}


def _entity_order_id(tracker: Tracker) -> Optional[str]:
    """The order number NLU found, completed from the text when the extractor saw only its
    digits (a full-width "Ｅ" is no letter to the pattern)."""
    typed = normalize_order_id(str((tracker.latest_message or {}).get("text") or ""))
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == "order_id":
            found = normalize_order_id(str(entity.get("value")))
            return typed if typed and found and typed.endswith(found) else found
    return None


def _identify_and_pick(session: Session, tracker: Tracker) -> List[Dict[Text, Any]]:
    """Who the channel says the shopper is, and the order when it is clear which one is meant."""
    events: List[Dict[Text, Any]] = []
    customer_id, source = tracker.get_slot("customer_id"), tracker.get_slot("identity_source")
    if source != "channel":
        channel_customer = access.customer_from_channel(session, tracker)
        if channel_customer:
            customer_id, source = channel_customer, "channel"
            events += [SlotSet("customer_id", customer_id), SlotSet("identity_source", "channel")]
    order_id = _entity_order_id(tracker) or tracker.get_slot("order_id")
    if not order_id and source == "channel":
        candidates = recent_orders(session, customer_id)
        if len(candidates) == 1:
            order_id = candidates[0].id
    return events + [SlotSet("order_id", order_id)]


def _required(session: Session, tracker: Tracker) -> List[Text]:
    order = accessible_order(session, tracker)
    if order is None:
        return ["order_id", "phone_last4"] if tracker.get_slot("order_id") else ["order_id"]
    needed = REQUIRED.get(tracker.get_slot("order_topic") or "")
    return ["order_id"] + (needed(order, tracker) if needed else [])


def _visible_order_id(session: Session, tracker: Tracker, order_id: str) -> Optional[str]:
    order = find_order(session, order_id)
    return order.id if order is not None and access.can_see(tracker, order) else None


def _order_if_phone_matches(session: Session, order_id: str, digits: str) -> Optional[Any]:
    """The order (its columns loaded) when `digits` end one of its phones, else None."""
    order = find_order(session, order_id)
    return order if order is not None and access.phone_matches(order, digits) else None


def _order_buttons(session: Session, customer_id: Optional[str],
                   lang: str) -> List[Dict[str, str]]:
    return [{"title": f"{o.id} {items_text(o, lang, limit=1)} · {status_name(o.status, lang)}",
             "payload": f'/inform{{"order_id":"{o.id}"}}'}
            for o in recent_orders(session, customer_id)]


class OrderStart(Action):
    """Base of action_order_status, action_cancel_order, ...: set the topic, identify the
    shopper from the channel, and pick the order when it is clear which one is meant."""

    topic = "order_status"

    def name(self) -> Text:
        return f"action_{self.topic}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        events = [SlotSet("order_topic", self.topic)] + reset_form_events()
        events += await in_session(_identify_and_pick, tracker)
        if self.topic == "damaged_item":
            photo = aftersales.recent_photo(tracker)
            if photo:
                events.append(SlotSet("damage_photo", photo))
        return events


def _start(topic: str) -> type:
    return type(f"Action_{topic}", (OrderStart,), {"topic": topic})


ActionOrderStatus = OrderStart  # the base is action_order_status itself
ActionLogisticsProblem = _start("logistics_problem")
ActionChangeAddress = _start("change_address")
ActionCancelOrder = _start("cancel_order")
ActionReturnRequest = _start("return_request")
ActionRefundStatus = _start("refund_status")
ActionDamagedItem = _start("damaged_item")


class ValidateOrderForm(FormValidationAction):
    def name(self) -> Text:
        return "validate_order_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        asked = tracker.get_slot("requested_slot")
        # The step's own answers first ("没有" to the photo question is an answer), then
        # leaving the form ("算了", "I have another question"), then the global intents.
        if form_steps.gives_up(asked, tracker, intent):
            # The shopper gave up: end the form; the submit action acknowledges it.
            return [SlotSet("order_aborted", True), SlotSet("requested_slot", None),
                    SlotSet(form_steps.MISSES, None)]
        if form_steps.wants_a_person(asked, tracker):
            return [SlotSet("order_aborted", True), SlotSet("requested_slot", None),
                    SlotSet(form_steps.MISSES, form_steps.HUMAN_AFTER),
                    FollowupAction("action_handoff")]
        if form_steps.asks_something_else(asked, tracker):
            # Not an answer: the rules answer the question, then the form asks its step again.
            return [SlotSet(asked, None), ActionExecutionRejected(self.form_name())]
        events = await super().run(dispatcher, tracker, domain)
        return form_steps.after_validation(asked, tracker, events, dispatcher, language(tracker))

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("order_aborted") or tracker.get_slot("verify_blocked"):
            return []
        return await in_session(_required, tracker)

    async def extract_order_id(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        said = form_steps.latest_text(tracker)
        found = _entity_order_id(tracker) or normalize_order_id(said)
        if found:
            return {"order_id": found}
        # Digits that are no order number: let validation say what an order number looks like.
        return {"order_id": said} if sum(ch.isdigit() for ch in said) >= 4 else {}

    async def extract_order_confirmed(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> Dict[Text, Any]:
        # "actually no, keep it" / "好的取消吧": the words decide, whatever the intent was.
        if tracker.get_slot("requested_slot") != "order_confirmed":
            return {}
        answer = form_reading.yes_no_in(form_steps.latest_text(tracker))
        return {} if answer is None else {"order_confirmed": answer}

    async def extract_return_reason(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "return_reason":
            return {}
        for entity in (tracker.latest_message or {}).get("entities") or []:
            if entity.get("entity") == "return_reason":  # a button: /inform{"return_reason": …}
                return {"return_reason": entity.get("value")}
        return {"return_reason": form_steps.latest_text(tracker)}

    async def validate_order_id(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        lang = language(tracker)
        order_id = normalize_order_id(str(value or ""))
        if not order_id:
            dispatcher.utter_message(text=text("order_id_malformed", lang))
            return {"order_id": None}
        visible = await in_session(_visible_order_id, tracker, order_id)
        if visible:  # the shopper's own (or already proven) order: nothing is being guessed
            return {"order_id": visible}
        if await access.is_blocked(tracker):
            return {"order_id": None, "verify_blocked": True}
        if tracker.get_slot("identity_source") == "channel":
            # Unknown or someone else's: the same words either way.
            blocked = await access.register_failure(tracker)
            dispatcher.utter_message(text=text("order_not_found", lang))
            return {"order_id": None, "verify_blocked": blocked or None}
        # Not identified: take any well-formed number and ask for the phone before saying
        # anything, so the reply never reveals whether the order exists. Twelve digits are
        # written the way the shop shows them (E + 12 digits); the check finds either form.
        if len(order_id) == 12 and order_id.isdigit():
            order_id = f"E{order_id}"
        return {"order_id": order_id, "phone_last4": None}

    async def validate_phone_last4(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        lang = language(tracker)
        digits = form_reading.last4_in(str(value or ""))
        if digits is None:
            dispatcher.utter_message(text=text("phone_last4_format", lang))
            return {"phone_last4": None}
        order_id = str(tracker.get_slot("order_id") or "")
        # Reserved before the digits are compared: parallel guesses cannot pass a limit.
        attempt = await access.attempt(tracker, order_id)
        if not attempt.allowed:
            return {"phone_last4": None, "order_id": None, "verify_blocked": True}
        order = await in_session(_order_if_phone_matches, order_id, digits)
        if order is not None:
            await attempt.succeeded()
            # This order only: four digits are no proof of the account (no identity link).
            return dict(access.verified_events(tracker, order))
        dispatcher.utter_message(text=text("order_not_found", lang))
        return {"phone_last4": None, "order_id": None, "verify_blocked": attempt.blocked_after or None}

    def validate_new_address(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        address = changes.clean_address(value)
        if address is None:
            dispatcher.utter_message(text=text("address_invalid", language(tracker)))
        return {"new_address": address}

    def validate_return_reason(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"return_reason": aftersales.parse_reason(value)}

    async def extract_damage_photo(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: DomainDict) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "damage_photo":
            return {}
        return {"damage_photo": aftersales.photo_from_message(tracker)}

    def validate_damage_photo(self, value: Any, dispatcher: CollectingDispatcher,
                              tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        return {"damage_photo": value or None}


class ActionAskOrderId(Action):
    """"Which order?" with one button per recent order when the shopper is identified."""

    def name(self) -> Text:
        return "action_ask_order_id"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        if form_steps.misses(tracker) >= 2:
            dispatcher.utter_message(text=text("reask_order_id", lang))
            return []
        if tracker.get_slot("identity_source") != "channel":
            dispatcher.utter_message(text=text("ask_order_id_unverified", lang))
            return []
        buttons = await in_session(_order_buttons, tracker.get_slot("customer_id"), lang)
        if not buttons:
            dispatcher.utter_message(text=text("ask_order_id_none", lang))
            return []
        dispatcher.utter_message(text=text("which_order", lang), buttons=buttons)
        return []


class ActionAskPhoneLast4(Action):
    def name(self) -> Text:
        return "action_ask_phone_last4"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        dispatcher.utter_message(text=form_steps.ask_text("ask_phone_last4", "phone_last4",
                                                          tracker, language(tracker)))
        return []


def _answer(session: Session, tracker: Tracker, dispatcher: CollectingDispatcher, topic: str,
            lang: str, conversation_blocked: bool
            ) -> Tuple[bool, List[Dict[Text, Any]], Optional[Dict[str, Any]]]:
    """The topic's answer from the verified order, in one transaction: whether it was answered,
    the events, and the case it opened (sent to the service once committed)."""
    if tracker.get_slot("verify_blocked") or conversation_blocked and \
            accessible_order(session, tracker) is None:
        if conversation_blocked:
            said = text("verify_blocked", lang, minutes=access.limits()[1])
        else:  # this conversation is fine; the order number itself is being guessed
            said = text("verify_blocked_order", lang)
        dispatcher.utter_message(text=said)
        return False, [SlotSet("order_id", None)], None
    order = accessible_order(session, tracker)
    if order is None or topic not in TOPICS:
        dispatcher.utter_message(text=text("order_not_found", lang))
        return False, [SlotSet("order_id", None)], None
    events = HANDLERS[topic](session, tracker, dispatcher, order, lang) or []
    session.flush()
    session.refresh(order)
    events = context_events(order) + events
    return True, events, handoff_cases.opened_case(session, events, tracker)


class ActionOrderSubmit(Action):
    """The form is done: answer the topic from the verified order (checked again here)."""

    def name(self) -> Text:
        return "action_order_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> List[Dict[Text, Any]]:
        lang = language(tracker)
        topic = tracker.get_slot("order_topic") or "order_status"
        if tracker.get_slot("order_aborted"):
            if form_steps.misses(tracker) < form_steps.HUMAN_AFTER:  # else a person was offered
                dispatcher.utter_message(text=text("aborted", lang))
            return reset_form_events()
        conversation_blocked = await access.is_blocked(tracker)
        answered, events, opened = await in_session(_answer, tracker, dispatcher, topic, lang,
                                                    conversation_blocked)
        if not answered:
            return reset_form_events() + events
        if opened is not None:  # committed: agents work it in the handoff service
            await handoff_cases.send_case(opened)
        await shop.resolve(dispatcher)  # committed: say what the shop answered, or "submitted"
        # the topic's own slots last: a damage photo stays on the conversation with its case
        return reset_form_events() + events
