"""The damaged-item photo: taken from the channel's picture, asked for in the channel's terms,
and not asked for again when the shopper sent the picture first."""
from __future__ import annotations

import time

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.texts import text
from actions.orders import aftersales as order_aftersales, conversation as orders
from common.ticket import shopper_text
from tests.unit.sealed import as_sent_by
from tests.unit.test_order_actions import apply, submit

WECHAT = {"channel": "wechat", "openid": "oDemo0009wx"}
PICTURE = "https://mmbiz.qpic.cn/mmbiz_jpg/abc/0"


def conversation(*turns: dict, slots: dict | None = None) -> Tracker:
    """Turns are user events (oldest first); the last one is the latest message."""
    events = [{"event": "user", "input_channel": "wechat", "text": t.get("text", ""),
               "timestamp": t.get("at", time.time()),
               "metadata": as_sent_by("wechat", WECHAT["openid"], t.get("metadata"))[1]}
              for t in turns]
    latest = {"text": events[-1]["text"], "metadata": events[-1]["metadata"],
              "intent": {"name": turns[-1].get("intent", "damaged_item"), "confidence": 0.99},
              "entities": []}
    return Tracker(WECHAT["openid"], {"language": "zh", **(slots or {})}, latest, events, False, None, {},
                   "action_listen")


def test_picture_answers_the_photo_question():
    asked = conversation({"text": "/send_image", "intent": "send_image",
                          "metadata": {**WECHAT, "image_url": PICTURE}},
                         slots={"requested_slot": "damage_photo"})
    assert order_aftersales.photo_from_message(asked) == PICTURE


def test_chat_channels_are_asked_to_send_it_here_others_for_a_link():
    for channel in ("wechat", "app", "web"):
        assert order_aftersales.ask_photo_key(conversation({"metadata": {"channel": channel}})) == \
            "ask_photo_attach"
    assert order_aftersales.ask_photo_key(conversation({"metadata": {}})) == "ask_photo_text"
    assert "直接在这里发给我" in text("ask_photo_attach", "zh")


async def test_picture_sent_before_the_complaint_is_attached_without_asking(store):
    now = time.time()
    t = conversation({"text": "/send_image", "intent": "send_image", "at": now - 30,
                      "metadata": {**WECHAT, "image_url": PICTURE}},
                     {"text": "收到的杯子碎了", "at": now, "metadata": WECHAT})
    events = await orders.ActionDamagedItem().run(CollectingDispatcher(), t, {})
    slots = apply(t.slots, events)
    assert slots["damage_photo"] == PICTURE and slots["customer_id"] == "C0009"
    assert slots["order_id"], "the seeded customer C0009 has one recent order"
    reply, after = await submit({**slots, "order_topic": "damaged_item"}, sender=WECHAT["openid"])
    assert after["after_sales_case"].startswith("AS") and "已附照片" in reply


async def test_an_old_picture_is_not_reused(store):
    now = time.time()
    t = conversation({"text": "/send_image", "intent": "send_image", "at": now - 7200,
                      "metadata": {**WECHAT, "image_url": PICTURE}},
                     {"text": "收到的杯子碎了", "at": now, "metadata": WECHAT})
    events = await orders.ActionDamagedItem().run(CollectingDispatcher(), t, {})
    assert apply(t.slots, events).get("damage_photo") is None


def test_agent_sees_a_link_not_a_payload():
    event = {"event": "user", "text": "/send_image", "metadata": {"image_url": PICTURE}}
    assert shopper_text(event) == f"[图片 / image] {PICTURE}"
    assert shopper_text({"event": "user", "text": "/send_image"}) == "/send_image"
    assert shopper_text({"event": "user", "text": "你好", "metadata": {"image_url": PICTURE}}) == "你好"
