"""Dashboard aggregates for supervisors, over a chosen period.

Ticket figures come from the handoff tables; conversation figures (how many conversations,
top intents, fallback messages, bot-only CSAT) from the service's read model of conversations
(handoff.conversations: the shopper turns the bot's event stream brought), never from Rasa's
tracker store. Grouped in the database where it matters.
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.ticket import TRIGGERS, utcnow
from handoff.conversations import queries as conversations
from handoff.db import TicketEvent, TicketRow
from handoff.metrics import api as metrics_api, compute, sources


@dataclass
class Csat:
    average: Optional[float] = None
    count: int = 0

    @classmethod
    def of(cls, scores: List[int]) -> "Csat":
        return cls(round(sum(scores) / len(scores), 2) if scores else None, len(scores))


@dataclass
class Dashboard:
    start: datetime
    end: datetime
    conversations: int = 0
    handed_off: int = 0
    tickets: int = 0
    bot_resolution_rate: Optional[float] = None
    by_reason: List[Tuple[str, int, Optional[float]]] = field(default_factory=list)
    median_first_reply_seconds: Optional[float] = None
    sla_breaches: int = 0
    csat_bot: Csat = field(default_factory=Csat)
    csat_handoff: Csat = field(default_factory=Csat)
    top_intents: List[Tuple[str, int]] = field(default_factory=list)
    top_fallbacks: List[Tuple[str, int]] = field(default_factory=list)


def ticket_figures(db: Session, start: datetime, end: datetime,
                   now: Optional[datetime] = None) -> Tuple[Dashboard, Set[str]]:
    """Everything the handoff tables know; also the conversation ids that were handed off."""
    now = now or utcnow()
    rows = list(db.execute(select(
        TicketRow.id, TicketRow.conversation_id, TicketRow.reason, TicketRow.created_at,
        TicketRow.first_response_at, TicketRow.sla_due_at, TicketRow.csat)
        .where(TicketRow.created_at >= start, TicketRow.created_at < end)))
    claims: Dict[int, datetime] = {}
    if rows:
        for tid, at in db.execute(select(TicketEvent.ticket_id, func.min(TicketEvent.created_at))
                                  .where(TicketEvent.kind == "claimed",
                                         TicketEvent.ticket_id.in_([r.id for r in rows]))
                                  .group_by(TicketEvent.ticket_id)):
            claims[tid] = at
    dash = Dashboard(start=start, end=end, tickets=len(rows))
    conversations = {r.conversation_id for r in rows}
    dash.handed_off = len(conversations)
    reasons = Counter(r.reason for r in rows)
    dash.by_reason = [(reason, reasons.get(reason, 0), None) for reason in TRIGGERS]
    waits = [(r.first_response_at - r.created_at).total_seconds()
             for r in rows if r.first_response_at is not None]
    dash.median_first_reply_seconds = statistics.median(waits) if waits else None
    # A breach: picked up after the SLA due time, or still not picked up past it.
    dash.sla_breaches = sum(1 for r in rows
                            if (claims.get(r.id) or now) > r.sla_due_at)
    dash.csat_handoff = Csat.of([r.csat for r in rows if r.csat is not None])
    return dash, conversations


def conversation_figures(db: Session, dash: Dashboard, handed_off: Set[str],
                         top: int = 10) -> None:
    """Fill the conversation figures from the read model's shopper turns of the period."""
    turns = conversations.turn_figures(db, dash.start, dash.end, top)
    # A handed-over conversation counts even if its turns predate the read model.
    dash.conversations = len(turns.senders | handed_off)
    dash.top_intents = turns.top_intents
    dash.top_fallbacks = turns.top_fallbacks
    dash.csat_bot = Csat.of([score for sender, score in turns.ratings
                             if sender not in handed_off])


def dashboard(db: Session, start: datetime, end: datetime) -> Dashboard:
    dash, handed_off = ticket_figures(db, start, end)
    conversation_figures(db, dash, handed_off)
    total = dash.conversations
    if total:
        dash.bot_resolution_rate = _containment(db, start, end)
    dash.by_reason = [(reason, n, round(n / total, 4) if total else None)
                      for reason, n, _ in dash.by_reason]
    return dash


def _containment(db: Session, start: datetime, end: datetime) -> Optional[float]:
    """Bot resolution as the metrics define it (docs/metrics.md): abandoned chats and chats
    followed by another contact are not resolved by the bot."""
    window = metrics_api.repeat_window()
    history, later = sources.load(db, start, end, window)
    return compute.containment(history.contacts, history.contacts + later, window)
