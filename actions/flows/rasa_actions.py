"""The rasa-sdk actions that drive flows: start, answer, resume (re-ask/offer) and cancel.

Rules in data/stories/flows.yml route messages here; each action reads the position from
the slots and the conversation (conversation.py), lets the Engine decide, and writes the
new position back to `flow_id`, `flow_step` and `flow_record`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import texts
from actions.fallback import ActionFallback
from actions.flows.conversation import (OFFER, STEP, answering, chosen_option, flow_state,
                                        latest_intent, latest_text)
from actions.flows.engine import OFFER_RESTART, OFFER_RESUME, OFFER_STOP, Engine, FlowState, Turn
from actions.store import off_loop
from common.flows.loader import FlowLibrary
from common.flows.matching import is_cancel, match_text
from common.flows.model import ESCALATE, Flow

LIBRARY = FlowLibrary()
HANDOFF_TRIGGER = "flow_unresolved"
# What the shop's ordinary rules answer when a message turns out not to be about the flow.
DEFAULT_REPLIES = {"affirm": "utter_anything_else", "deny": "utter_deny_ack",
                   "out_of_scope": "utter_out_of_scope", "thank": "utter_thank",
                   "goodbye": "utter_goodbye"}


def _engine(tracker: Tracker) -> Engine:
    return Engine(tracker.get_slot("language") or "zh", tracker)


def _emit(dispatcher: CollectingDispatcher, turn: Turn) -> List[Dict[Text, Any]]:
    for message in turn.messages:
        kwargs: Dict[str, Any] = {"text": message.text}
        if message.buttons:
            kwargs["buttons"] = message.buttons
        if message.image:
            kwargs["image"] = message.image
        dispatcher.utter_message(**kwargs)
    events: List[Dict[Text, Any]] = [
        SlotSet("flow_id", turn.state.flow_id),
        SlotSet("flow_step", turn.state.step),
        SlotSet("flow_record", turn.state.record),
    ]
    if turn.end == ESCALATE:
        events += [SlotSet("handoff_trigger", HANDOFF_TRIGGER), FollowupAction("action_handoff")]
    return events


def _clear(state: FlowState) -> List[Dict[Text, Any]]:
    return [SlotSet("flow_id", None), SlotSet("flow_step", None), SlotSet("flow_record", state.record)]


async def _default_reply(dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any],
                         intent: Optional[str]) -> List[Dict[Text, Any]]:
    """Answer as if no flow were pending (the message was about something else)."""
    if intent == "nlu_fallback":
        return await ActionFallback().run(dispatcher, tracker, domain)
    dispatcher.utter_message(response=DEFAULT_REPLIES.get(intent or "", "utter_ask_rephrase"))
    return []


def _current(tracker: Tracker) -> tuple:
    state = flow_state(tracker)
    flow = LIBRARY.get(state.flow_id)
    if flow is None or flow.step(state.step) is None:
        return None, FlowState(None, None, state.record)  # finished, or the flow file went away
    return flow, state


async def _moving(flow: Flow, move: Callable[..., Turn], *args: Any, **kwargs: Any) -> Turn:
    """`move` (Engine.begin or Engine.answer), on a worker thread when the flow has step
    actions: a step may look things up in the store (lookup_device_model), and a query
    waiting there must not hold up the event loop every conversation shares."""
    if any(step.action for step in flow.steps.values()):
        return await off_loop(move, *args, **kwargs)
    return move(*args, **kwargs)


async def _answer_typed(engine: Engine, flow: Flow, state: FlowState,
                        tracker: Tracker) -> Optional[Turn]:
    text = latest_text(tracker)
    option = match_text(flow.steps[state.step or ""], text, latest_intent(tracker))
    return await _moving(flow, engine.answer, flow, state, option, typed=text or None) \
        if option else None


def _faq_response(tracker: Tracker) -> str:
    """The retrieval response the ResponseSelector picked, e.g. utter_faq/shipping_fee."""
    selector = ((tracker.latest_message or {}).get("response_selector") or {}).get("faq") or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    return f"utter_{key}" if key else "utter_ask_rephrase"


class ActionFlowStart(Action):
    """A troubleshoot_* intent: start its flow, or pick up the one already under way."""

    def name(self) -> Text:
        return "action_flow_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        engine = _engine(tracker)
        wanted = LIBRARY.for_trigger(latest_intent(tracker))
        flow, state = _current(tracker)
        if wanted is None:
            dispatcher.utter_message(response="utter_holding_troubleshoot")
            return []
        if flow is not None and answering(tracker, state) == STEP:
            # "重启了还是连不上" / "still not working" may be classified as a troubleshoot
            # intent: words that answer the current step are an answer, not a new problem
            option = match_text(flow.steps[state.step or ""], latest_text(tracker), None)
            if option is not None:
                return _emit(dispatcher, await _moving(flow, engine.answer, flow, state, option,
                                                       typed=latest_text(tracker)))
            if flow.id == wanted.id:
                return _emit(dispatcher, engine.reask(flow, state, "flow.still_on_step"))
        elif flow is not None and flow.id == wanted.id:
            return _emit(dispatcher, engine.offer_resume(flow, state))
        lead = [engine.say("flow.switch", title=wanted.title.get(engine.language))] if flow else []
        turn = await _moving(wanted, engine.begin, wanted)
        if lead:
            turn.messages[0] = lead[0]  # the switch note replaces the usual intro line
        return _emit(dispatcher, turn)


class ActionFlowAnswer(Action):
    """A button press or a typed answer while a flow is pending."""

    def name(self) -> Text:
        return "action_flow_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        engine = _engine(tracker)
        flow, state = _current(tracker)
        chosen = chosen_option(tracker)
        if chosen is not None:
            return await self._button(dispatcher, engine, flow, state, chosen)
        intent = latest_intent(tracker)
        if flow is None:
            return await _default_reply(dispatcher, tracker, domain, intent)
        status = answering(tracker, state)
        if status in (STEP, OFFER) and is_cancel(latest_text(tracker)):
            return _emit(dispatcher, engine.cancel(flow, state))
        if status == STEP:
            turn = await _answer_typed(engine, flow, state, tracker)
            if turn is None and intent == "goodbye":  # "好了,再见" is an answer; a bare goodbye is not
                return await _default_reply(dispatcher, tracker, domain, intent)
            return _emit(dispatcher, turn or engine.not_understood(flow, state))
        if status == OFFER and intent == "affirm":
            return _emit(dispatcher, engine.reask(flow, state))
        if status == OFFER and intent == "deny":
            return _emit(dispatcher, engine.cancel(flow, state, "flow.dropped"))
        if intent == "affirm":  # paused, and the shopper says "yes": the flow is the open topic
            return _emit(dispatcher, engine.offer_resume(flow, state))
        return await _default_reply(dispatcher, tracker, domain, intent)

    @staticmethod
    async def _button(dispatcher: CollectingDispatcher, engine: Engine, flow: Optional[Flow],
                state: FlowState, chosen: str) -> List[Dict[Text, Any]]:
        if flow is None:
            dispatcher.utter_message(text=texts.text("flow.no_flow", engine.language))
            return _clear(state)
        if chosen == OFFER_RESUME:
            return _emit(dispatcher, engine.reask(flow, state))
        if chosen == OFFER_RESTART:
            return _emit(dispatcher, await _moving(flow, engine.begin, flow))
        if chosen == OFFER_STOP:
            return _emit(dispatcher, engine.cancel(flow, state, "flow.dropped"))
        step_id, _, option_id = chosen.rpartition(":")
        step = flow.steps[state.step or ""]
        if step_id and step_id != step.id and flow.step(step_id) is not None:
            return _emit(dispatcher, engine.reask(flow, state, "flow.stale_button"))
        if (step_id and step_id != step.id) or step.option(option_id) is None:
            return _emit(dispatcher, engine.reask(flow, state, "flow.unknown_option"))
        return _emit(dispatcher, await _moving(flow, engine.answer, flow, state, option_id))


class ActionFlowResume(Action):
    """After a digression (FAQ), a greeting or thanks: ask the step again or offer to continue."""

    def name(self) -> Text:
        return "action_flow_resume"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        engine = _engine(tracker)
        flow, state = _current(tracker)
        intent = latest_intent(tracker)
        if flow is None:
            if intent == "greet":
                dispatcher.utter_message(response="utter_greet")
            return _clear(state)
        if intent == "faq":
            if answering(tracker, state) == STEP:
                turn = await _answer_typed(engine, flow, state, tracker)
                if turn is not None:
                    return _emit(dispatcher, turn)
            dispatcher.utter_message(response=_faq_response(tracker))
        if answering(tracker, state) == STEP:
            lead = None if intent == "greet" else "flow.back_to_step"
            return _emit(dispatcher, engine.reask(flow, state, lead))
        return _emit(dispatcher, engine.offer_resume(flow, state, welcome=intent == "greet"))


class ActionFlowCancel(Action):
    """算了 / stop: end the flow politely, keeping the record of what was tried."""

    def name(self) -> Text:
        return "action_flow_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        engine = _engine(tracker)
        flow, state = _current(tracker)
        if flow is None:
            dispatcher.utter_message(text=texts.text("flow.nothing_to_cancel", engine.language))
            return _clear(state)
        return _emit(dispatcher, engine.cancel(flow, state))
