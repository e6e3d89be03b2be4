"""A conversation that turns angry gets a human offered before the shopper asks."""


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def payloads(messages):
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def test_angry_chinese_shopper_is_offered_a_human_at_once(chat, sender, tracker):
    calm = chat(sender, "包邮吗")
    assert "/request_human" not in payloads(calm)
    angry = chat(sender, "快递一个星期了还没到,你们到底在搞什么鬼!!!垃圾服务")
    # Either the offer (buttons) or, when the words read as a complaint, the transfer itself:
    # both put a human in front of the shopper before they ask for one.
    assert "转接人工客服" in texts(angry)
    latest = tracker(sender)["latest_message"]
    if latest["intent"]["name"] == "emotion_escalation":
        assert "/request_human" in payloads(angry)
        assert tracker(sender)["slots"]["handoff_trigger"] == "negative_emotion"
    else:
        assert latest["intent"]["name"] == "complain"
    assert latest["emotion"]["label"] == "angry" and "垃圾" in latest["emotion"]["cues"]


def test_angry_english_shopper_can_carry_on_with_the_bot(chat, sender):
    angry = chat(sender, "where the hell is my order?!! it's been a week, this is ridiculous")
    buttons = payloads(angry)
    assert buttons[0] == "/request_human" and "human agent" in texts(angry)
    # the second button continues with what was asked: the order lookup asks which order
    carry_on = chat(sender, buttons[1])
    assert "/request_human" not in payloads(carry_on)
    assert "order number" in texts(carry_on).lower()
