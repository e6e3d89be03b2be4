"""Context across turns: an answer to the troubleshooting step just asked goes to the flow
before any global intent, and a short follow-up to an FAQ answer is read against that topic."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback
from actions.faq import ActionFaqAnswer, follow_up_topic
from actions.flows.engine import Engine, FlowState
from bot.components.step_first import FlowStepFirstPolicy
from common.flows.loader import FlowLibrary
from common.followup import is_follow_up

DOMAIN = Domain.load("domain.yml")


def policy(tmp_path) -> FlowStepFirstPolicy:
    return FlowStepFirstPolicy.create(
        FlowStepFirstPolicy.get_default_config(), LocalModelStorage(tmp_path), Resource("step"),
        ExecutionContext(GraphSchema({}), "test"))


def flow_tracker(said: str, intent: str, step_shown: bool = True) -> DialogueStateTracker:
    flow = FlowLibrary().get("camera_wifi")
    step = "basics"  # "Is it connected now?" with It's connected / Still not connecting
    shown = Engine("en").reask(flow, FlowState(flow.id, step, [])).messages[-1]
    events = [ActionExecuted("action_listen"), UserUttered("my camera is offline",
                                                           {"name": "troubleshoot_device_network"}),
              ActionExecuted("action_flow_start"), SlotSet("flow_id", flow.id), SlotSet("flow_step", step)]
    if step_shown:
        events.append(BotUttered(shown.text, {"buttons": shown.buttons}))
    else:
        events.append(BotUttered("some other answer"))
    events += [ActionExecuted("action_listen"), UserUttered(said, {"name": intent, "confidence": 0.9})]
    return DialogueStateTracker.from_events("shopper", events, DOMAIN.slots)


def predicted(tmp_path, tracker: DialogueStateTracker) -> Optional[str]:
    prediction = policy(tmp_path).predict_action_probabilities(tracker, DOMAIN)
    best = max(range(len(prediction.probabilities)), key=prediction.probabilities.__getitem__)
    return DOMAIN.action_names_or_texts[best] if prediction.probabilities[best] > 0 else None


@pytest.mark.parametrize("said,intent", [
    ("did that, it works now", "coupon_inquiry"), ("done, it's connected now", "order_status"),
    ("forget it, I'll call my ISP", "out_of_scope"), ("still not working", "troubleshoot_router")])
def test_a_step_answer_goes_to_the_flow_before_global_intents(tmp_path, said, intent):
    assert predicted(tmp_path, flow_tracker(said, intent)) == "action_flow_answer"


def test_other_questions_are_left_to_the_rules(tmp_path):
    assert predicted(tmp_path, flow_tracker("what coupons can I get", "coupon_inquiry")) is None
    # the step was not the last thing asked: the shopper has moved on
    assert predicted(tmp_path, flow_tracker("it works now", "affirm", step_shown=False)) is None


def sdk_tracker(said: str, intent: str, selected: str, ranking: List[str], confidence: float,
                previous: Optional[str]) -> Tracker:
    events: List[Dict[str, Any]] = [{"event": "user", "text": "first"}]
    if previous:
        events.append({"event": "bot", "text": "answer", "metadata": {"utter_action": previous}})
    events.append({"event": "user", "text": said})
    message = {"text": said, "intent": {"name": intent, "confidence": 0.8}, "response_selector": {
        "faq": {"response": {"intent_response_key": selected, "confidence": confidence},
                "ranking": [{"intent_response_key": k, "confidence": 0.1} for k in ranking]}}}
    return Tracker("s", {"language": "en"}, message, events, False, None, {}, "action_listen")


@pytest.mark.parametrize("said", ["and by credit card?", "what about two months later?", "那信用卡呢",
                                  "如果超过两个月呢", "and with Alipay?"])
def test_follow_up_shapes(said):
    assert is_follow_up(said)


@pytest.mark.parametrize("said", ["how do I get an invoice for my order", "where is my order",
                                  "发票怎么开", "I want to return it"])
def test_not_follow_ups(said):
    assert not is_follow_up(said)


async def test_follow_up_answered_with_the_last_topic():
    t = sdk_tracker("and by credit card?", "faq", "faq/payment_methods",
                    ["faq/payment_methods", "faq/return_policy"], 0.7, "utter_faq/return_policy")
    dispatcher = CollectingDispatcher()
    await ActionFaqAnswer().run(dispatcher, t, {})
    assert dispatcher.messages[0]["response"] == "utter_faq/return_policy"


async def test_a_new_question_is_not_a_follow_up():
    fresh = sdk_tracker("how do invoices work", "faq", "faq/invoice", ["faq/invoice"], 0.9,
                        "utter_faq/return_policy")
    assert follow_up_topic(fresh) is None
    # a confident, different topic wins even in follow-up shape
    other = sdk_tracker("and what about invoices?", "faq", "faq/invoice", ["faq/invoice", "faq/points"],
                        0.9, "utter_faq/return_policy")
    dispatcher = CollectingDispatcher()
    await ActionFaqAnswer().run(dispatcher, other, {})
    assert dispatcher.messages[0]["response"] == "utter_faq/invoice"
    # no FAQ answered just before: nothing to follow up
    assert follow_up_topic(sdk_tracker("and by credit card?", "faq", "faq/payment_methods", [], 0.3, None)) is None


async def test_an_unclear_follow_up_is_read_against_the_last_answer():
    t = sdk_tracker("what about two months later?", "nlu_fallback", "faq/shipping_time", [], 0.2,
                    "utter_faq/warranty")
    dispatcher = CollectingDispatcher()
    await ActionFallback().run(dispatcher, t, {})
    assert dispatcher.messages[0]["response"] == "utter_faq/warranty"


def faq_tracker(said: str, intent: str, confidence: float = 0.42,
                answered: str = "utter_faq/warranty") -> DialogueStateTracker:
    events = [ActionExecuted("action_listen"), UserUttered("how long is the warranty", {"name": "faq"}),
              ActionExecuted("action_faq_answer"), BotUttered("warranty", metadata={"utter_action": answered}),
              ActionExecuted("action_listen"),
              UserUttered(said, {"name": intent, "confidence": confidence})]
    return DialogueStateTracker.from_events("shopper", events, DOMAIN.slots)


@pytest.mark.parametrize("said,intent", [("what about two months later?", "goodbye"),
                                         ("周末也有吗", "out_of_scope"), ("do they expire?", "faq")])
def test_a_follow_up_after_an_faq_goes_to_the_faq_answer(tmp_path, said, intent):
    assert predicted(tmp_path, faq_tracker(said, intent)) == "action_faq_answer"


def test_a_task_or_a_new_question_after_an_faq_is_left_to_the_rules(tmp_path):
    assert predicted(tmp_path, faq_tracker("and can I talk to a human?", "request_human", 0.95)) is None
    assert predicted(tmp_path, faq_tracker("where is my order", "order_status", 0.95)) is None
    assert predicted(tmp_path, faq_tracker("what about two months later?", "goodbye",
                                           answered="utter_greet")) is None


def test_listen_after_a_follow_up_answer(tmp_path):
    tracker = faq_tracker("what about two months later?", "goodbye")
    tracker.update(ActionExecuted("action_faq_answer"))
    assert predicted(tmp_path, tracker) == "action_listen"


def test_a_follow_up_inside_the_order_form_reads_the_order_topic():
    events = [{"event": "user", "text": "退货以后钱多久能退回来"},
              {"event": "bot", "text": "请先提供订单号", "metadata": {}},
              {"event": "user", "text": "信用卡付的呢"}]
    message = {"text": "信用卡付的呢", "intent": {"name": "faq", "confidence": 0.9},
               "response_selector": {"faq": {"response": {"intent_response_key": "faq/payment_methods",
                                                          "confidence": 0.4}, "ranking": []}}}
    t = Tracker("s", {"order_topic": "refund_status", "requested_slot": "order_id"}, message, events,
                False, None, {}, "action_listen")
    assert follow_up_topic(t) == "faq/return_policy"


async def test_a_follow_up_naming_something_in_the_last_answer_keeps_its_topic():
    t = sdk_tracker("信用卡付的呢", "faq", "faq/payment_methods", ["faq/payment_methods"], 0.97,
                    "utter_faq/return_policy")
    t.events[1]["text"] = "退款原路返回:微信/支付宝1天,银行卡3天,信用卡5天到账。"
    dispatcher = CollectingDispatcher()
    await ActionFaqAnswer().run(dispatcher, t, {})
    assert dispatcher.messages[0]["response"] == "utter_faq/return_policy"
