"""The tracker store stores and streams exactly what Rasa's SQL store does, without re-reading.

Both stores run on real PostgreSQL, each in a schema of its own; the same conversation (two
turns, then a new session) is saved through each, and the rows and the broker's events compared.
"""
from __future__ import annotations

import uuid
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, BotUttered, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, text

from bot.tracker_store import FrontlineSQLTrackerStore
from tests.integration.pg_store import PG_URL

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, order_status]
slots:
  order_id: {type: text, influence_conversation: false, mappings: [{type: from_entity, entity: order_id}]}
entities: [order_id]
responses:
  utter_greet: [{text: hi}]
""")


class Recorder(EventBroker):
    """What a broker receives, in order (stands in for the Redis stream)."""

    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


@pytest.fixture
def schemas() -> Iterator[List[str]]:
    names = [f"tracker_test_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        for name in names:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    yield names
    with admin.begin() as conn:
        for name in names:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def _store(cls: type, schema: str, broker: EventBroker) -> SQLTrackerStore:
    return cls(domain=DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db="test",
               username="postgres", event_broker=broker, query={"options": f"-csearch_path={schema}"})


def _turns(sender: str) -> List[List[Any]]:
    return [
        [SessionStarted(timestamp=1.0), ActionExecuted("action_session_start", timestamp=1.1),
         ActionExecuted("action_listen", timestamp=1.2)],
        [UserUttered("hi", {"name": "greet", "confidence": 0.9}, timestamp=2.0),
         ActionExecuted("utter_greet", timestamp=2.1), BotUttered("hi", timestamp=2.2),
         ActionExecuted("action_listen", timestamp=2.3)],
        [UserUttered("where is E202611180042", {"name": "order_status", "confidence": 0.8},
                     [{"entity": "order_id", "value": "E202611180042", "start": 9, "end": 22}],
                     timestamp=3.0),
         SlotSet("order_id", "E202611180042", timestamp=3.1), ActionExecuted("action_listen", timestamp=3.2)],
        # a new session after the expiry time: only its events are "the conversation" again
        [SessionStarted(timestamp=100.0), ActionExecuted("action_session_start", timestamp=100.1),
         SlotSet("order_id", "E202611180042", timestamp=100.2), ActionExecuted("action_listen", timestamp=100.3)],
        [UserUttered("hi again", {"name": "greet", "confidence": 0.95}, timestamp=101.0),
         ActionExecuted("utter_greet", timestamp=101.1), BotUttered("hi", timestamp=101.2)],
    ]


async def _play(store: SQLTrackerStore, sender: str) -> List[List[Dict[str, Any]]]:
    """Save the conversation turn by turn, as the processor does; the stored events after each."""
    stored = []
    for turn in _turns(sender):
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in turn:
            tracker.update(event)
        await store.save(tracker)
        again = await store.retrieve(sender)
        stored.append([e.as_dict() for e in again.events])
    return stored


async def test_same_rows_and_same_broker_events_as_rasas_store(schemas):
    sender = f"rest:{uuid.uuid4().hex}"
    rasa_broker, ours_broker = Recorder(), Recorder()
    rasa_store = _store(SQLTrackerStore, schemas[0], rasa_broker)
    ours = _store(FrontlineSQLTrackerStore, schemas[1], ours_broker)

    assert await _play(ours, sender) == await _play(rasa_store, sender)
    assert ours_broker.published == rasa_broker.published
    assert len(ours_broker.published) == sum(len(turn) for turn in _turns(sender))
    full = await ours.retrieve_full_tracker(sender)
    assert len(full.events) == len(ours_broker.published)


async def test_saving_never_reads_the_conversation_back(schemas, monkeypatch):
    sender = f"rest:{uuid.uuid4().hex}"
    broker = Recorder()
    ours = _store(FrontlineSQLTrackerStore, schemas[1], broker)
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for turn in _turns(sender)[:3]:
        for event in turn:
            tracker.update(event)

    async def no_reads(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("save re-read the conversation")

    monkeypatch.setattr(ours, "retrieve", no_reads)
    monkeypatch.setattr(ours, "_retrieve", no_reads)
    await ours.save(tracker)
    await ours.save(tracker)  # nothing new: nothing stored or streamed twice
    assert len(broker.published) == len(tracker.events)
    monkeypatch.undo()
    assert [e.as_dict() for e in (await ours.retrieve(sender)).events] == [e.as_dict() for e in tracker.events]
