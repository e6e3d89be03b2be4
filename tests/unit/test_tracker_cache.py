"""The per-process tracker cache: bounded, least recently used first, and copies that stay apart."""
from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, DefinePrevUserUtteredFeaturization,
                                     EntitiesAdded, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.tracker_cache import EMPTY, CachedConversation, TrackerCache, clone

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [order_status]
entities: [order_id]
slots:
  order_id: {type: text, mappings: [{type: from_entity, entity: order_id}]}
forms:
  order_form: {required_slots: [order_id]}
""")


def _tracker(sender: str, events: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    for n in range(events):
        tracker.update(ActionExecuted("action_listen", timestamp=float(n)))
    return tracker


def _entry(sender: str, events: int) -> CachedConversation:
    return CachedConversation(_tracker(sender, events), EMPTY)


def test_least_recently_used_conversation_goes_first_beyond_the_cap():
    cache = TrackerCache(max_conversations=2, max_events=1000)
    cache.put("a", _entry("a", 1))
    cache.put("b", _entry("b", 1))
    assert cache.get("a") is not None  # a used: b is now the oldest
    cache.put("c", _entry("c", 1))
    assert (cache.get("a"), cache.get("b")) != (None, None) and cache.get("b") is None
    assert len(cache) == 2


def test_the_events_cap_bounds_memory():
    cache = TrackerCache(max_conversations=100, max_events=10)
    cache.put("a", _entry("a", 4))
    cache.put("b", _entry("b", 4))
    cache.put("c", _entry("c", 4))
    assert cache.get("a") is None and cache.events == 8
    cache.put("huge", _entry("huge", 11))  # larger than the cap alone: not kept
    assert cache.get("huge") is None and cache.events == 8
    cache.put("b", _entry("b", 1))  # replaced: counted once
    assert cache.events == 5
    cache.clear()
    assert len(cache) == 0 and cache.events == 0


def test_no_conversations_means_no_cache():
    cache = TrackerCache(max_conversations=0, max_events=10)
    cache.put("a", _entry("a", 1))
    assert cache.get("a") is None and cache.events == 0


def test_a_clone_is_in_the_same_state_and_changes_apart():
    tracker = DialogueStateTracker("s", DOMAIN.slots)
    for event in [ActionExecuted("action_listen", timestamp=1.0),
                  UserUttered("where is E1", {"name": "order_status", "confidence": 0.9}, timestamp=2.0),
                  ActionExecuted("order_form", timestamp=3.0), ActiveLoop("order_form", timestamp=3.1),
                  SlotSet("order_id", "E1", timestamp=3.2)]:
        tracker.update(event)
    before = tracker.current_state(EventVerbosity.ALL)
    twin = clone(tracker)
    assert twin.current_state(EventVerbosity.ALL) == before

    twin.update(ActionExecuted("action_listen", timestamp=4.0))
    twin.update(EntitiesAdded([{"entity": "order_id", "value": "E2"}], timestamp=4.1))
    twin.update(DefinePrevUserUtteredFeaturization(True, timestamp=4.2))
    twin.update(SlotSet("order_id", "E2", timestamp=4.3))
    twin.reject_action("order_form")
    twin.slots["order_id"].value = "E3"
    assert tracker.current_state(EventVerbosity.ALL) == before
    assert tracker.latest_message.entities == [] and not tracker.latest_message.use_text_for_featurization
    assert tracker.active_loop.rejected is False and len(tracker.events) == 5


async def test_the_cached_store_reads_what_rasa_reads_on_sqlite_too(tmp_path):
    """The embedded stack's SQLite tracker: the same session query must run there."""
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    from bot.tracker_store import FrontlineSQLTrackerStore

    db = str(tmp_path / "tracker.db")
    ours = FrontlineSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    rasa_view = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=db)
    turns = [[SessionStarted(timestamp=1.0), ActionExecuted("action_listen", timestamp=1.1)]]
    turns += [[UserUttered(f"where is E{n}", {"name": "order_status", "confidence": 0.9}, timestamp=2.0 + n),
               SlotSet("order_id", f"E{n}", timestamp=2.1 + n)] for n in range(5)]
    turns += [[SessionStarted(timestamp=50.0), ActionExecuted("action_listen", timestamp=50.1)]]
    for events in turns:
        tracker = await ours.retrieve("s") or DialogueStateTracker("s", DOMAIN.slots)
        for event in events:
            tracker.update(event)
        await ours.save(tracker)
        assert (await ours.retrieve("s")).current_state(EventVerbosity.ALL) == \
            (await rasa_view.retrieve("s")).current_state(EventVerbosity.ALL)
    assert len((await ours.retrieve("s")).events) == 2
