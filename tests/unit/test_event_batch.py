"""Every conversation of one read of the bot's event stream in one transaction: the same rows
and the same console and relay messages as entry by entry, one COMMIT, and when that transaction
fails, nothing of it stays and the lanes go entry by entry."""
from __future__ import annotations

import asyncio
import gzip
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select

from common import streams
from common.ticket import Ticket
from handoff import bus, event_batch
from handoff.config import Settings
from handoff.conversations import record
from handoff.conversations.tables import (ConversationSession, SeenEvent, StudioConversation,
                                          StudioTurn)
from handoff.db import Message, migrate
from handoff.render import fill
from handoff.service import Service

RECORDED = Path(__file__).parent / "data" / "policy_trackers.json.gz"
TABLES = (StudioConversation, StudioTurn, ConversationSession, SeenEvent)


class Acks:
    """The part of Redis the lanes use."""

    def __init__(self) -> None:
        self.acked: List[str] = []

    async def xack(self, stream: str, group: str, *entry_ids: str) -> None:
        self.acked.extend(entry_ids)


@pytest.fixture(scope="module")
def conversations() -> Dict[str, List[Dict[str, Any]]]:
    recorded = json.loads(gzip.open(RECORDED).read())
    return {name: [{**e, "sender_id": name} for e in events]
            for name, events in sorted(recorded.items())[::9]}


def service_on(tmp_path, name: str) -> Tuple[Service, List[dict], List[dict]]:
    """A service on SQLite whose console and relay messages are kept for the test."""
    service = Service(Settings(db_url=f"sqlite:///{tmp_path / name}"))
    migrate(service.engine)
    published: List[dict] = []
    relayed: List[dict] = []
    service.hub.publish = lambda message, **_kw: published.append(message) or 0  # type: ignore

    async def enqueue(item):
        relayed.append({k: v for k, v in item.items() if k != "relay_id"})
        return "1-0"
    service.enqueue_relay = enqueue  # type: ignore[assignment]
    return service, published, relayed


def rows(service: Service) -> Dict[str, List[tuple]]:
    out = {}
    with service.maker() as db:
        for table in TABLES:
            cols = [c for c in table.__table__.columns if c.name != "id"]
            out[table.__tablename__] = sorted(tuple(json.dumps(v, sort_keys=True) for v in row)
                                              for row in db.execute(select(*cols)).all())
    return out


def commits(service: Service) -> List[int]:
    seen: List[int] = []
    sa_event.listen(service.engine, "commit", lambda _conn: seen.append(1))
    return seen


def read(service: Service, events: List[Dict[str, Any]], tag: str, pending: bool = False,
         lanes: int = 16):
    """One read of the stream holding `events`, through the service's events consumer."""
    consumer = service.make_consumer("events")
    consumer.redis = Acks()  # type: ignore[assignment]
    consumer.lanes = asyncio.Semaphore(lanes)
    entries = [(f"{n}-{tag}", streams.seal(service.settings.token, consumer.stream, e))
               for n, e in enumerate(events)]
    asyncio.run(consumer._handle(entries, pending=pending))
    return consumer.redis.acked


def one_by_one(service: Service, events: List[Dict[str, Any]]) -> None:
    for event in events:
        with service.maker.begin() as db:
            record.ingest(db, event)


def interleaved(conversations: Dict[str, List[Dict[str, Any]]]) -> List[Dict[str, Any]]:
    """Every conversation's events in its own order, the conversations mixed."""
    lanes = [list(events) for events in conversations.values()]
    out: List[Dict[str, Any]] = []
    while any(lanes):
        for lane in lanes:
            out.extend(lane[:3])
            del lane[:3]
    return out


def open_ticket(service: Service, conversation: str) -> int:
    ticket = fill(Ticket(conversation_id=conversation, trigger="fallback", language="en"))
    return asyncio.run(service.accept(ticket))["ticket_id"]


def test_a_read_of_many_conversations_is_one_commit_with_the_rows_of_one_by_one(
        conversations, tmp_path):
    events = interleaved(conversations)
    reference, _, _ = service_on(tmp_path, "ref.db")
    one_by_one(reference, events)
    service, _, _ = service_on(tmp_path, "batch.db")
    committed = commits(service)
    acked = read(service, events, "a")
    assert rows(service) == rows(reference)
    assert len(conversations) >= 4 and committed == [1]  # every conversation, one COMMIT
    assert sorted(acked) == sorted(f"{n}-a" for n in range(len(events)))
    assert not service.batch.done and not service.segments  # nothing kept per entry
    read(service, events, "b")  # redelivered under new entry ids: nothing changes
    assert rows(service) == rows(reference)


