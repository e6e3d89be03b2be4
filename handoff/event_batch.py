"""Every conversation of one read of the bot's event stream in ONE database transaction.

The events consumer reads up to 100 entries at a time: under load, the messages of many
conversations. Handled conversation by conversation, each shopper message cost a transaction of
its own (a pool checkout, a thread hand-off, a savepoint, a unit-of-work flush and a COMMIT that
waits for the disk). Here, before the conversations' lanes run, the database work of all of them
is done on one worker thread in one transaction:

- every conversation's events are recorded in the read model (handoff.conversations.record:
  the rows its messages one by one would make, all conversations in one flush), then
- the handoff side of each entry, in each conversation's order: the shopper's message on an
  open ticket, a rating, a survey answer (handoff.shopper), or the open-ticket check of a new
  Rasa session. The open tickets of all of them are asked in one query.

After the COMMIT, what the console and the relay are told (a new message, a rating, a survey
question, a pause) goes out entry by entry in the same order, and those entries are marked done:
their lanes only acknowledge them. When the transaction fails (a bad row, the database away),
nothing was written and every lane runs entry by entry as before, with the read model in its own
savepoint there; the work is idempotent either way. Lanes holding an entry whose handling is not
database work (a case the bot opened, a handoff queued on the stream) are not batched.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from sqlalchemy.orm import Session

from common import streams
from handoff import shopper, store
from handoff.conversations import record as conversation_record

if TYPE_CHECKING:  # pragma: no cover
    from handoff.service import Service

log = logging.getLogger(__name__)
Entry = Tuple[str, Optional[Dict[str, Any]]]
# kinds whose handling is not one transaction's work: their lanes go entry by entry
NOT_BATCHED = frozenset({"case_opened", streams.HANDOFF_REQUEST})


@dataclass
class Effect:
    """What one entry's committed work tells the console or the relay."""
    shopper: Optional[shopper.Outcome] = None  # a shopper message's outcome
    relay_items: List[Dict[str, Any]] = field(default_factory=list)
    pause: Optional[Tuple[str, int]] = None  # (conversation, open ticket) of a new session


def batchable(lane: List[Entry]) -> bool:
    return bool(lane) and all(payload is not None and payload.get("event") not in NOT_BATCHED
                              for _, payload in lane)


def _asks_for_ticket(event: Dict[str, Any]) -> bool:
    return event.get("event") in ("user", "session_started") and bool(event.get("sender_id"))


def _entry_work(db: Session, event: Dict[str, Any],
                open_tickets: Dict[str, store.TicketRow]) -> Optional[Effect]:
    if not _asks_for_ticket(event):
        return None
    if event["event"] == "user":
        effect = Effect()
        effect.shopper = shopper.handoff_work(db, event, effect.relay_items, open_tickets)
        return effect
    row = open_tickets.get(str(event["sender_id"]))
    return Effect(pause=(str(event["sender_id"]), row.id)) if row is not None else None


def batch_work(db: Session, lanes: List[List[Entry]]) -> List[List[Tuple[str, Optional[Effect]]]]:
    """The lanes' (all `batchable`: every entry has its event) database work in the caller's
    transaction; each entry's effect, in order. The open tickets of every conversation with a
    message or a new session are asked at once: nothing here opens or closes a ticket."""
    open_tickets = store.open_tickets_for(db, (
        str(event["sender_id"]) for lane in lanes for _, event in lane if _asks_for_ticket(event)))
    # Every conversation's events are recorded before the handoff work, which reads nothing of
    # the read model: each conversation's rows as its segments one by one would make them
    # (handoff.conversations.record), all of them in one flush.
    conversation_record.ingest_many(db, [event for lane in lanes for _, event in lane])
    return [[(entry_id, _entry_work(db, event, open_tickets)) for entry_id, event in lane]
            for lane in lanes]


class EventBatch:
    def __init__(self, service: "Service") -> None:
        self.service = service
        self.done: Set[str] = set()  # entries whose work committed and whose effects went out

    def take(self, entry_id: str) -> bool:
        """Whether the entry was handled by a batch (its lane only acknowledges it)."""
        if entry_id in self.done:
            self.done.discard(entry_id)
            return True
        return False

    async def run(self, lanes: List[List[Entry]]) -> None:
        lanes = [lane for lane in lanes if batchable(lane)]
        if not lanes:
            return
        try:
            results = await self.service.db(batch_work, lanes)
        except Exception as exc:  # nothing was written: the lanes go entry by entry
            log.warning("events of %d conversation(s) in one transaction failed (%s); "
                        "handling them one by one", len(lanes), exc)
            return
        for effects in results:
            for entry_id, effect in effects:
                try:
                    if effect is not None:
                        await self.service.after_committed(effect)
                except Exception:  # this entry and the lane's next ones go entry by entry
                    log.exception("telling the console or relay about entry %s failed", entry_id)
                    break
                self.done.add(entry_id)
