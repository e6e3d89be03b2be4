"""What shoppers type at each order-form step, read before any global intent."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import form_reading, form_steps
from actions.orders import conversation as orders
from actions.orders.aftersales import parse_reason, photo_from_message
from actions.texts import text
from common.flows.matching import is_cancel
from actions.store import normalize_order_id
from common.flows.matching import is_cancel

ORDER = "E202611180042"


@pytest.mark.parametrize("said", [
    f"my order is {ORDER}", f"it's {ORDER}.", f"订单号是{ORDER},到哪了", f"order number: {ORDER.lower()}",
    "E2026 1118 0042", "E-2026-1118-0042", "Ｅ２０２６１１１８００４２", f"订单号：{ORDER}。谢谢",
])
def test_order_number_found_anywhere_in_a_sentence(said):
    assert normalize_order_id(said) == ORDER


def test_a_phone_number_is_not_an_order_number():
    assert normalize_order_id("我的手机号 13812345678") is None
    assert normalize_order_id("phone 13812345678, order 202611180042") == "202611180042"


@pytest.mark.parametrize("said,digits", [
    ("1234", "1234"), ("尾号是１２３４", "1234"), ("the last four are 5678 thanks", "5678"),
    ("12 34", "1234"), ("我手机号13812345678", "5678")])
def test_last_four_digits_in_an_answer(said, digits):
    assert form_reading.last4_in(said) == digits


@pytest.mark.parametrize("said", ["123", "12345", "no idea", "1234 or 5678"])
def test_no_last_four_digits(said):
    assert form_reading.last4_in(said) is None


@pytest.mark.parametrize("said,answer", [
    ("actually no, keep it", False), ("no, don't cancel", False), ("不取消了,留着吧", False),
    ("算了,还是不取消", False), ("等等,先不", False), ("yes please cancel it", True),
    ("sure, go ahead", True), ("是的", True), ("好的取消吧", True), ("嗯", True),
    ("what does that mean", None)])
def test_confirmation_read_from_words(said, answer):
    assert form_reading.yes_no_in(said) is answer


@pytest.mark.parametrize("said", ["没有", "没有照片", "我没拍照", "no photo", "I don't have one",
                                  "don't have a photo, sorry", "nope", "拍不了", "以后再补"])
def test_the_suggested_no_photo_reply_in_every_phrasing(said):
    assert form_reading.declines_photo(said)


@pytest.mark.parametrize("said,reason", [
    ("no_reason", "no_reason"), ("no reason, I just don't want it", "no_reason"),
    ("不想要了", "no_reason"), ("it stopped working", "quality"), ("质量有问题", "quality"),
    ("you sent the wrong colour", "wrong_item"), ("发错货了", "wrong_item")])
def test_return_reasons(said, reason):
    assert parse_reason(said) == reason


def tracker(said: str, requested: str, intent: str, slots: Optional[Dict[str, Any]] = None,
            entities: Optional[List[Dict[str, Any]]] = None) -> Tracker:
    message = {"text": said, "intent": {"name": intent, "confidence": 0.9},
               "entities": entities or [], "metadata": {}}
    base = {"language": "zh", "requested_slot": requested, **(slots or {})}
    return Tracker("form", base, message, [], False, None, {}, "action_listen")


@pytest.mark.parametrize("said,intent", [("没有", "deny"), ("没有照片", "deny"), ("no photo", "deny"),
                                         ("nope", "deny")])
def test_no_photo_is_an_answer_not_a_refusal(said, intent):
    t = tracker(said, "damage_photo", intent)
    assert not form_steps.gives_up("damage_photo", t, intent)
    assert photo_from_message(t) == "none"


@pytest.mark.parametrize("said,intent,asked", [
    ("算了", "deny", "phone_last4"), ("forget it", "cancel", "order_id"),
    ("I have another question", "faq", "new_address"), ("我想问别的", "inform", "return_reason"),
    ("no", "deny", "phone_last4")])
def test_leaving_the_form(said, intent, asked):
    assert form_steps.gives_up(asked, tracker(said, asked, intent), intent)


def test_no_at_the_confirmation_is_an_answer():
    t = tracker("actually no, keep it", "order_confirmed", "cancel_order")
    assert not form_steps.gives_up("order_confirmed", t, "cancel_order")
    result = asyncio.run(orders.ValidateOrderForm().extract_order_confirmed(CollectingDispatcher(), t, {}))
    assert result == {"order_confirmed": False}


def test_order_number_step_reads_a_sentence():
    t = tracker(f"my order is {ORDER}", "order_id", "order_status")
    result = asyncio.run(orders.ValidateOrderForm().extract_order_id(CollectingDispatcher(), t, {}))
    assert result == {"order_id": ORDER}


def _miss(slots: Dict[str, Any]) -> tuple:
    dispatcher = CollectingDispatcher()
    t = tracker("abc", "phone_last4", "inform", slots)
    events = form_steps.after_validation(
        "phone_last4", t, [{"event": "slot", "name": "phone_last4", "value": None}], dispatcher, "zh")
    return {e["name"]: e["value"] for e in events}, dispatcher.messages


def test_misses_get_a_clearer_prompt_then_a_human():
    first, said = _miss({})
    assert first["form_misses"] == 1 and not said
    t1 = tracker("abc", "phone_last4", "inform", {"form_misses": 1})
    assert form_steps.ask_text("ask_phone_last4", "phone_last4", t1, "zh") == text("ask_phone_last4", "zh")
    second, _ = _miss({"form_misses": 1})
    t2 = tracker("abc", "phone_last4", "inform", {"form_misses": 2})
    again = form_steps.ask_text("ask_phone_last4", "phone_last4", t2, "zh")
    assert second["form_misses"] == 2 and again == text("reask_phone_last4", "zh") != text("ask_phone_last4", "zh")
    third, said = _miss({"form_misses": 2})
    assert third["order_aborted"] is True and third["requested_slot"] is None
    assert said[0]["text"] == text("form_offer_human", "zh")
    assert [b["payload"] for b in said[0]["buttons"]] == ["/request_human", "/deny"]


def test_a_good_answer_clears_the_misses():
    events = form_steps.after_validation(
        "phone_last4", tracker("1234", "phone_last4", "inform", {"form_misses": 2}),
        [{"event": "slot", "name": "phone_last4", "value": "1234"}], CollectingDispatcher(), "zh")
    assert {"event": "slot", "name": "form_misses", "value": None, "timestamp": None} in events


@pytest.mark.parametrize("said", ["forget it, I'll call my ISP", "算了,我自己打给运营商",
                                  "ok, never mind. thanks", "No, stop"])
def test_stopping_a_flow_inside_a_sentence(said):
    assert is_cancel(said)


@pytest.mark.parametrize("said", ["stop light is red", "还是不行", "it works now"])
def test_not_stopping_a_flow(said):
    assert not is_cancel(said)


@pytest.mark.parametrize("said,intent", [("I don't remember", "deny"), ("不记得了", "deny"),
                                         ("no idea sorry", "deny")])
def test_not_knowing_is_a_miss_not_a_refusal(said, intent):
    assert not form_steps.gives_up("phone_last4", tracker(said, "phone_last4", intent), intent)


def _confident(said: str, asked: str, intent: str) -> Tracker:
    t = tracker(said, asked, intent)
    t.latest_message["intent"]["confidence"] = 0.95
    return t


def test_a_question_at_a_free_text_step_goes_to_the_rules_then_the_step_again():
    t = _confident("wait, do you ship to Tibet?", "phone_last4", "faq")
    assert form_steps.asks_something_else("phone_last4", t)
    events = asyncio.run(orders.ValidateOrderForm().run(CollectingDispatcher(), t, {}))
    assert {"event": "slot", "name": "phone_last4", "value": None, "timestamp": None} in events
    assert any(e["event"] == "action_execution_rejected" for e in events)
    # an answer with the digits in it is an answer, whatever the intent
    assert not form_steps.asks_something_else(
        "phone_last4", _confident("it's 1234, and do you ship to Tibet?", "phone_last4", "faq"))


def test_asking_for_a_person_inside_the_form_hands_over():
    t = _confident("just get me a human please", "phone_last4", "request_human")
    events = asyncio.run(orders.ValidateOrderForm().run(CollectingDispatcher(), t, {}))
    assert {"event": "followup", "name": "action_handoff", "timestamp": None} in events
    assert {"event": "slot", "name": "order_aborted", "value": True, "timestamp": None} in events


def test_a_verified_phone_is_an_answer_though_the_digits_are_not_kept():
    events = [{"event": "slot", "name": "verified_orders", "value": [ORDER]},
              {"event": "slot", "name": "order_id", "value": ORDER},
              {"event": "slot", "name": "phone_last4", "value": None}]
    out = form_steps.after_validation("phone_last4", tracker("1234", "phone_last4", "inform",
                                                             {"form_misses": 2}),
                                      events, CollectingDispatcher(), "zh")
    assert out[-1]["name"] == "form_misses" and out[-1]["value"] is None
    assert not any(e.get("name") == "order_aborted" for e in out)


def test_a_full_width_order_number_keeps_its_letter():
    said = "我的订单Ｅ２０２６１１１８００４２怎么还没发货"
    t = tracker(said, "order_id", "order_status",
                entities=[{"entity": "order_id", "value": "２０２６１１１８００４２"}])
    assert orders._entity_order_id(t) == ORDER


def test_the_four_digit_group_among_other_numbers():
    assert form_reading.last4_in("the last 4 digits are 0027") == "0027"


async def test_twelve_digits_are_written_as_the_shop_shows_them(store):
    result = await orders.ValidateOrderForm().validate_order_id(
        "２０２６１１１８００４２", CollectingDispatcher(), tracker("x", "order_id", "inform"), {})
    assert result == {"order_id": ORDER, "phone_last4": None}


def test_a_single_word_at_a_free_text_step_is_an_answer_not_a_question():
    assert not form_steps.asks_something_else("new_address", _confident("公司", "new_address", "faq"))
