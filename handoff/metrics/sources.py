"""The facts of a period, read from the service's tables and Rasa's tracker store.

A contact is a Rasa session (a sender's events between two `session_started`): the tracker
knows every conversation, handed over or not. Without a tracker store, the contacts are the
handed-over conversations only (the figures then describe the human side).
"""
from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Dict, Iterable, List, Optional, Tuple

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from handoff.db import Agent, Message, TicketEvent, TicketRow
from handoff.metrics.history import Contact, History, Survey, TicketFact
from handoff.store import aware
from handoff.surveys import SurveyRow, csat_score

log = logging.getLogger(__name__)
# Intents that say nothing about what the shopper came for.
GLUE = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "nlu_fallback",
        "out_of_scope", "csat_score", "inform", "cancel", "send_image", "request_human",
        "emotion_escalation"}
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
            claims[tid] = aware(at)
    return [TicketFact(t.id, t.conversation_id, t.channel, t.queue, t.reason, agent,
                       aware(t.created_at), claims.get(t.id), aware(t.first_response_at),
                       aware(t.resolved_at), t.csat) for t, agent in rows]


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
    return [Survey(r.conversation_id, r.channel, r.kind, r.score, aware(r.answered_at))
            for (r,) in rows]


def _utc(stamp: float) -> datetime:
    return datetime.fromtimestamp(stamp, tz=timezone.utc)


def classify(events: List[Tuple[str, float, Optional[str], Optional[str], dict]],
             conversation_id: str, handed: List[TicketFact]) -> Optional[Contact]:
    """One session's events (type, timestamp, intent, action, data) -> a contact."""
    users = [e for e in events if e[0] == "user"]
    if not users:
        return None
    started, ended = _utc(events[0][1]), _utc(events[-1][1])
    channel = next((e[4].get("input_channel") for e in users if e[4].get("input_channel")),
                   "unknown")
    customer = conversation_id
    loop_open, csat = False, None
    for kind, _, intent, action, data in events:
        if kind == "slot" and data.get("name") == "customer_id" and data.get("value"):
            customer = str(data["value"])
        elif kind == "active_loop":
            loop_open = bool(data.get("name"))
        elif kind == "user" and intent == "csat_score":
            csat = csat_score(json.dumps(data))
    issue = next((e[2] for e in users if e[2] and e[2] not in GLUE), None)
    last_intent = users[-1][2]
    after_last = [e[3] for e in events if e[0] == "action" and e[1] >= users[-1][1]
                  and e[3] and e[3] != "action_listen"]
    if handed:
        outcome = "handed_off"
        resolved = all(t.resolved_at is not None for t in handed)
    elif last_intent in CLOSING:
        outcome, resolved = "bot_resolved", True
    elif loop_open or last_intent in OWING_INTENTS or (after_last and after_last[-1]
                                                       in OWING_ACTIONS):
        outcome, resolved = "abandoned", False
    else:
        outcome, resolved = "bot_resolved", True
    return Contact(conversation_id, customer, channel, started, ended, outcome, issue,
                   resolved, csat if outcome == "bot_resolved" else None)


def tracker_contacts(engine: Engine, start: datetime, end: datetime,
                     by_conversation: Dict[str, List[TicketFact]]) -> List[Contact]:
    span = {"s": start.timestamp(), "e": end.timestamp()}
    sessions: Dict[str, List[List[tuple]]] = defaultdict(list)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events "
            "WHERE sender_id IN (SELECT DISTINCT sender_id FROM events WHERE type_name = 'user' "
            "AND timestamp >= :s AND timestamp < :e) ORDER BY sender_id, id"), span)
        for sender, kind, stamp, intent, action, data in rows:
            if kind == "session_started" or not sessions[sender]:
                sessions[sender].append([])
            try:
                payload = json.loads(data or "{}")
            except json.JSONDecodeError:
                payload = {}
            sessions[sender][-1].append((kind, float(stamp), intent, action, payload))
    contacts = []
    for sender, parts in sessions.items():
        for index, events in enumerate(parts):
            if not events:
                continue
            first = _utc(events[0][1])
            until = _utc(parts[index + 1][0][1]) if index + 1 < len(parts) and parts[index + 1] \
                else datetime.max.replace(tzinfo=timezone.utc)
            handed = [t for t in by_conversation.get(sender, []) if first <= t.created_at < until]
            contact = classify(events, sender, handed)
            if contact is not None and start <= contact.started_at < end:
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


def load(db: Session, tracker: Optional[Engine], start: datetime, end: datetime,
         window: timedelta) -> Tuple[History, List[Contact]]:
    """The period's history, and the contacts of the window after it (for repeats)."""
    facts = tickets(db, start, end + window)
    by_conversation: Dict[str, List[TicketFact]] = defaultdict(list)
    for fact in facts:
        by_conversation[fact.conversation_id].append(fact)
    contacts: Optional[List[Contact]] = None
    if tracker is not None:
        try:
            contacts = tracker_contacts(tracker, start, end + window, by_conversation)
        except Exception as exc:  # no events table yet, database down: tickets still count
            log.warning("metrics: tracker store unavailable: %s", exc)
    if contacts is None:
        contacts = ticket_contacts(facts)
    inside = [c for c in contacts if c.started_at < end]
    later = [c for c in contacts if c.started_at >= end]
    return History(inside, [t for t in facts if t.created_at < end],
                   surveys(db, start, end)), later
