"""Routing, priority, SLA, queue position and escalation, stored in PostgreSQL."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from handoff import store
from handoff.config import PACKAGE_DIR
from handoff.db import TicketRow, make_engine, make_sessionmaker, migrate
from handoff.routing import Routing
from tests.integration.handoff_support import (next_event, pg_url, prefix, rasa_stub,  # noqa: F401
                                               sample_ticket, stack)

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI)
NIGHT = datetime(2026, 11, 23, 23, 30, tzinfo=SHANGHAI)


@pytest.fixture
def db(pg_url):
    engine = make_engine(pg_url)
    migrate(engine)
    maker = make_sessionmaker(engine)
    yield maker
    engine.dispose()


@pytest.fixture
def routing():
    return Routing.load(PACKAGE_DIR / "routing.yml")


CALM = {"current": "neutral", "peak": "neutral", "negative_share": 0.0, "cues": [],
        "risk_flags": []}


def test_queue_by_trigger_intent_and_flow(db, routing):
    cases = [
        (dict(trigger="complaint"), "complaints"),
        (dict(top_intent={"name": "return_request", "confidence": 0.9}), "after_sales"),
        (dict(top_intent={"name": "troubleshoot_router", "confidence": 0.8}), "tech_support"),
        (dict(trigger="flow_unresolved", top_intent={"name": "affirm", "confidence": 0.9},
              intent_history=[], flow_steps=[{"flow": "troubleshoot_device_network",
                                              "step": "reset", "answer": "没用"}]), "tech_support"),
        (dict(top_intent={"name": "request_human", "confidence": 0.99},
              intent_history=[{"name": "refund_status", "confidence": 0.9},
                              {"name": "request_human", "confidence": 0.99}]), "after_sales"),
        (dict(top_intent=None, intent_history=[], order=None), "general"),
    ]
    with db.begin() as session:
        for overrides, queue in cases:
            row, place = store.create_ticket(session, sample_ticket(**overrides), routing, 1, NOON)
            assert (row.queue, place.queue) == (queue, queue), overrides


def test_priority_from_emotion_tier_value_and_sla(db, routing):
    with db.begin() as session:
        urgent, _ = store.create_ticket(session, sample_ticket(
            customer={"tier": "vip"}, emotion={"current": "angry", "peak": "angry",
                                               "negative_share": 0.8, "risk_flags": ["12315"]}),
            routing, 1, NOON)
        calm, _ = store.create_ticket(session, sample_ticket(
            customer={"tier": "normal"}, emotion=CALM, order={"order_id": "E1", "amount": 20}),
            routing, 1, NOON)
        rich, _ = store.create_ticket(session, sample_ticket(
            customer={"tier": "normal"}, emotion=CALM, order={"order_id": "E2", "amount": 5000}),
            routing, 1, NOON)
        assert urgent.priority == 1 and calm.priority == 4
        assert rich.priority_score > calm.priority_score
        # SLA due: logistics 15 minutes, scaled by the level (P1 x0.5, P4 x1.5)
        assert urgent.sla_due_at == NOON + timedelta(minutes=7.5)
        assert calm.sla_due_at == NOON + timedelta(minutes=22.5)
        # a later P1 jumps ahead of the calmer ones; the high-value order is ahead of
        # the cheap one (P4)
        later, place = store.create_ticket(session, sample_ticket(
            customer={"tier": "vip"}, emotion={"current": "angry", "peak": "angry",
                                               "negative_share": 1.0, "risk_flags": ["12315"]}),
            routing, 1, NOON)
        assert place.position == 2
        assert rich.priority < calm.priority  # value (+ SLA risk: 3rd in line, 18 > 15 min)
        assert store.position(session, rich) == 3 and store.position(session, calm) == 4


def test_sla_risk_raises_priority_when_the_queue_is_long(db, routing):
    with db.begin() as session:
        for _ in range(5):
            store.create_ticket(session, sample_ticket(customer={"tier": "normal"}, emotion=CALM,
                                                       order=None), routing, 0, NOON)
        row, place = store.create_ticket(session, sample_ticket(
            customer={"tier": "normal"}, emotion=CALM, order=None), routing, 0, NOON)
        first = session.execute(store.select(TicketRow).order_by(TicketRow.id)).scalars().first()
        # From the 3rd ticket on, 3 x 6 min > 15 min SLA: at risk, so more urgent
        assert row.priority_score > first.priority_score and row.priority < first.priority
        # behind the at-risk tickets 3..5, ahead of the two calm ones
        assert place.position == 4 and place.expected_wait_minutes == 24


def test_out_of_hours_placement_and_sla_start_at_opening(db, routing):
    with db.begin() as session:
        row, place = store.create_ticket(session, sample_ticket(), routing, 0, NIGHT)
    assert place.open_now is False
    opens = datetime.fromisoformat(place.opens_at)
    assert opens == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    assert row.sla_due_at > opens  # read back aware, in UTC
    is_open, _ = routing.open_state(NOON)
    assert is_open


async def test_sla_breach_and_silent_agent_escalate(stack, rasa_stub):
    stack.agent("ann", queues=["logistics"])
    stack.agent("boss", queues=[], role="supervisor")
    ann, boss = await stack.login("ann"), await stack.login("boss")
    calm = sample_ticket(emotion=CALM, customer={"tier": "normal"}, order=None)
    _, place = await stack.hand_off(calm)
    tid = place["ticket_id"]
    service = stack.service
    with service.maker.begin() as session:
        session.execute(update(TicketRow).where(TicketRow.id == tid).values(
            sla_due_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=boss) as ws:
        await ws.receive_json()
        assert await service.sweep() == 1
        event = await next_event(ws, "ticket.escalated")
    assert event["cause"] == "sla_breach"
    assert event["ticket"]["priority"] == place["priority"] - 1
    assert await service.sweep() == 0  # escalated once, not on every sweep
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(calm.conversation_id))
    assert "久等" in rasa_stub.bot_texts(calm.conversation_id)[0]  # the shopper is told

    # an agent who claims and then goes silent while the shopper waits
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=ann)
    with service.maker.begin() as session:
        session.execute(update(TicketRow).where(TicketRow.id == tid).values(
            last_shopper_at=datetime.now(timezone.utc) - timedelta(minutes=10)))
    assert await service.sweep() == 1
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(calm.conversation_id)) == 2)
    assert "主管" in rasa_stub.bot_texts(calm.conversation_id)[1]
    status, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=boss)
    causes = [e["data"].get("cause") for e in detail["events"] if e["kind"] == "escalated"]
    assert causes == ["sla_breach", "agent_silent"]
    # once the agent answers, the silence clock restarts
    await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann, json={"text": "在的"})
    assert await service.sweep() == 0


async def test_reason_codes_are_countable(stack):
    stack.agent("boss", queues=[], role="supervisor")
    boss = await stack.login("boss")
    for trigger in ["request_human", "complaint", "complaint", "fallback", "negative_emotion",
                    "flow_unresolved"]:
        status, _ = await stack.hand_off(sample_ticket(trigger=trigger))
        assert status == 201
    status, _ = await stack.hand_off(sample_ticket(trigger="because"))
    assert status == 400
    status, data = await stack.call("GET", "/api/tickets?status=open", headers=boss)
    reasons = sorted(t["reason"] for t in data["tickets"])
    assert reasons == sorted(["request_human", "complaint", "complaint", "fallback",
                              "negative_emotion", "flow_unresolved"])
    status, queues = await stack.call("GET", "/api/queues", headers=boss)
    assert queues["queues"]["complaints"]["waiting"] == 2
