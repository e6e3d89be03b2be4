"""Rasa's SQL tracker store without re-reading the conversation, on save or on retrieve.

Rasa 3.6's `SQLTrackerStore` reads and replays the whole session twice per save and once per
message:

- **save** streams the new events to the event broker first, and to find them it retrieves the
  whole conversation again only to take its length; then it counts the stored rows once more.
  Here one query, in the transaction that inserts, gives the new events; they go to the broker
  first and then to the table, in the same order as Rasa does.
- **retrieve**, at the start of every message, reads every event of the session, JSON-decodes
  it and replays it into a new tracker. Here each process keeps the tracker it last built or
  stored per conversation (`bot.tracker_cache`, LRU) with the mark of the rows it came from
  (count, last id, sum of ids, session start). One query returns the current mark and only the
  rows after the cached last id: when the mark still holds, those rows (usually none) are
  replayed onto a copy; when it does not (another replica wrote rows committed out of order, a
  new session began elsewhere, rows were deleted), the session is read in full as Rasa does.
  Replicas behind a load balancer stay correct: whatever one writes, the others see it in the
  mark. What is returned is always what Rasa's `retrieve` would rebuild from the rows.
- **Both** wait for PostgreSQL on a worker thread, not on Rasa's event loop: a COMMIT waits for
  the disk, and meanwhile the loop goes on with the other conversations.
- **save** needs the stored rows' mark to know which events are new. When this process checked
  the mark at the message's retrieve a moment ago, it is still the database's: Rasa handles a
  message under the conversation's lock (bot.lock_store), and every writer of a conversation's
  rows holds it. So the save of a message is one INSERT and a COMMIT; a save with no recent
  retrieve (or a slow message, past `CHECKED_SECONDS`) reads the mark first, as before.

Configured in endpoints.yml (`tracker_store: type: bot.tracker_store.FrontlineSQLTrackerStore`)
with the same settings as Rasa's `type: SQL`, plus `cached_conversations` / `cached_events`
(the caps of the cache; 0 conversations turns it off). The module also installs Frontline's
cuts of Rasa's per-message CPU (bot.speedups): endpoints.yml is what every Rasa server loads
before its first message.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

import sqlalchemy as sa
from psycopg2.extras import execute_values
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot import heap, speedups
from bot.tracker_cache import EMPTY, CachedConversation, RowMark, TrackerCache, clone

log = logging.getLogger(__name__)
speedups.install()
T = TypeVar("T")

# beyond any row id: the mark of the whole session, and no rows
_NO_ROWS = 2 ** 62
# how long a mark checked at retrieve stands in for the database's at save: well inside the
# conversation lock's lifetime (60 s), after which another process may take the conversation
CHECKED_SECONDS = 20.0

# the columns `_values` fills, in the order of the raw INSERT
_COLUMNS = ("sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")

# The session is what Rasa's `_event_query` selects: the sender's rows from the newest
# SessionStarted on (by timestamp), all of them before the first one. One round trip gives the
# mark of the rows up to :after, the session's start, and the rows after :after in id order.
_SESSION_ROWS = """
WITH session_start AS (
    SELECT max("timestamp") AS ts FROM {table}
    WHERE sender_id = :sender AND type_name = :session_started
), in_session AS (
    SELECT e.id, e."timestamp", e.data FROM {table} e CROSS JOIN session_start s
    WHERE e.sender_id = :sender AND (s.ts IS NULL OR e."timestamp" >= s.ts)
), totals AS (
    SELECT coalesce(sum(CASE WHEN id <= :after THEN 1 ELSE 0 END), 0) AS n_old,
           coalesce(max(CASE WHEN id <= :after THEN id END), -1) AS last_old,
           coalesce(sum(CASE WHEN id <= :after THEN id ELSE 0 END), 0) AS sum_old
    FROM in_session
)
SELECT t.n_old, t.last_old, t.sum_old, s.ts, r.id, r.data
FROM totals t CROSS JOIN session_start s LEFT JOIN in_session r ON r.id > :after
ORDER BY r.id
"""


@dataclass(frozen=True)
class SessionRows:
    mark: RowMark  # of the rows up to the id asked for
    new: Sequence[Tuple[int, str]]  # (id, data) of the rows after it


class FrontlineSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cached_conversations: int = 1000, cached_events: int = 50_000,
                 **kwargs: Any) -> None:
        self._cache = TrackerCache(int(cached_conversations), int(cached_events))
        super().__init__(*args, **kwargs)
        self._session_rows = sa.text(_SESSION_ROWS.format(table=self.SQLEvent.__tablename__))
        self._raw_insert: Optional[str] = None
        if self.engine.dialect.name == "postgresql" and self.engine.dialect.driver == "psycopg2":
            quote = self.engine.dialect.identifier_preparer
            self._raw_insert = (f"INSERT INTO {quote.format_table(self.SQLEvent.__table__)} "
                                f"({', '.join(quote.quote(c) for c in _COLUMNS)}) VALUES %s "
                                f"RETURNING id")

    @property
    def domain(self) -> Domain:
        return self._domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        # a new model may bring other slots: cached trackers were built with the old ones
        self._domain = domain or Domain.empty()
        self._cache.clear()
        if domain:  # Rasa sets it once a model is loaded: keep that model out of full GCs
            heap.refreeze_soon()

    def _read(self, session: Any, sender_id: str, after: int) -> SessionRows:
        rows = session.execute(self._session_rows, {
            "sender": sender_id, "session_started": SessionStarted.type_name, "after": after,
        }).all()
        first = rows[0]
        mark = RowMark(count=int(first[0]), last_id=int(first[1]), id_sum=int(first[2]),
                       session_start=first[3])
        return SessionRows(mark=mark, new=[(int(row[4]), row[5]) for row in rows if row[4] is not None])

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The current session's tracker, as Rasa's `retrieve` rebuilds it from the rows."""
        entry = self._cache.get(sender_id)
        cached = entry.mark if entry is not None else None

        def read() -> Tuple[SessionRows, bool]:
            """The rows after the cached ones, or the whole session when the cache is stale."""
            with self.session_scope() as session:
                rows = self._read(session, sender_id, cached.last_id if cached else EMPTY.last_id)
                if cached is None or rows.mark == cached:
                    return rows, True
                return self._read(session, sender_id, EMPTY.last_id), False

        rows, fits = await self._off_loop(read)
        if entry is not None and fits:
            self._replay(entry, rows.new)
            entry.checked_at = time.monotonic()
            self._cache.put(sender_id, entry)
            return clone(entry.tracker) if entry.tracker.events else None
        if entry is not None:  # written elsewhere in a way new rows do not explain
            log.debug("cached tracker of %s is stale: read the session", sender_id)
            self._cache.drop(sender_id)
        if not (self.domain and rows.new):
            return None
        entry = CachedConversation(DialogueStateTracker(sender_id, self.domain.slots),
                                   RowMark(0, -1, 0, rows.mark.session_start))
        self._replay(entry, rows.new)
        entry.checked_at = time.monotonic()
        self._cache.put(sender_id, entry)
        return clone(entry.tracker)

    async def _off_loop(self, work: Callable[[], T]) -> T:
        """Database round trips on a worker thread: while PostgreSQL answers one conversation,
        Rasa's event loop goes on with the others (Rasa's store blocks the loop meanwhile)."""
        return await asyncio.to_thread(work)

    @staticmethod
    def _replay(entry: CachedConversation, rows: Sequence[Tuple[int, str]]) -> None:
        if not rows:
            return
        for event in deserialise_events([json.loads(data) for _, data in rows]):
            entry.tracker.update(event)
        ids = [row_id for row_id, _ in rows]
        entry.mark = RowMark(count=entry.mark.count + len(ids), last_id=max(entry.mark.last_id, *ids),
                             id_sum=entry.mark.id_sum + sum(ids), session_start=entry.mark.session_start)

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        entry = self._cache.get(sender_id)
        checked_at = entry.checked_at if entry is not None else None
        if entry is not None:
            entry.checked_at = None  # one save per retrieve's check
        if checked_at is not None and time.monotonic() - checked_at < CHECKED_SECONDS:
            before = entry.mark
        else:
            before = await self._off_loop(lambda: self._mark(sender_id))
        new_events: List[Event] = list(
            itertools.islice(tracker.events, before.count, len(tracker.events))
        )
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, sender_id)
        values = [self._values(sender_id, event) for event in new_events]

        def insert() -> List[int]:
            if self._raw_insert is not None:
                return self._insert_raw(values)
            with self.session_scope() as session:
                ids = self._insert(session, values)
                session.commit()
                return ids

        ids = await self._off_loop(insert) if values else []
        stored = [(row_id, row["timestamp"], row["data"], row["type_name"])
                  for row_id, row in zip(ids, values)]
        self._remember(sender_id, before, stored)
        settled = getattr(self.event_broker, "settled", None)
        if new_events and settled is not None and getattr(self.event_broker, "orders_turns", True):
            # the turn (and its lock) ends only once its events are written: the next turn,
            # maybe on another worker, cannot get its events into the stream before these
            await settled()
        log.debug("stored %d new event(s) of %s", len(new_events), sender_id)

    def _mark(self, sender_id: str) -> RowMark:
        with self.session_scope() as session:
            return self._read(session, sender_id, _NO_ROWS).mark  # the whole session, no rows

    @staticmethod
    def _values(sender_id: str, event: Event) -> Dict[str, Any]:
        data = event.as_dict()
        return dict(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(data),
        )

    def _insert(self, session: Any, values: List[Dict[str, Any]]) -> List[int]:
        """Insert the rows in this order; their ids, ascending.

        On PostgreSQL one multi-row INSERT ... RETURNING (SQLAlchemy 1.4's unit of work sends one
        INSERT per event to learn each id); the serial default numbers the rows in VALUES order.
        """
        if not values:
            return []
        if self.engine.dialect.name == "postgresql":
            table = self.SQLEvent.__table__
            return sorted(session.execute(table.insert().values(values).returning(table.c.id)).scalars())
        rows = [self.SQLEvent(**row) for row in values]
        session.add_all(rows)
        session.flush()  # gives the rows their ids
        return [row.id for row in rows]

    def _insert_raw(self, values: List[Dict[str, Any]]) -> List[int]:
        """`_insert` and its COMMIT on a pooled psycopg2 connection, without an ORM session:
        SQLAlchemy compiles a multi-row INSERT anew for every row count (it cannot cache one),
        which cost more CPU than the round trip. Same statement, same rows, same order."""
        connection = self.engine.raw_connection()
        try:
            with connection.cursor() as cursor:
                rows = execute_values(cursor, self._raw_insert,
                                      [tuple(row[column] for column in _COLUMNS) for row in values],
                                      page_size=len(values), fetch=True)
            connection.commit()
        finally:
            connection.close()  # back to the pool, which rolls back whatever did not commit
        return sorted(row[0] for row in rows)

    def _remember(self, sender_id: str, before: RowMark,
                  stored: Sequence[Tuple[int, Optional[float], str, str]]) -> None:
        """Bring the cached tracker up to the rows just stored, as a retrieve would see them.

        Only when the cache held exactly the rows found before inserting (or there were none);
        otherwise it is dropped and the next retrieve reads the session.
        """
        entry = self._cache.get(sender_id)
        if entry is None and before.count == 0 and before.session_start is None and self.domain:
            entry = CachedConversation(DialogueStateTracker(sender_id, self.domain.slots), EMPTY)
        if entry is None or entry.mark != before:
            self._cache.drop(sender_id)
            return
        starts = [ts for _, ts, _, kind in stored if kind == SessionStarted.type_name and ts is not None]
        start = max([before.session_start, *starts], key=lambda ts: -1.0 if ts is None else ts)
        if start != before.session_start:
            # a new session: the cached rows drop out of it if they are all older than its start
            if any(event.timestamp >= start for event in entry.tracker.events):
                self._cache.drop(sender_id)
                return
            entry = CachedConversation(DialogueStateTracker(sender_id, self.domain.slots),
                                       RowMark(0, -1, 0, start))
        self._replay(entry, [(row_id, data) for row_id, ts, data, _ in stored
                             if start is None or (ts is not None and ts >= start)])
        self._cache.put(sender_id, entry)
