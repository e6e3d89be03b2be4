"""Order conversations through the running Rasa server + action server, zh and en.

The stack seeds the demo shop: web-demo-0001 (C0001) has one order in transit whose last
tracking event is "快件到达目的地分拨中心 Arrived at the destination hub". Identified shoppers
talk over the web widget's socket.io channel, the one that vouches for a visitor id; the same
metadata posted to the REST webhook identifies nobody.
"""
from __future__ import annotations

from actions.texts import text as msg

WEB1 = {"channel": "web", "visitor_id": "web-demo-0001"}
LAST_EVENT = "快件到达目的地分拨中心 Arrived at the destination hub"


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def test_identified_customer_zh_gets_last_tracking_event(web_shopper, tracker):
    shopper = web_shopper(WEB1)
    answer = texts(shopper.say("我的快递到哪了"))
    assert LAST_EVENT in answer and "最新物流" in answer
    slots = tracker(shopper.sender_id)["slots"]
    assert slots["customer_id"] == "C0001" and slots["order_context"]["tracking_no"] in answer


def test_identified_customer_en_gets_last_tracking_event(web_shopper):
    answer = texts(web_shopper(WEB1).say("where is my order"))
    assert LAST_EVENT in answer and "Latest update" in answer


def test_visitor_id_posted_to_rest_identifies_nobody(chat, sender, tracker):
    answer = texts(chat(sender, "where is my order", metadata=WEB1))
    assert LAST_EVENT not in answer
    assert not tracker(sender)["slots"].get("customer_id")


def test_unidentified_shopper_must_verify_zh(chat, sender, tracker):
    first = texts(chat(sender, "我的快递到哪了", metadata={"channel": "web", "visitor_id": "anon-1"}))
    assert "订单号" in first and LAST_EVENT not in first
    order_id = "E202600000002"  # C0001's order in transit (stable demo numbering)
    second = texts(chat(sender, f"订单号是{order_id}"))
    assert "后四位" in second and LAST_EVENT not in second
    wrong = texts(chat(sender, "9999"))
    assert msg("order_not_found", "zh") in wrong and LAST_EVENT not in wrong


def test_unidentified_shopper_verifies_en(chat, sender):
    chat(sender, "where is my order", metadata={"channel": "web", "visitor_id": "anon-2"})
    chat(sender, "E202600000002")
    answer = texts(chat(sender, "0001"))
    assert LAST_EVENT in answer


def test_another_customers_order_is_never_described(web_shopper):
    # C0001 asks about an order of C0002: the reply is the unknown-order reply.
    answer = texts(web_shopper(WEB1).say("where is my order E202600000003"))
    assert msg("order_not_found", "en") in answer or msg("order_not_found", "zh") in answer
    assert "E202600000003" not in answer.replace(msg("order_not_found", "en"), "")
