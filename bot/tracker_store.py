"""Rasa's SQL tracker store without the second read of the conversation on every save.

`SQLTrackerStore.save` in Rasa 3.6 first streams the new events to the event broker, and to
find them it retrieves the whole conversation again (every event of the session read,
JSON-decoded and replayed into a tracker) only to take its length; then it counts the stored
rows a second time to know which events to insert. Under load that re-read was a quarter of the
Rasa server's CPU. Here one count query, in the transaction that inserts them, gives the new
events; they go to the broker first and then to the table, in the same order as Rasa does.

Configured in endpoints.yml (`tracker_store: type: bot.tracker_store.FrontlineSQLTrackerStore`)
with the same settings as Rasa's `type: SQL`. The module also installs the prebuilt validator
for action-server responses (bot.action_validation): endpoints.yml is what every Rasa server
loads before its first action call.
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import List

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot import action_validation

log = logging.getLogger(__name__)
action_validation.install()


class FrontlineSQLTrackerStore(SQLTrackerStore):
    async def save(self, tracker: DialogueStateTracker) -> None:
        with self.session_scope() as session:
            stored = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            ).count()
            new_events: List[Event] = list(
                itertools.islice(tracker.events, stored, len(tracker.events))
            )
            if self.event_broker is not None:
                await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
            for event in new_events:
                data = event.as_dict()
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        log.debug("stored %d new event(s) of %s", len(new_events), tracker.sender_id)
