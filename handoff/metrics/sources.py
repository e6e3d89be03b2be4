"""The facts of a period, read from the service's tables and its read model of conversations.

A contact is a Rasa session (a sender's events between two `session_started`), as the read
model (handoff.conversations, fed by the bot's event stream) recorded it: it knows every
conversation, handed over or not. A handed-over conversation the read model never saw (from
before it was fed) is one contact of its tickets.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.conversations import queries as conversations
from handoff.conversations.sessions import GLUE, SessionFacts, SessionLike, apply
from handoff.db import Agent, Message, TicketEvent, TicketRow
from handoff.metrics.history import Contact, History, Survey, TicketFact
from handoff.surveys import SurveyRow

__all__ = ["GLUE", "classify", "decide", "load", "tickets", "surveys", "assist_usage"]

# The shopper closed the conversation: the bot's answer was enough.
CLOSING = {"goodbye", "thank", "csat_score"}
# The bot still owed an answer when the shopper left.
OWING_ACTIONS = {"action_fallback", "utter_ask_rephrase", "utter_offer_human",
                 "action_offer_human_for_emotion", "action_default_fallback"}
OWING_INTENTS = {"nlu_fallback", "request_human", "out_of_scope"}


def tickets(db: Session, start: datetime, end: datetime) -> List[TicketFact]:
    rows = list(db.execute(select(TicketRow, Agent.username).outerjoin(
        Agent, Agent.id == TicketRow.assignee_id).where(
        TicketRow.created_at >= start, TicketRow.created_at < end)))
    claims: Dict[int, datetime] = {}
    if rows:
        for tid, at in db.execute(select(TicketEvent.ticket_id, func.min(TicketEvent.created_at))
                                  .where(TicketEvent.kind == "claimed",
                                         TicketEvent.ticket_id.in_([r[0].id for r in rows]))
                                  .group_by(TicketEvent.ticket_id)):
            claims[tid] = at
    return [TicketFact(t.id, t.conversation_id, t.channel, t.queue, t.reason, agent,
                       t.created_at, claims.get(t.id), t.first_response_at,
                       t.resolved_at, t.csat) for t, agent in rows]


def assist_usage(db: Session, start: datetime, end: datetime) -> Dict[str, object]:
    """How often agents inserted a live-assist suggestion, per kind, and per agent message."""
    used = Counter(str((data or {}).get("source")) for (data,) in db.execute(
        select(TicketEvent.data).where(TicketEvent.kind == "assist_used",
                                       TicketEvent.created_at >= start,
                                       TicketEvent.created_at < end)))
    sent = db.execute(select(func.count(Message.id)).where(
        Message.role == "agent", Message.created_at >= start,
        Message.created_at < end)).scalar_one()
    total = sum(used.values())
    return {"used": total, "by_kind": dict(sorted(used.items())), "agent_messages": int(sent),
            "per_agent_message": round(total / sent, 4) if sent else None}


def surveys(db: Session, start: datetime, end: datetime) -> List[Survey]:
    rows = db.execute(select(SurveyRow).where(SurveyRow.answered_at >= start,
                                              SurveyRow.answered_at < end,
                                              SurveyRow.score.isnot(None)))
    return [Survey(r.conversation_id, r.channel, r.kind, r.score, r.answered_at)
            for (r,) in rows]


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc)


def decide(s: SessionLike, conversation_id: str, handed: List[TicketFact]) -> Optional[Contact]:
    """One session's facts (handoff.conversations.sessions) and its tickets -> a contact."""
    if not s.shopper_turns:
        return None
    if handed:
        outcome = "handed_off"
        resolved = all(t.resolved_at is not None for t in handed)
    elif s.last_intent in CLOSING:
        outcome, resolved = "bot_resolved", True
    elif s.loop_open or s.last_intent in OWING_INTENTS or s.last_action in OWING_ACTIONS:
        outcome, resolved = "abandoned", False
    else:
        outcome, resolved = "bot_resolved", True
    return Contact(conversation_id, s.customer or conversation_id, s.channel or "unknown",
                   _utc(s.started_at), _utc(s.last_at), outcome, s.issue, resolved,
                   s.csat if outcome == "bot_resolved" else None)


def classify(events: List[Tuple[str, float, Optional[str], Optional[str], dict]],
             conversation_id: str, handed: List[TicketFact]) -> Optional[Contact]:
    """One session's events (type, timestamp, intent, action, data) -> a contact: the same
    fold the read model applies to the stream, event by event."""
    if not events:
        return None
    facts = SessionFacts(started_at=events[0][1], last_at=events[0][1])
    for kind, stamp, intent, action, data in events:
        apply(facts, kind, stamp, intent, action, data)
    return decide(facts, conversation_id, handed)


def session_contacts(db: Session, start: datetime, end: datetime,
                     by_conversation: Dict[str, List[TicketFact]]) -> List[Contact]:
    """The read model's sessions that started in [start, end), with the tickets of each."""
    contacts = []
    for span in conversations.sessions_started(db, start, end):
        first = _utc(span.row.started_at)
        until = _utc(span.until) if span.until is not None \
            else datetime.max.replace(tzinfo=timezone.utc)
        handed = [t for t in by_conversation.get(span.row.sender_id, [])
                  if first <= t.created_at < until]
        contact = decide(span.row, span.row.sender_id, handed)
        if contact is not None:
            contacts.append(contact)
    return contacts


def ticket_contacts(facts: Iterable[TicketFact]) -> List[Contact]:
    """Without a tracker store: each handed-over conversation is one contact."""
    grouped: Dict[str, List[TicketFact]] = defaultdict(list)
    for fact in facts:
        grouped[fact.conversation_id].append(fact)
    return [Contact(cid, cid, ts[0].channel, min(t.created_at for t in ts),
                    max(t.resolved_at or t.created_at for t in ts), "handed_off", None,
                    all(t.resolved_at for t in ts)) for cid, ts in grouped.items()]


def load(db: Session, start: datetime, end: datetime,
         window: timedelta) -> Tuple[History, List[Contact]]:
    """The period's history, and the contacts of the window after it (for repeats)."""
    facts = tickets(db, start, end + window)
    by_conversation: Dict[str, List[TicketFact]] = defaultdict(list)
    for fact in facts:
        by_conversation[fact.conversation_id].append(fact)
    contacts = session_contacts(db, start, end + window, by_conversation)
    # Hand-overs of conversations the read model never saw (from before it was fed, or a
    # ticket without bot events): each such conversation is one contact, as before.
    known = conversations.known_senders(db, set(by_conversation))
    contacts += ticket_contacts(f for f in facts if f.conversation_id not in known)
    inside = [c for c in contacts if c.started_at < end]
    later = [c for c in contacts if c.started_at >= end]
    return History(inside, [t for t in facts if t.created_at < end],
                   surveys(db, start, end)), later
