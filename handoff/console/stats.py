"""Dashboard aggregates for supervisors, over a chosen period.

Ticket figures come from the handoff tables; conversation figures (how many conversations,
top intents, fallback messages, bot-only CSAT) from Rasa's SQL tracker store, read-only.
Plain SQL over the same tables the service writes, grouped in the database where it matters.
"""
from __future__ import annotations

import json
import logging
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from common.ticket import TRIGGERS, utcnow
from handoff.db import TicketEvent, TicketRow
from handoff.metrics import api as metrics_api, compute, sources
from handoff.store import aware
from handoff.surveys import csat_score

log = logging.getLogger(__name__)


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
    tracker: bool = False
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
            claims[tid] = aware(at)
    dash = Dashboard(start=start, end=end, tickets=len(rows))
    conversations = {r.conversation_id for r in rows}
    dash.handed_off = len(conversations)
    reasons = Counter(r.reason for r in rows)
    dash.by_reason = [(reason, reasons.get(reason, 0), None) for reason in TRIGGERS]
    waits = [(aware(r.first_response_at) - aware(r.created_at)).total_seconds()
             for r in rows if r.first_response_at is not None]
    dash.median_first_reply_seconds = statistics.median(waits) if waits else None
    # A breach: picked up after the SLA due time, or still not picked up past it.
    dash.sla_breaches = sum(1 for r in rows
                            if (claims.get(r.id) or now) > aware(r.sla_due_at))
    dash.csat_handoff = Csat.of([r.csat for r in rows if r.csat is not None])
    return dash, conversations


def tracker_figures(engine: Engine, dash: Dashboard, handed_off: Set[str], top: int = 10) -> None:
    """Fill the conversation figures from Rasa's `events` table (SQLTrackerStore)."""
    span = {"s": dash.start.timestamp(), "e": dash.end.timestamp()}
    where = "type_name = 'user' AND timestamp >= :s AND timestamp < :e"
    with engine.connect() as conn:
        dash.conversations = int(conn.execute(text(
            f"SELECT COUNT(DISTINCT sender_id) FROM events WHERE {where}"), span).scalar() or 0)
        dash.top_intents = [(name, int(n)) for name, n in conn.execute(text(
            f"SELECT intent_name, COUNT(*) AS n FROM events WHERE {where} "
            "AND intent_name IS NOT NULL AND intent_name <> 'nlu_fallback' "
            "GROUP BY intent_name ORDER BY n DESC, intent_name LIMIT :top"),
            {**span, "top": top})]
        fallbacks: Counter = Counter()
        for (data,) in conn.execute(text(
                f"SELECT data FROM events WHERE {where} AND intent_name = 'nlu_fallback'"), span):
            message = str(json.loads(data or "{}").get("text") or "").strip()
            if message:
                fallbacks[message] += 1
        dash.top_fallbacks = fallbacks.most_common(top)
        scores = [score for sender, data in conn.execute(text(
            f"SELECT sender_id, data FROM events WHERE {where} AND intent_name = 'csat_score'"),
            span) if sender not in handed_off and (score := csat_score(data)) is not None]
    dash.tracker = True
    dash.csat_bot = Csat.of(scores)


def dashboard(db: Session, tracker: Optional[Engine], start: datetime, end: datetime) -> Dashboard:
    dash, handed_off = ticket_figures(db, start, end)
    if tracker is not None:
        try:
            tracker_figures(tracker, dash, handed_off)
        except Exception as exc:  # no events table yet, database down: tickets still count
            log.warning("dashboard: tracker store unavailable: %s", exc)
    total = dash.conversations if dash.tracker else dash.handed_off
    if dash.tracker and total:
        dash.bot_resolution_rate = _containment(db, tracker, start, end)
    dash.by_reason = [(reason, n, round(n / total, 4) if total else None)
                      for reason, n, _ in dash.by_reason]
    return dash


def _containment(db: Session, tracker: Engine, start: datetime, end: datetime) -> Optional[float]:
    """Bot resolution as the metrics define it (docs/metrics.md): abandoned chats and chats
    followed by another contact are not resolved by the bot."""
    window = metrics_api.repeat_window()
    history, later = sources.load(db, tracker, start, end, window)
    return compute.containment(history.contacts, history.contacts + later, window)
