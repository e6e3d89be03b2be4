"""What shoppers type inside the order form and the flows, through the real stack over REST
(an unidentified shopper: order number + last four phone digits). Demo orders have stable
numbers; phones are 139000000NN, so the last four are 00NN."""
from __future__ import annotations

from actions.texts import text as msg

MOVING = ("E202600000002", "0001")          # in transit
DELIVERED_ROUTER = ("E202600000030", "0015")  # delivered recently
DELIVERED_TEE = ("E202600000016", "0011")     # delivered recently (T-shirt and mug)
PAID = ("E202600000032", "0015")             # paid, not shipped
LAST_EVENT = "Arrived at the destination hub"


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def buttons(messages):
    return [b for m in messages for b in m.get("buttons") or []]


def test_order_number_inside_an_english_sentence(chat, sender, tracker):
    chat(sender, "where is my order")
    asked = texts(chat(sender, f"my order is {MOVING[0]}"))
    assert msg("ask_phone_last4", "en") in asked and msg("order_id_malformed", "en") not in asked
    answer = texts(chat(sender, f"the last four are {MOVING[1]}"))
    assert LAST_EVENT in answer
    assert tracker(sender)["slots"]["language"] == "en"


def test_return_reason_button_keeps_the_form_and_the_language(chat, sender, tracker):
    chat(sender, "我要退货")
    chat(sender, f"订单号是{DELIVERED_ROUTER[0]}")
    asked = chat(sender, f"尾号{DELIVERED_ROUTER[1]}")
    assert msg("ask_return_reason", "zh") in texts(asked)
    no_reason = next(b for b in buttons(asked) if b["title"] == msg("reason_no_reason", "zh"))
    created = texts(chat(sender, no_reason["payload"]))
    assert "已为您创建退货单" in created  # the return is made, in Chinese
    slots = tracker(sender)["slots"]
    assert slots["language"] == "zh" and slots["return_id"]


def test_the_suggested_no_photo_reply_opens_the_case(chat, sender):
    chat(sender, "收到的杯子碎了")
    chat(sender, DELIVERED_TEE[0])
    asked = texts(chat(sender, DELIVERED_TEE[1]))
    assert "没有照片请回复“没有”" in asked
    answer = texts(chat(sender, "没有"))
    assert "售后工单" in answer and msg("photo_no", "zh") in answer


def test_keep_it_at_the_cancellation_question(chat, sender):
    chat(sender, f"please cancel order {PAID[0]}")
    asked = texts(chat(sender, PAID[1]))
    assert PAID[0] in asked
    answer = texts(chat(sender, "actually no, keep it"))
    assert msg("cancel_kept", "en") in answer and "is cancelled" not in answer


def test_second_miss_is_asked_differently_then_a_human_is_offered(chat, sender):
    chat(sender, "where is my order")
    chat(sender, MOVING[0])
    first = texts(chat(sender, "hmm, which one"))
    assert msg("phone_last4_format", "en") in first and msg("ask_phone_last4", "en") in first
    second = texts(chat(sender, "where do I find that"))
    assert msg("reask_phone_last4", "en") in second
    third = chat(sender, "what do you mean")
    assert msg("form_offer_human", "en") in texts(third)
    assert "/request_human" in [b["payload"] for b in buttons(third)]


def test_a_step_answer_that_sounds_like_another_topic_stays_in_the_flow(chat, sender):
    first = chat(sender, "my camera won't connect to the wifi")
    assert any('"flow_option"' in b["payload"] for b in buttons(first))
    answer = chat(sender, "did that, it works now")
    assert any(b["payload"].startswith("/csat_score") for b in buttons(answer))


def test_forget_it_stops_a_flow(chat, sender, tracker):
    chat(sender, "my camera won't connect to the wifi")
    chat(sender, "forget it, I'll call my ISP")
    assert tracker(sender)["slots"]["flow_id"] is None


def test_a_follow_up_is_read_against_the_last_answer(chat, sender):
    policy = texts(chat(sender, "what's your return policy"))
    assert "credit card" in policy
    assert texts(chat(sender, "and by credit card?")) == policy