def test_open_tickets_get_the_message_and_a_new_session_is_paused_again(tmp_path):
    service, published, relayed = service_on(tmp_path, "tickets.db")
    ticket_id = open_ticket(service, "kim")
    published.clear()
    committed = commits(service)
    message = {"event": "user", "sender_id": "kim", "timestamp": 9e9, "text": "still broken",
               "message_id": "kim-2", "parse_data": {"intent": {"name": "complain"}}}
    read(service, [{"event": "session_started", "sender_id": "kim", "timestamp": 9e9 - 1},
                   message,
                   {"event": "user", "sender_id": "lee", "timestamp": 9e9, "text": "hello",
                    "message_id": "lee-1"}], "a")
    assert committed == [1]
    with service.maker() as db:
        texts = db.execute(select(Message.text).where(Message.ticket_id == ticket_id,
                                                      Message.role == "shopper")).scalars()
        assert list(texts) == ["still broken"]
    assert [m["type"] for m in published] == ["message.new"]
    assert published[0]["message"]["text"] == "still broken"
    assert relayed == [{"kind": "pause", "conversation_id": "kim"}]
    published.clear()
    read(service, [message], "b")  # the same message again: no second copy, no second notice
    assert published == []


def test_a_failed_transaction_leaves_nothing_and_the_lanes_go_entry_by_entry(
        conversations, tmp_path, caplog):
    events = interleaved(conversations)
    bad = {**next(e for e in events if e["event"] == "bot"), "timestamp": "late"}
    reference, _, _ = service_on(tmp_path, "ref.db")
    one_by_one(reference, events)
    service, _, _ = service_on(tmp_path, "batch.db")
    with caplog.at_level(logging.WARNING):  # lanes one at a time: SQLite has one writer
        read(service, events[:7] + [bad] + events[7:], "a", lanes=1)
    assert any("one transaction failed" in r.getMessage() for r in caplog.records)
    assert rows(service) == rows(reference)  # the bad event cost only itself


def test_what_is_batched(tmp_path):
    assert event_batch.batchable([("1-0", {"event": "user"}), ("2-0", {"event": "bot"})])
    assert not event_batch.batchable([("1-0", {"event": "user"}), ("2-0", {"event": "case_opened"})])
    assert not event_batch.batchable([("1-0", {"event": streams.HANDOFF_REQUEST})])
    assert not event_batch.batchable([("1-0", None)])  # trimmed while pending
    service, _, _ = service_on(tmp_path, "pending.db")
    calls: List[int] = []

    async def batch(lanes):
        calls.append(len(lanes))
    consumer = service.make_consumer("events")
    consumer.batch = batch
    consumer.redis = Acks()  # type: ignore[assignment]
    entries = [("1-0", streams.seal(service.settings.token, consumer.stream,
                                    {"event": "bot", "sender_id": "kim", "timestamp": 1.0}))]
    asyncio.run(consumer._handle(entries, pending=True))  # a retry round: entry by entry
    asyncio.run(consumer._handle(entries, pending=False))
    assert calls == [1]


def test_after_a_read_that_was_not_full_the_next_one_waits(tmp_path, monkeypatch):
    """The linger: a busy stream's next read gathers more conversations; a full read is
    followed at once (a backlog is drained without waiting)."""
    service, _, _ = service_on(tmp_path, "linger.db")
    assert service.settings.events_linger_seconds == 0.05
    consumer = service.make_consumer("events")
    assert consumer.linger == 0.05 and service.make_consumer("relay").linger == 0.0
    reads = [[("1-0", {})] * 3, [("2-0", {})] * bus.READ_COUNT, [("3-0", {})]]
    sleeps: List[float] = []

    async def read(pending):
        if pending:
            return []
        if not reads:
            consumer.stopping = True
            return []
        return reads.pop(0)

    async def handle(entries, pending):
        return None

    async def nothing(*_args, **_kwargs):
        return None

    async def sleep(seconds):
        sleeps.append(seconds)
    consumer._read, consumer._handle = read, handle  # type: ignore[assignment]
    consumer._claim_orphans = nothing  # type: ignore[assignment]
    monkeypatch.setattr(bus, "ensure_group", nothing)
    monkeypatch.setattr(bus.asyncio, "sleep", sleep)
    asyncio.run(consumer.run())
    assert sleeps == [0.05, 0.05]  # after the first and the last read, not after the full one
