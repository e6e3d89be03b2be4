"""The tracker store stores, streams and retrieves exactly what Rasa's SQL store does, without re-reading.

Both stores run on real PostgreSQL, each in a schema of its own; the same conversation (two
turns, then a new session) is saved through each, and the rows and the broker's events compared.
The cached retrieve is compared with Rasa's retrieve of the same rows after many turns, a new
session, a rewind, a write by another replica and a write committed out of order.
"""
from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActiveLoop, BotUttered,
                                     EntitiesAdded, Restarted, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from sqlalchemy import create_engine, text

from bot.tracker_store import FrontlineSQLTrackerStore
from tests.integration.pg_store import PG_URL

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, order_status]
slots:
  order_id: {type: text, influence_conversation: false, mappings: [{type: from_entity, entity: order_id}]}
  verified_orders: {type: list, influence_conversation: false, mappings: [{type: custom}]}
  requested_slot: {type: text, influence_conversation: false, mappings: [{type: custom}]}
entities: [order_id]
forms:
  order_form: {required_slots: [order_id]}
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


# --- the cached retrieve ---------------------------------------------------------------
def _order_turn(n: int, t: float) -> List[Any]:
    """One order-form turn: entities added later, the form, slots, a rejection now and then."""
    order = f"E2026111{n:05d}"
    turn = [UserUttered(f"where is {order}", {"name": "order_status", "confidence": 0.8}, timestamp=t),
            EntitiesAdded([{"entity": "order_id", "value": order}], timestamp=t + 0.01),
            ActionExecuted("order_form", timestamp=t + 0.1), ActiveLoop("order_form", timestamp=t + 0.2),
            SlotSet("order_id", order, timestamp=t + 0.3),
            SlotSet("verified_orders", [order], timestamp=t + 0.4),
            SlotSet("requested_slot", None, timestamp=t + 0.5), ActiveLoop(None, timestamp=t + 0.6),
            BotUttered(f"{order} is on its way", {"buttons": []}, timestamp=t + 0.7),
            ActionExecuted("action_listen", timestamp=t + 0.8)]
    if n % 4 == 3:  # the shopper takes it back: the tracker replays what is left
        turn += [UserUtteranceReverted(timestamp=t + 0.9), ActionExecuted("action_listen", timestamp=t + 0.95)]
    if n % 5 == 4:
        turn.insert(3, ActionExecutionRejected("order_form", timestamp=t + 0.15))
    return turn


def _state(tracker: Optional[DialogueStateTracker]) -> Any:
    if tracker is None:
        return None
    return (tracker.current_state(EventVerbosity.ALL), [e.as_dict() for e in tracker.applied_events()],
            tracker.latest_message.entities if tracker.latest_message else None,
            {name: slot.value for name, slot in tracker.slots.items()}, tracker.active_loop)


async def _turn(store: SQLTrackerStore, sender: str, events: List[Any]) -> None:
    tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
    for event in events:
        tracker.update(event)
    await store.save(tracker)


def _start(t: float) -> List[Any]:
    return [SessionStarted(timestamp=t), ActionExecuted("action_session_start", timestamp=t + 0.01),
            ActionExecuted("action_listen", timestamp=t + 0.02)]


async def test_cached_retrieve_is_rasas_tracker_over_many_turns_rewinds_and_a_new_session(schemas):
    sender = f"rest:{uuid.uuid4().hex}"
    ours = _store(FrontlineSQLTrackerStore, schemas[0], Recorder())
    rasa_view = _store(SQLTrackerStore, schemas[0], None)
    await _turn(ours, sender, _start(1.0))
    for n in range(30):
        await _turn(ours, sender, _order_turn(n, 10.0 + n))
        assert _state(await ours.retrieve(sender)) == _state(await rasa_view.retrieve(sender)), n
        if n == 19:  # a new session, slots carried over, after a long pause
            await _turn(ours, sender, _start(500.0) + [SlotSet("order_id", "E202611100019", timestamp=500.1)])
            restarted = await ours.retrieve(sender)
            assert _state(restarted) == _state(await rasa_view.retrieve(sender))
            assert restarted.events[0] == SessionStarted(timestamp=500.0)
    # the Restarted event: everything forgotten, as Rasa replays it
    await _turn(ours, sender, [Restarted(timestamp=900.0)] + _start(900.1))
    assert _state(await ours.retrieve(sender)) == _state(await rasa_view.retrieve(sender))


async def test_a_handed_out_tracker_changed_but_not_saved_leaves_the_next_retrieve_alone(schemas):
    sender = f"rest:{uuid.uuid4().hex}"
    ours = _store(FrontlineSQLTrackerStore, schemas[0], None)
    await _turn(ours, sender, _start(1.0) + _order_turn(0, 2.0))
    expected = _state(await _store(SQLTrackerStore, schemas[0], None).retrieve(sender))
    handed_out = await ours.retrieve(sender)
    for event in _order_turn(1, 3.0)[:5] + [EntitiesAdded([{"entity": "order_id", "value": "x"}])]:
        handed_out.update(event)  # the processor's changes, then the turn fails before saving
    handed_out.reject_action("order_form")
    handed_out.slots["order_id"].value = "changed in place"
    assert _state(await ours.retrieve(sender)) == expected


