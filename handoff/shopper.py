"""What one shopper message does in the handoff service's database, in ONE transaction:

1. the events it made the bot publish are recorded in the conversations' read model (studio,
   dashboard, metrics), inside a SAVEPOINT: a failure there is logged and rolled back on its
   own, it never holds up a handoff;
2. its handoff work: the open ticket's transcript (and the console's emotion indicator), a
   rating of a ticket resolved recently, an answer to the post-chat survey.

One transaction instead of two saves a pool checkout, a commit and a thread hand-off per
message; a failure of the handoff work (the database down) rolls back both parts, and the
stream entry is retried, recording its events again (recording is idempotent).
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.orm import Session

from common.ticket import shopper_text
from handoff import store, survey_flow
from handoff.assist import emotion as assist_emotion
from handoff.conversations import record as conversation_record

log = logging.getLogger(__name__)
_CSAT = re.compile(r"^\s*([1-5])\s*(分|星|stars?|/\s*5)?\s*[.!。!]?\s*$", re.I)
_CSAT_ZH = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
CSAT_WINDOW = timedelta(hours=1)
# ("message", queue, assignee, message view, created) or ("csat", queue, assignee, ticket view,
# True): what the console is told after the commit; None: nothing for the console
Outcome = Optional[Tuple[str, str, Optional[int], Dict[str, Any], bool]]


def parse_csat(text: Optional[str]) -> Optional[int]:
    """'5', '4分', '五星', '3 stars' -> score; anything else is not a rating."""
    text = (text or "").strip()
    match = _CSAT.match(text)
    if match:
        return int(match.group(1))
    zh = re.match(r"^([一二两三四五])\s*(分|星)$", text)
    return _CSAT_ZH[zh.group(1)] if zh else None


def record_events(db: Session, events: List[Dict[str, Any]], own: Dict[str, Any]) -> bool:
    """Record `events` (the message's segment, or its user event `own` alone) in a SAVEPOINT of
    the caller's transaction. True when all of them were recorded; if a batch fails, `own` is
    recorded alone (the segment's other entries then record themselves, each on its own)."""
    if not events:
        return False
    try:
        with db.begin_nested():  # releasing it flushes: a bad row fails here, not at the commit
            conversation_record.ingest_many(db, events)
        return True
    except Exception as exc:
        if len(events) == 1:
            log.exception("conversations: could not record a %s event", own.get("event"))
            return False
        log.warning("conversations: recording %d events at once failed (%s); recording them "
                    "one by one", len(events), exc)
    try:
        with db.begin_nested():
            conversation_record.ingest(db, own)
    except Exception:
        log.exception("conversations: could not record a %s event", own.get("event"))
    return False


def handoff_work(db: Session, event: Dict[str, Any], relay_items: List[Dict[str, Any]],
                 open_tickets: Optional[Dict[str, store.TicketRow]] = None) -> Outcome:
    """The shopper's message on its open ticket, else a rating, else a survey answer; relay
    items to send (survey questions) are appended to `relay_items`. `open_tickets`: the open
    tickets of the conversations at hand, asked at once (else the conversation's is asked)."""
    sender = str(event["sender_id"])
    text = shopper_text(event)
    stamp = float(event.get("timestamp") or 0)
    dedup = f"rasa:{event.get('message_id') or stamp}"
    row = (open_tickets.get(sender) if open_tickets is not None
           else store.open_ticket_for(db, sender))
    if row is not None:
        # The message that triggered the handoff is already in the ticket's transcript.
        if row.decided_at and stamp and stamp <= row.decided_at:
            return None
        msg, created = store.add_message(db, row, "shopper", text, dedup)
        view = store.message_view(msg)
        if created:  # the console's emotion indicator follows every message
            view["emotion"] = assist_emotion.record(db, row, msg, event)
        return ("message", row.queue, row.assignee_id, view, created)
    score = parse_csat(text)
    if score is not None:
        done = store.awaiting_csat(db, sender, CSAT_WINDOW)
        if done is not None:
            store.set_csat(db, done, score, source=dedup)
            conversation_record.set_csat(db, sender, score)
            relay_items.extend(survey_flow.after_csat(db, done))
            return ("csat", done.queue, done.assignee_id, store.ticket_view(done), True)
    relay_items.extend(survey_flow.on_answer(db, sender, text))
    return None
