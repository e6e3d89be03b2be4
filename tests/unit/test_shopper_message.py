"""A shopper message's events (the read model) and its handoff work run in one transaction:
a read-model failure never keeps the message from the agent's ticket, a failure of the handoff
work leaves nothing half-done (the stream entry is retried), and a message that is no number
costs the survey no query. (On PostgreSQL, what production runs, the same tests and the
all-or-nothing of a failed handoff: tests/integration/test_shopper_message_pg.py.)"""
from __future__ import annotations

import asyncio
import time
from typing import Any, Dict, List

import pytest
from sqlalchemy import event, func, select

from common.ticket import Ticket
from handoff import shopper, survey_flow, surveys
from handoff.config import Settings
from handoff.conversations import record
from handoff.conversations.tables import StudioTurn
from handoff.db import Message, migrate
from handoff.render import fill
from handoff.service import Service

SENDER = "shopper-7"


def service_on(url: str) -> Service:
    service = Service(Settings(db_url=url))
    migrate(service.engine)
    return service


@pytest.fixture()
def service(tmp_path):
    service = service_on(f"sqlite:///{tmp_path / 'handoff.db'}")
    yield service
    service.engine.dispose()


def lane(at: float, text: str = "where is my parcel") -> List[Dict[str, Any]]:
    """What one shopper message makes the bot publish."""
    return [{"event": "user", "sender_id": SENDER, "timestamp": at, "text": text,
             "message_id": f"m-{at}", "parse_data": {"intent": {"name": "order_status",
                                                               "confidence": 0.9}}},
            {"event": "action", "sender_id": SENDER, "timestamp": at + 0.1,
             "name": "action_order_status"},
            {"event": "bot", "sender_id": SENDER, "timestamp": at + 0.2, "text": "On its way"}]


def consume(service: Service, events: List[Dict[str, Any]], tag: str) -> None:
    """What the events consumer does with one lane: tell the service, then entry by entry."""
    items = [(f"{tag}-{n}", e) for n, e in enumerate(events)]

    async def run():
        service.segments.prepare(items)
        for entry_id, e in items:
            await service.handle_event(entry_id, e, False)
    asyncio.run(run())


def open_ticket(service: Service) -> int:
    ticket = fill(Ticket(conversation_id=SENDER, trigger="fallback", language="en"))
    return asyncio.run(service.accept(ticket))["ticket_id"]


def commits(service: Service) -> List[int]:
    seen: List[int] = []
    event.listen(service.engine, "commit", lambda _conn: seen.append(1))
    return seen


def shopper_messages(service: Service, ticket_id: int) -> List[str]:
    with service.maker() as db:
        return list(db.execute(select(Message.text).where(
            Message.ticket_id == ticket_id, Message.role == "shopper")).scalars())


def turns(service: Service) -> int:
    with service.maker() as db:
        return db.execute(select(func.count()).select_from(StudioTurn)).scalar_one()


def test_the_message_and_its_events_take_one_commit(service):
    ticket_id = open_ticket(service)
    counted = commits(service)
    consume(service, lane(time.time() + 60), "a")
    assert shopper_messages(service, ticket_id) == ["where is my parcel"]
    assert turns(service) == 2  # the shopper's turn and the bot's
    assert len(counted) == 1  # the other entries were recorded with the user event's
    assert not service.segments


def test_a_read_model_failure_still_brings_the_message_to_the_ticket(service, monkeypatch,
                                                                     caplog):
    ticket_id = open_ticket(service)

    def broken(db, events):
        db.add(StudioTurn(conversation_id=SENDER, dedup="half-done", at=0.0, role="bot"))
        db.flush()
        raise RuntimeError("read model down")
    monkeypatch.setattr(record, "ingest_many", broken)
    counted = commits(service)
    consume(service, lane(time.time() + 60), "b")
    assert shopper_messages(service, ticket_id) == ["where is my parcel"]
    assert len(counted) == 1  # the handoff committed, in the same transaction as before
    assert turns(service) == 0  # the failed part was rolled back to its savepoint
    assert any("could not record a user event" in r.getMessage() for r in caplog.records)


def test_a_failed_batch_falls_back_to_the_event_alone(service, monkeypatch, caplog):
    ticket_id = open_ticket(service)
    real = record.ingest_many
    monkeypatch.setattr(record, "ingest_many",
                        lambda db, events: real(db, events) if len(events) == 1 else 1 / 0)
    consume(service, lane(time.time() + 60), "c")
    assert shopper_messages(service, ticket_id) == ["where is my parcel"]
    assert turns(service) == 2  # the user event with its ticket, the bot's on its own
    assert any("one by one" in r.getMessage() for r in caplog.records)


def test_a_message_that_is_no_number_costs_the_survey_no_query(service):
    statements: List[str] = []
    event.listen(service.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql))
    with service.maker.begin() as db:
        first = surveys.load().after(None)
        assert first is not None
        surveys.ask(db, SENDER, None, "web", "en", first)
    with service.maker.begin() as db:
        statements.clear()
        assert survey_flow.on_answer(db, SENDER, "thanks, bye") == []
        assert statements == []
        answered = survey_flow.on_answer(db, SENDER, str(first.high))
    assert answered and statements  # a number still answers the open question
    with service.maker() as db:
        assert db.execute(select(surveys.SurveyRow.score).where(
            surveys.SurveyRow.kind == first.kind)).scalar_one() == first.high
