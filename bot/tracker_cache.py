"""The stored state of recent conversations, kept by one Rasa process between messages.

Rasa 3.6's SQL store rebuilds the tracker at the start of every message: every event of the
session read from the database, JSON-decoded and replayed. `bot.tracker_store` keeps the tracker
it last built or stored per conversation here, with a `RowMark` saying which rows it was built
from, and checks that mark against the database before trusting it. The cached tracker is
private: callers get `clone()`s, which the processor may change freely.

Bounded: least recently used conversations go first once either cap (conversations, events) is
exceeded.
"""
from __future__ import annotations

import copy
import dataclasses
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Optional

from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker


@dataclass(frozen=True)
class RowMark:
    """Which stored rows make up the current session: any write by another replica changes it.

    count, last id and the sum of the ids of the session's rows, and the session's start (the
    newest SessionStarted timestamp, None before the first one). A row inserted after the mark
    has a larger id (read as new) or, committed late by a concurrent writer, a smaller one
    (changes count and sum); a new session changes `session_start`.
    """

    count: int
    last_id: int
    id_sum: int
    session_start: Optional[float]


EMPTY = RowMark(count=0, last_id=-1, id_sum=0, session_start=None)


@dataclass
class CachedConversation:
    tracker: DialogueStateTracker  # the state the rows in `mark` replay to; never handed out
    mark: RowMark
    # when a retrieve last found `mark` to be the database's (time.monotonic()); a save uses it
    # once instead of reading the mark again (bot.tracker_store)
    checked_at: Optional[float] = None


def clone(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A tracker in the same state, without replaying its events.

    Events are shared (Rasa treats past events as immutable) except the latest user message:
    EntitiesAdded and DefinePrevUserUtteredFeaturization change it in place, so the copy gets
    its own. Everything else the tracker changes in place (slots, the active loop) is copied.
    """
    twin = tracker.__class__.__new__(tracker.__class__)
    twin.__dict__.update(tracker.__dict__)
    events = deque(tracker.events, tracker.events.maxlen)
    latest = tracker.latest_message
    if isinstance(latest, UserUttered):
        own = copy.copy(latest)
        own.entities = list(latest.entities)
        for index in range(len(events) - 1, -1, -1):
            if events[index] is latest:
                events[index] = own
                break
        twin.latest_message = own
    twin.events = events
    slots = tracker.slots.__class__()
    slots.update({name: copy.copy(slot) for name, slot in tracker.slots.items()})
    twin.slots = slots
    if tracker.active_loop is not None:
        twin.active_loop = dataclasses.replace(tracker.active_loop)
    if isinstance(tracker.latest_action, dict):
        twin.latest_action = dict(tracker.latest_action)
    return twin


class TrackerCache:
    """Least recently used conversations, at most `max_conversations` and `max_events` events."""

    def __init__(self, max_conversations: int, max_events: int) -> None:
        self.max_conversations = max_conversations
        self.max_events = max_events
        self._entries: "OrderedDict[str, CachedConversation]" = OrderedDict()
        self._sizes: dict = {}
        self._events = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def events(self) -> int:
        return self._events

    def get(self, sender_id: str) -> Optional[CachedConversation]:
        entry = self._entries.get(sender_id)
        if entry is not None:
            self._entries.move_to_end(sender_id)
        return entry

    def put(self, sender_id: str, entry: CachedConversation) -> None:
        self.drop(sender_id)
        size = len(entry.tracker.events)
        if self.max_conversations <= 0 or size > self.max_events:
            return
        self._entries[sender_id] = entry
        self._sizes[sender_id] = size
        self._events += size
        while len(self._entries) > self.max_conversations or self._events > self.max_events:
            oldest, _ = self._entries.popitem(last=False)
            self._events -= self._sizes.pop(oldest)

    def drop(self, sender_id: str) -> None:
        if self._entries.pop(sender_id, None) is not None:
            self._events -= self._sizes.pop(sender_id)

    def clear(self) -> None:
        self._entries.clear()
        self._sizes.clear()
        self._events = 0
