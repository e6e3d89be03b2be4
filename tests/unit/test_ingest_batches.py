"""The read model recorded a shopper message's events at once (the events consumer's lanes)
holds exactly the rows event-by-event recording makes, for real recorded conversations; a
redelivered batch changes nothing, and one bad event in a batch costs only itself."""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
from pathlib import Path
from typing import Any, Dict, List

import pytest
from sqlalchemy import select

from handoff.config import Settings
from handoff.conversations import record
from handoff.conversations.tables import (ConversationSession, SeenEvent, StudioConversation,
                                          StudioTurn)
from handoff.db import make_engine, make_sessionmaker, migrate
from handoff.service import Service

RECORDED = Path(__file__).parent / "data" / "policy_trackers.json.gz"
TABLES = (StudioConversation, StudioTurn, ConversationSession, SeenEvent)


@pytest.fixture(scope="module")
def conversations() -> Dict[str, List[Dict[str, Any]]]:
    """Every sixth recorded conversation (all kinds of flows), as the broker publishes them."""
    recorded = json.loads(gzip.open(RECORDED).read())
    return {name: [{**event, "sender_id": name} for event in events]
            for name, events in sorted(recorded.items())[::6]}


def messages(events: List[Dict[str, Any]]) -> List[List[Dict[str, Any]]]:
    """What each shopper message made the bot publish: a user event and what follows it."""
    out: List[List[Dict[str, Any]]] = []
    for event in events:
        if event["event"] == "user" or not out:
            out.append([])
        out[-1].append(event)
    return out


@pytest.fixture()
def maker(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    migrate(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def rows(maker) -> Dict[str, List[tuple]]:
    """Every read-model row, without the surrogate ids."""
    out = {}
    with maker() as db:
        for table in TABLES:
            cols = [c for c in table.__table__.columns if c.name != "id"]
            found = db.execute(select(*cols)).all()
            out[table.__tablename__] = sorted(tuple(json.dumps(v, sort_keys=True) for v in row)
                                              for row in found)
    return out


def one_by_one(maker, events) -> None:
    for event in events:  # what the service did for each entry: a transaction of its own
        with maker.begin() as db:
            record.ingest(db, event)


def in_batches(maker, batches) -> None:
    for batch in batches:
        with maker.begin() as db:
            record.ingest_many(db, batch)


def test_batches_make_the_rows_one_by_one_ingest_makes(conversations, tmp_path):
    every = [e for events in conversations.values() for e in events]
    reference = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / 'ref.db'}"))
    migrate(reference.kw["bind"])
    one_by_one(reference, every)
    expected = rows(reference)
    assert len(expected["studio_turns"]) > 150 and len(expected["conversation_sessions"]) > 25
    assert any(json.loads(row[9]) for row in expected["studio_turns"])  # actions noted

    for n, batching in enumerate((
            [m for events in conversations.values() for m in messages(events)],  # the service's
            list(conversations.values()),  # a whole conversation at once
            [every[i:i + 37] for i in range(0, len(every), 37)],  # senders mixed, cut anywhere
            [m + m for events in conversations.values() for m in messages(events)])):  # the
        # broker's outbox sent a message's events again and both copies came in one read
        maker = make_sessionmaker(make_engine(f"sqlite:///{tmp_path / f'batch{n}.db'}"))
        migrate(maker.kw["bind"])
        in_batches(maker, batching)
        assert rows(maker) == expected, f"batching {n}"


def test_a_redelivered_batch_changes_nothing(conversations, maker):
    batches = [m for events in conversations.values() for m in messages(events)]
    in_batches(maker, batches[: len(batches) // 2])
    in_batches(maker, batches)  # the first half again (a crash before the acknowledgement)
    once = rows(maker)
    in_batches(maker, batches)
    in_batches(maker, list(conversations.values()))  # again, cut another way
    every = [e for events in conversations.values() for e in events]
    in_batches(maker, [every[i:i + 37] for i in range(0, len(every), 37)])  # senders mixed
    assert rows(maker) == once


def service_on(tmp_path, name: str) -> Service:
    service = Service(Settings(db_url=f"sqlite:///{tmp_path / name}"))
    migrate(service.engine)
    return service


async def consume(service: Service, lane: List[Dict[str, Any]], tag: str) -> None:
    """What the events consumer does with one lane: tell the service, then entry by entry."""
    items = [(f"{tag}-{n}", event) for n, event in enumerate(lane)]
    service.segments.prepare(items)
    for entry_id, event in items:
        await service.handle_event(entry_id, event, False)


def test_the_service_records_a_lane_as_one_by_one_and_forgets_it(conversations, tmp_path):
    name, events = next(iter(conversations.items()))
    reference, service = service_on(tmp_path, "ref.db"), service_on(tmp_path, "lanes.db")
    one_by_one(reference.maker, events)
    asyncio.run(consume(service, events, "first"))
    assert rows(service.maker) == rows(reference.maker)
    asyncio.run(consume(service, events, "again"))  # redelivered under new entry ids
    assert rows(service.maker) == rows(reference.maker)
    assert not service.segments  # nothing kept per entry


def test_a_bad_event_in_a_batch_costs_only_itself(conversations, tmp_path, caplog):
    events = max(conversations.values(), key=len)
    bad = {**next(e for e in events if e["event"] == "bot"), "timestamp": "late"}
    lane = events[:len(events) // 2] + [bad] + events[len(events) // 2:]
    reference, service = service_on(tmp_path, "ref.db"), service_on(tmp_path, "lanes.db")
    one_by_one(reference.maker, events)
    with caplog.at_level(logging.WARNING):
        asyncio.run(consume(service, lane, "entry"))
    assert rows(service.maker) == rows(reference.maker)  # every other event is there
    assert any("one by one" in r.getMessage() for r in caplog.records)
