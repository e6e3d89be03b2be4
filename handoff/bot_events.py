"""What each entry of the bot's event stream does in the handoff service.

The events consumer (handoff.bus) hands every entry to `handle_event`, after a whole read's
database work was done at once where it could be (handoff.event_batch):

- a shopper message: its events in the conversations' read model and its handoff work (the
  message on the open ticket, a rating, a survey answer) in one transaction (handoff.shopper);
- the other events of the message: the read model only (handoff.conversations.segments);
- a case the bot opened, a handoff the bot queued on the stream (it could not POST), a new Rasa
  session while a ticket is open (paused again).

A mixin of `handoff.service.Service`, whose database, relay and console it uses.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Tuple

from common import streams
from common.ticket import Ticket
from handoff import shopper, store
from handoff.conversations import record as conversation_record
from handoff.conversations.segments import Segments
from handoff.event_batch import Effect, EventBatch
from handoff.hub import Hub
from handoff.notices import notice

log = logging.getLogger(__name__)


class BotEvents:
    segments: Segments
    batch: EventBatch
    hub: Hub
    db: Callable[..., Awaitable[Any]]
    accept: Callable[[Ticket], Awaitable[Dict[str, Any]]]
    open_bot_case: Callable[[Dict[str, Any]], Awaitable[tuple]]
    enqueue_relay: Callable[[Dict[str, Any]], Awaitable[str]]

    async def handle_event(self, entry_id: str, event: Dict[str, Any], _redelivered: bool) -> None:
        kind = event.get("event")
        how, segment = self.segments.take(entry_id)
        if self.batch.take(entry_id):  # its work committed with the whole read's
            return
        if kind == "user" and event.get("sender_id"):
            await self._shopper_message(entry_id, event, how, segment)
            return
        if how == "segment":
            await self._record_segment(entry_id, event, segment)
        elif how == "alone":
            await self._record_conversation(event)
        if kind == "case_opened" and isinstance(event.get("case"), dict):
            await self.open_bot_case(event["case"])
            return
        if kind == streams.HANDOFF_REQUEST:  # the bot could not POST: it queued the ticket here
            ticket = Ticket.from_dict(event["ticket"])
            place = await self.accept(ticket)
            if not place["duplicate"]:
                text = notice("queued_late", ticket.language, position=place["position"],
                              wait=place["expected_wait_minutes"])
                await self.enqueue_relay({"kind": "notice", "text": text,
                                          "conversation_id": ticket.conversation_id,
                                          "relay_id": f"queued:{ticket.handoff_id}"})
            return
        if kind == "session_started" and event.get("sender_id"):
            await self._keep_paused(str(event["sender_id"]))
            return

    async def _record_segment(self, entry_id: str, event: Dict[str, Any],
                              segment: List[Tuple[str, Dict[str, Any]]]) -> None:
        if len(segment) <= 1:  # nothing to share: each entry records its own event
            if segment and segment[0][0] == entry_id:
                await self._record_conversation(event)
            return
        try:
            await self.db(conversation_record.ingest_many, [e for _, e in segment])
        except Exception as exc:  # recorded one by one instead, each failing on its own
            log.warning("conversations: recording %d events at once failed (%s); recording "
                        "them one by one", len(segment), exc)
            await self._record_conversation(event)
            return
        self.segments.mark_recorded(segment, by=entry_id)

    async def _record_conversation(self, event: Dict[str, Any]) -> None:
        """The conversations' read model (studio, dashboard, metrics); a failure there never
        holds up a handoff."""
        if not conversation_record.wanted(event):
            return
        try:
            await self.db(conversation_record.ingest, event)
        except Exception:
            log.exception("conversations: could not record a %s event", event.get("event"))

    async def _keep_paused(self, sender: str) -> None:
        """Rasa starts a new session after a long silence, which un-pauses the conversation:
        while a ticket is open, the conversation belongs to the agent, so pause it again."""
        row = await self.db(lambda db: store.open_ticket_for(db, sender))
        if row is not None:
            await self._pause(sender, row.id)

    async def _pause(self, sender: str, ticket_id: int) -> None:
        await self.enqueue_relay({"kind": "pause", "conversation_id": sender,
                                  "relay_id": f"pause:{ticket_id}:{uuid.uuid4().hex[:8]}"})

    async def _shopper_message(self, entry_id: str, event: Dict[str, Any], how: str,
                               segment: List[Tuple[str, Dict[str, Any]]]) -> None:
        """The message's events (read model) and its handoff work in one transaction
        (handoff.shopper); a user event always begins its own segment."""
        events = [e for _, e in segment] if how == "segment" else [event] if how == "alone" else []
        relay_items: List[Dict[str, Any]] = []  # post-chat survey questions to send

        def work(db):
            recorded = shopper.record_events(db, events, event)
            return recorded, shopper.handoff_work(db, event, relay_items)
        recorded, result = await self.db(work)
        if recorded:  # committed: the segment's other entries are only acknowledged
            self.segments.mark_recorded(segment, by=entry_id)
        await self._after_shopper(relay_items, result)

    async def after_committed(self, effect: Effect) -> None:
        """What a batch's committed entry tells the relay and the console."""
        if effect.pause is not None:
            await self._pause(*effect.pause)
        await self._after_shopper(effect.relay_items, effect.shopper)

    async def _after_shopper(self, relay_items: List[Dict[str, Any]],
                             result: shopper.Outcome) -> None:
        for item in relay_items:
            await self.enqueue_relay(item)
        if not result or not result[4]:
            return
        what, queue, assignee, view, _ = result
        if what == "message":
            self.hub.publish({"type": "message.new", "message": view}, queue=queue)
        else:
            self.hub.publish({"type": "ticket.updated", "change": "csat", "ticket": view},
                             queue=queue, agent_ids=[assignee] if assignee else None)