async def test_retrieve_after_own_save_decodes_no_stored_event(schemas, monkeypatch):
    import bot.tracker_store as module
    sender = f"rest:{uuid.uuid4().hex}"
    ours = _store(FrontlineSQLTrackerStore, schemas[0], None)
    for n in range(10):
        await _turn(ours, sender, (_start(1.0) if n == 0 else []) + _order_turn(n, 10.0 + n))
    decoded: List[int] = []
    real = module.deserialise_events
    monkeypatch.setattr(module, "deserialise_events", lambda rows: decoded.append(len(rows)) or real(rows))
    tracker = await ours.retrieve(sender)
    assert decoded == [] and len(tracker.events) > 100
    await _turn(ours, sender, _order_turn(10, 30.0))
    assert decoded == [len(_order_turn(10, 30.0))]  # the new turn's rows, once, when stored


async def test_rows_written_by_another_replica_are_read(schemas):
    sender = f"rest:{uuid.uuid4().hex}"
    replica_a = _store(FrontlineSQLTrackerStore, schemas[0], None)
    replica_b = _store(FrontlineSQLTrackerStore, schemas[0], None)
    rasa_view = _store(SQLTrackerStore, schemas[0], None)
    await _turn(replica_a, sender, _start(1.0) + _order_turn(0, 2.0))
    await replica_a.retrieve(sender)  # cached on A
    await _turn(replica_b, sender, _order_turn(1, 3.0))  # B appends
    assert _state(await replica_a.retrieve(sender)) == _state(await rasa_view.retrieve(sender))
    await _turn(replica_b, sender, _start(50.0))  # B starts a new session
    assert _state(await replica_a.retrieve(sender)) == _state(await rasa_view.retrieve(sender))
    await _turn(replica_a, sender, _order_turn(2, 51.0))
    assert _state(await replica_b.retrieve(sender)) == _state(await rasa_view.retrieve(sender))


async def test_a_row_committed_out_of_order_by_another_replica_is_read(schemas):
    """B takes an id first and commits after A's later id: A's cache must not skip B's row."""
    sender = f"rest:{uuid.uuid4().hex}"
    replica_a = _store(FrontlineSQLTrackerStore, schemas[0], None)
    rasa_view = _store(SQLTrackerStore, schemas[0], None)
    await _turn(replica_a, sender, _start(1.0) + _order_turn(0, 2.0))
    late = SlotSet("order_id", "E202611199999", timestamp=2.95)
    with replica_a.engine.connect() as conn:
        pending = conn.begin()
        late_id = conn.execute(text('INSERT INTO events (sender_id, type_name, "timestamp", data) '
                                    'VALUES (:s, :t, :ts, :d) RETURNING id'),
                               {"s": sender, "t": late.type_name, "ts": late.timestamp,
                                "d": json.dumps(late.as_dict())}).scalar_one()
        await _turn(replica_a, sender, _order_turn(1, 3.0))  # A's rows get larger ids, committed first
        pending.commit()
    with replica_a.engine.connect() as conn:
        last_id = conn.execute(text("SELECT max(id) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one()
    assert late_id < last_id
    assert _state(await replica_a.retrieve(sender)) == _state(await rasa_view.retrieve(sender))
    assert late.as_dict() in [e.as_dict() for e in (await replica_a.retrieve(sender)).events]


async def test_a_new_domain_drops_the_cached_trackers(schemas):
    sender = f"rest:{uuid.uuid4().hex}"
    ours = _store(FrontlineSQLTrackerStore, schemas[0], None)
    await _turn(ours, sender, _start(1.0) + _order_turn(0, 2.0))
    assert (await ours.retrieve(sender)).get_slot("order_id") == "E202611100000"
    ours.domain = Domain.from_yaml('version: "3.1"\nintents: [greet]')
    assert "order_id" not in (await ours.retrieve(sender)).slots


async def test_a_message_saved_right_after_its_retrieve_is_one_insert(schemas, monkeypatch):
    """Under the conversation's lock nobody else writes its rows between a message's retrieve
    and its save: the mark checked at retrieve stands in for a second read, for a while."""
    import bot.tracker_store as module
    from sqlalchemy import event

    sender = f"rest:{uuid.uuid4().hex}"
    ours = _store(FrontlineSQLTrackerStore, schemas[0], Recorder())
    rasa_view = _store(SQLTrackerStore, schemas[0], None)
    statements: List[str] = []
    event.listen(ours.engine, "before_cursor_execute",
                 lambda conn, cursor, sql, *rest: statements.append(sql.split()[0].upper()))
    raw_insert = module.execute_values  # the INSERT goes out on the pooled connection itself

    def counted(cursor, sql, *args, **kwargs):
        statements.append(sql.split()[0].upper())
        return raw_insert(cursor, sql, *args, **kwargs)
    monkeypatch.setattr(module, "execute_values", counted)
    await _turn(ours, sender, _start(1.0))
    for n in range(3):
        statements.clear()
        await _turn(ours, sender, _order_turn(n, 10.0 + n))
        # the retrieve's one query (the WITH ... session rows), then the INSERT alone
        assert statements == ["WITH", "INSERT"], statements
    statements.clear()
    tracker = await ours.retrieve(sender)
    monkeypatch.setattr(module, "CHECKED_SECONDS", 0.0)  # a slow message: the mark is read again
    for event_ in _order_turn(3, 20.0):
        tracker.update(event_)
    await ours.save(tracker)
    assert statements == ["WITH", "WITH", "INSERT"], statements
    await ours.save(tracker)  # nothing new, and no checked mark left: read, nothing stored
    assert _state(await ours.retrieve(sender)) == _state(await rasa_view.retrieve(sender))
    assert len(ours.event_broker.published) == len(_start(1.0)) + sum(
        len(_order_turn(n, 1.0)) for n in range(4))
