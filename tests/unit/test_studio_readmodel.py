"""The studio's review record: what a conversation's events make of it, and its filters."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from handoff.conversations import record as readmodel
from handoff.conversations.tables import (ConversationSession, SeenEvent, StudioConversation,
                                          StudioTurn)
from handoff.studio import views


@pytest.fixture()
def db():
    engine = create_engine("sqlite://", future=True)
    for table in (StudioConversation.__table__, StudioTurn.__table__,
                  ConversationSession.__table__, SeenEvent.__table__):
        table.create(engine)
    with sessionmaker(bind=engine, future=True).begin() as session:
        yield session


def feed(db, sender, events, at):
    for n, event in enumerate(events):
        event = {"sender_id": sender, "timestamp": at + n, **event}
        if readmodel.wanted(event):
            readmodel.ingest(db, event)
    db.flush()


def said(text, intent, confidence=0.9, mid=None, channel="wechat"):
    return {"event": "user", "text": text, "message_id": mid or text, "input_channel": channel,
            "parse_data": {"intent": {"name": intent, "confidence": confidence},
                           "entities": []}}


def test_flags_from_the_events(db):
    old = time.time() - 7200
    feed(db, "a", [said("路由器连不上", "troubleshoot_router"),
                   {"event": "action", "name": "action_flow_start"},
                   {"event": "action", "name": "action_listen"},
                   said("算了", "deny"), {"event": "action", "name": "action_flow_cancel"}], old)
    feed(db, "b", [said("转人工", "request_human"), {"event": "action", "name": "action_handoff"},
                   said("1", "csat_score", mid="r") | {"parse_data": {
                       "intent": {"name": "csat_score", "confidence": 1.0},
                       "entities": [{"entity": "csat_value", "value": "1"}]}}], old)
    feed(db, "c", [said("查订单", "order_status"), {"event": "action", "name": "order_form"}],
         old)  # a form still open two hours later: left
    feed(db, "d", [said("查订单", "order_status"), {"event": "action", "name": "order_form"},
                   {"event": "action", "name": "action_order_submit"}], old)
    feed(db, "e", [said("hello", "greet", channel="socketio"),
                   {"event": "slot", "name": "language", "value": "en"}], time.time())
    ids = lambda **kw: sorted(c["id"] for c in views.search(db, views.Filters(**kw)))
    assert ids(abandoned=True) == ["a", "c"]
    assert ids(handed_off=True) == ["b"]
    assert ids(low_csat=True) == ["b"]
    assert ids(language="en") == ["e"] and ids(channel="socketio") == ["e"]
    assert ids(intent="order_status") == ["c", "d"]
    assert ids(text="算了") == ["a"]
    newest = [c["id"] for c in views.search(db, views.Filters(limit=2))]
    assert len(newest) == 2 and newest[0] == "e"  # newest first
    a = views.search(db, views.Filters(text="算了"))[0]
    shopper = [t for t in a["turns"] if t["role"] == "shopper"]
    assert shopper[0]["actions"] == ["action_flow_start"]  # action_listen is not an action taken
    assert shopper[1]["actions"] == ["action_flow_cancel"]


def test_redelivery_and_unwanted_events(db):
    feed(db, "x", [said("你好", "greet")], time.time())
    feed(db, "x", [said("你好", "greet")], time.time())  # same message id: the same turn
    assert db.get(StudioConversation, "x").shopper_turns == 1
    assert not readmodel.wanted({"event": "slot", "sender_id": "x", "name": "order_id"})
    assert not readmodel.wanted({"event": "action", "sender_id": "x", "name": "action_listen"})
    assert not readmodel.wanted({"event": "user", "text": "no sender"})


def test_bad_filters_say_why():
    with pytest.raises(views.BadFilter, match="limit"):
        views.Filters.parse({"limit": "0"})
    with pytest.raises(views.BadFilter, match="YYYY-MM-DD"):
        views.Filters.parse({"from": "last week"})
    with pytest.raises(views.BadFilter, match="1 or 0"):
        views.Filters.parse({"fallback": "maybe"})
