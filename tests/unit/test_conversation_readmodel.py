"""The conversations' read model behind the dashboard and the metrics: fed event by event the
way the service's stream consumer feeds it, with no tracker store (no `events` table) at all;
Rasa's session boundaries make contacts, and a redelivered event counts once."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select

from handoff.console import stats
from handoff.conversations import record
from handoff.conversations.tables import ConversationSession, SeenEvent
from handoff.db import make_engine, make_sessionmaker, migrate
from handoff.metrics import sources

WINDOW = timedelta(hours=72)


@pytest.fixture()
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    migrate(engine)  # the Alembic chain, 0010 included
    yield engine
    engine.dispose()


@pytest.fixture()
def db(engine):
    with make_sessionmaker(engine)() as session:
        yield session


def feed(db, events):
    """What Service._record_conversation does with each entry of <prefix>:events."""
    for event in events:
        if record.wanted(event):
            record.ingest(db, event)
    db.commit()


def said(sender, at, intent, text="", mid=None, entities=()):
    return {"event": "user", "sender_id": sender, "timestamp": at, "text": text or intent,
            "message_id": mid or f"{sender}-{at}", "input_channel": "socketio",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                           "entities": list(entities), "language": "zh"}}


def act(sender, at, name):
    return {"event": "action", "sender_id": sender, "timestamp": at, "name": name}


def session_start(sender, at):
    """What Rasa writes when a session begins: its action, then the event, then listening."""
    return [act(sender, at, "action_session_start"),
            {"event": "session_started", "sender_id": sender, "timestamp": at + 0.01},
            act(sender, at + 0.02, "action_listen")]


def day_of_events(t0):
    """`kim`: two sessions (answered and thanked; then left inside a form).
    `lee`: a fallback the bot never answered, then gone. `ron`: rated the bot 5."""
    return [
        *session_start("kim", t0),
        said("kim", t0 + 1, "faq/shipping_fee", "包邮吗"),
        act("kim", t0 + 2, "utter_faq/shipping_fee"), act("kim", t0 + 2.1, "action_listen"),
        said("kim", t0 + 3, "thank", "谢谢"),
        *session_start("kim", t0 + 4000),
        said("kim", t0 + 4001, "cancel_order", "取消订单"),
        act("kim", t0 + 4002, "order_form"),
        {"event": "active_loop", "sender_id": "kim", "timestamp": t0 + 4002.1,
         "name": "order_form"},
        {"event": "slot", "sender_id": "kim", "timestamp": t0 + 4002.2, "name": "customer_id",
         "value": "C7"},
        *session_start("lee", t0 + 10),
        said("lee", t0 + 11, "order_status", "我的快递到哪了"),
        act("lee", t0 + 12, "action_order_status"),
        said("lee", t0 + 13, "nlu_fallback", "你们家猫粮有货吗 13812345678"),
        act("lee", t0 + 14, "action_default_fallback"), act("lee", t0 + 14.1, "action_listen"),
        *session_start("ron", t0 + 20),
        said("ron", t0 + 21, "order_status", "查订单"),
        act("ron", t0 + 22, "action_order_status"),
        said("ron", t0 + 23, "csat_score", "5",
             entities=[{"entity": "csat_value", "value": "5"}]),
    ]


def period(t0):
    start = datetime.fromtimestamp(t0 - 60, tz=timezone.utc)
    return start, start + timedelta(days=1)


def figures(db, t0):
    start, end = period(t0)
    history, _ = sources.load(db, start, end, WINDOW)
    contacts = sorted((c.conversation_id, c.started_at.timestamp(), c.outcome, c.issue,
                       c.customer, c.csat_bot) for c in history.contacts)
    dash = stats.dashboard(db, start, end)
    return contacts, dash


def test_figures_come_from_the_read_model_without_any_tracker_store(engine, db):
    assert "events" not in inspect(engine).get_table_names()  # the tracker store is not SQL
    t0 = time.time() - 7200
    feed(db, day_of_events(t0))
    contacts, dash = figures(db, t0)
    assert [(c[0], c[2], c[3], c[4], c[5]) for c in contacts] == [
        ("kim", "bot_resolved", "faq/shipping_fee", "kim", None),
        ("kim", "abandoned", "cancel_order", "C7", None),
        ("lee", "abandoned", "order_status", "lee", None),
        ("ron", "bot_resolved", "order_status", "ron", 5)]
    # a contact starts where Rasa's session does, not at its action_session_start
    assert contacts[1][1] == pytest.approx(t0 + 4000.01)
    assert dash.conversations == 3 and dash.handed_off == 0
    assert dash.top_intents == [("order_status", 2), ("cancel_order", 1), ("csat_score", 1),
                                ("faq/shipping_fee", 1), ("thank", 1)]
    assert dash.top_fallbacks == [("你们家猫粮有货吗 138****5678", 1)]  # masked, as the studio
    assert (dash.csat_bot.average, dash.csat_bot.count) == (5.0, 1)
    # two of four contacts are resolved by the bot and not followed up: containment 2/2
    # (the abandoned ones are not in its denominator)
    assert dash.bot_resolution_rate == 1.0
    rows = db.scalars(select(ConversationSession).where(ConversationSession.sender_id == "lee")
                      ).all()
    assert len(rows) == 1 and rows[0].fallbacks == 1 and rows[0].shopper_turns == 2
    assert rows[0].intents == {"order_status": 1, "nlu_fallback": 1}
    assert rows[0].last_action == "action_default_fallback" and rows[0].channel == "socketio"
    assert rows[0].language == "zh"


def test_a_redelivered_event_does_not_count_twice(db):
    t0 = time.time() - 7200
    events = day_of_events(t0)
    feed(db, events)
    before = figures(db, t0)
    seen = db.scalar(select(func.count()).select_from(SeenEvent))
    # the consumer crashed after committing: the stream hands the same entries again, and
    # the broker's outbox may re-send one under a new entry id
    feed(db, events)
    feed(db, [said("lee", t0 + 13, "nlu_fallback", "你们家猫粮有货吗 13812345678")])
    after = figures(db, t0)
    assert after[0] == before[0]
    assert (after[1].conversations, after[1].top_intents, after[1].top_fallbacks,
            after[1].csat_bot) == (before[1].conversations, before[1].top_intents,
                                   before[1].top_fallbacks, before[1].csat_bot)
    lee = db.scalars(select(ConversationSession).where(ConversationSession.sender_id == "lee")
                     ).one()
    assert lee.shopper_turns == 2 and lee.fallbacks == 1
    assert db.scalar(select(func.count()).select_from(SeenEvent)) == seen
    assert len(db.scalars(select(ConversationSession.id).where(
        ConversationSession.sender_id == "kim")).all()) == 2
    # keys of events too old to come again are dropped by the sweep, recent ones kept
    assert record.forget_seen(db, t0 + 60) == 0
    assert record.forget_seen(db, t0 + record.SEEN_KEPT_SECONDS + 15) > 0
    assert 0 < db.scalar(select(func.count()).select_from(SeenEvent)) < seen
    # a new message of the same conversation still counts
    feed(db, [said("lee", t0 + 30, "order_status", "还没到")])
    assert db.get(ConversationSession, lee.id).shopper_turns == 3


def test_the_stream_fold_and_the_event_list_classify_alike(db):
    """classify (a list of events) and the read model (one event at a time) are one fold."""
    t0 = time.time() - 7200
    events = [e for e in day_of_events(t0) if e["sender_id"] == "lee"]
    feed(db, events)
    start, end = period(t0)
    stored = sources.session_contacts(db, start, end, {})
    rows = [(e["event"], e["timestamp"], (e.get("parse_data") or {}).get("intent", {}).get(
        "name"), e.get("name") if e["event"] == "action" else None, e)
        for e in events if e["event"] not in ("action",) or e["name"] not in
        ("action_session_start", "action_listen")]
    assert rows[0][0] == "session_started"
    listed = sources.classify(rows, "lee", [])
    assert stored == [listed]

