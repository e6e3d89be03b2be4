"""The conversation set loads, is balanced, and the runner's pieces judge what they should."""
from __future__ import annotations

from collections import Counter

import pytest

from scripts.conversations import orders, replies, spec
from scripts.conversations.play import _fill, _lang_of
from scripts.eval_conversations import SET


def test_every_conversation_loads_and_gets_its_orders():
    conversations = spec.load(SET)
    allocation = orders.allocate(conversations, orders.demo_orders())
    for conversation in conversations:
        assert set(allocation[conversation.id]) == set(conversation.orders)


def test_fresh_orders_are_never_shared():
    conversations = spec.load(SET)
    allocation = orders.allocate(conversations, orders.demo_orders())
    fresh = [allocation[c.id][name].id for c in conversations
             for name, want in c.orders.items() if want.get("fresh")]
    shared = {allocation[c.id][name].id for c in conversations
              for name, want in c.orders.items() if not want.get("fresh")}
    assert len(fresh) == len(set(fresh))
    assert not set(fresh) & shared


def test_the_set_is_large_and_bilingual():
    conversations = spec.load(SET)
    languages = Counter(c.language for c in conversations)
    assert len(conversations) >= 150
    assert abs(languages["zh"] - languages["en"]) <= len(conversations) * 0.1


def test_a_turn_with_an_unknown_check_is_refused(tmp_path):
    (tmp_path / "x.yml").write_text("- {id: a, category: c, language: zh, turns: [{say: hi, intnet: greet}]}\n")
    with pytest.raises(spec.SpecError, match="intnet"):
        spec.load(tmp_path)


def test_placeholders_are_filled_from_the_orders():
    order = orders.DemoOrder("E202600000007", "paid", "13900000007", ("SKU-TEE-06",), ("apparel",),
                             "纯棉T恤", "Cotton T-shirt", "")
    filled = _fill({"say": "订单{o.id_fw}", "says": ["{o.phone4}", "{o.wrong4}"]}, {"o": order})
    assert filled == {"say": "订单Ｅ２０２６０００００００７", "says": ["0007", "4328"]}


def test_action_texts_are_named_by_their_key_whatever_the_values():
    said = "Order E202600000003 is cancelled. ¥59 will go back to your Alipay within 3 days."
    assert {"cancelled", "refund_note"} <= set(replies.names({"text": said}))
    assert replies.names({"text": "hi", "metadata": {"utter_action": "utter_faq/invoice"}}) == \
        ["utter_faq/invoice", "utter_faq"]
    assert replies.names({"text": "something unrelated"}) == []


def test_language_of_a_reply():
    assert _lang_of("订单E202600000003已取消。") == "zh"
    assert _lang_of("Latest update: 杭州 Hangzhou: 快件已揽收 Parcel picked up, left the sorting centre") == "en"
    assert _lang_of("E202600000003") is None


def _judge(checks, events, slots=None, paused=False, language="zh"):
    from scripts.conversations.play import Player, Target, TurnResult
    from scripts.conversations.spec import Conversation, Turn

    turn = Turn(say="x", click=None, checks=checks)
    conversation = Conversation("c", "cat", language, [turn])
    tracker = {"slots": {"language": language, **(slots or {})}, "paused": paused}
    return Player(Target("http://unused", ""))._judge(conversation, turn, tracker, events, {},
                                                       TurnResult(1, "x", []))


USER = {"event": "user", "parse_data": {"intent": {"name": "faq"}, "entities": [],
                                        "response_selector": {"faq": {"response": {
                                            "intent_response_key": "faq/shipping_fee"}}}}}
BOT = {"event": "bot", "text": "订单满¥99包邮", "metadata": {"utter_action": "utter_faq/shipping_fee"},
       "data": {"buttons": [{"title": "转人工", "payload": "/request_human"}]}}


def test_a_turn_that_holds_has_no_problems():
    assert _judge({"intent": "faq/shipping_fee", "reply": "utter_faq/shipping_fee", "buttons": ["转人工"]},
                  [USER, {"event": "action", "name": "utter_faq"}, BOT]) == []


def test_each_broken_check_is_reported():
    problems = _judge({"intent": "order_status", "reply": "cancelled", "buttons": ["是的"],
                       "handoff": True, "flow": "camera_wifi:reset", "slots": {"order_id": "*"}},
                      [USER, BOT])
    assert len(problems) == 6, problems


def test_a_reply_in_the_other_language_or_silence_fails():
    english = dict(BOT, text="Shipping is free on orders of ¥99 or more")
    assert any("answered in en" in p for p in _judge({}, [USER, english]))
    assert any("said nothing" in p for p in _judge({}, [USER]))
    assert _judge({"paused": True}, [USER], paused=True) == []
