"""One conversation's stream entries cut into what each shopper message made the bot publish.

The events consumer hands a lane (one conversation's entries of one read) to `prepare`; each
segment (a user event and the events after it, up to the next user event) is recorded in one
transaction when its first entry is handled, and its other entries are then only acknowledged.
The handoff side of a user event (tickets, ratings) still follows its own message's events and
precedes the next message's, as when the events were recorded one by one.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

from handoff.conversations.record import wanted

Entry = Tuple[str, Dict[str, Any]]


class Segments:
    def __init__(self) -> None:
        # the entry that records a segment -> (entry id, event) of each wanted event in it
        self.pending: Dict[str, List[Entry]] = {}
        # entries whose events were recorded with another entry's segment
        self.recorded: Set[str] = set()

    def prepare(self, items: List[Entry]) -> None:
        segment: Optional[List[Entry]] = None
        for entry_id, event in items:
            self.recorded.discard(entry_id)  # a retried lane: recorded again, idempotently
            if segment is None or event.get("event") == "user":
                segment = self.pending[entry_id] = []
            if wanted(event):
                segment.append((entry_id, event))

    def take(self, entry_id: str) -> Tuple[str, List[Entry]]:
        """("segment", its events) for the entry that records one, ("done", []) for an entry
        recorded with another, ("alone", []) for an entry no lane announced."""
        segment = self.pending.pop(entry_id, None)
        if segment is not None:
            return "segment", segment
        if entry_id in self.recorded:
            self.recorded.discard(entry_id)
            return "done", []
        return "alone", []

    def mark_recorded(self, segment: List[Entry], by: str) -> None:
        self.recorded.update(other for other, _ in segment if other != by)

    def __bool__(self) -> bool:
        return bool(self.pending or self.recorded)
