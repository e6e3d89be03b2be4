"""What the dashboard and the metrics read from the conversations' read model.

Periods are [start, end) in UTC; the read model keeps Rasa's float timestamps (seconds).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Set, Tuple

from sqlalchemy import desc, func, select
from sqlalchemy.orm import Session

from handoff.conversations.masking import masked_text, Piece
from handoff.conversations.sessions import FALLBACK_INTENT
from handoff.conversations.tables import ConversationSession, StudioTurn


@dataclass
class TurnFigures:
    """The shopper turns of a period, as the dashboard shows them."""
    senders: Set[str] = field(default_factory=set)  # conversations with a turn in the period
    top_intents: List[Tuple[str, int]] = field(default_factory=list)
    top_fallbacks: List[Tuple[str, int]] = field(default_factory=list)  # masked text
    ratings: List[Tuple[str, int]] = field(default_factory=list)  # (sender, 1-5 csat)


def turn_figures(db: Session, start: datetime, end: datetime, top: int = 10) -> TurnFigures:
    inside = (StudioTurn.role == "shopper", StudioTurn.at >= start.timestamp(),
              StudioTurn.at < end.timestamp())
    figures = TurnFigures()
    figures.senders = set(db.scalars(select(StudioTurn.conversation_id).where(*inside)
                                     .distinct()))
    n = func.count().label("n")
    figures.top_intents = [(name, int(count)) for name, count in db.execute(
        select(StudioTurn.intent, n).where(*inside, StudioTurn.intent.isnot(None),
                                           StudioTurn.intent != FALLBACK_INTENT)
        .group_by(StudioTurn.intent).order_by(desc(n), StudioTurn.intent).limit(top))]
    fallbacks: Counter = Counter()
    for pieces in db.scalars(select(StudioTurn.pieces).where(
            *inside, StudioTurn.intent == FALLBACK_INTENT)):
        message = masked_text([Piece(*p) for p in pieces or []]).strip()
        if message:
            fallbacks[message] += 1
    figures.top_fallbacks = fallbacks.most_common(top)
    figures.ratings = [(sender, int(score)) for sender, score in db.execute(
        select(StudioTurn.conversation_id, StudioTurn.score).where(
            *inside, StudioTurn.intent == "csat_score", StudioTurn.score.isnot(None)))]
    return figures


@dataclass(frozen=True)
class SessionSpan:
    """A session with shopper turns, and when the sender's next session began (if it did)."""
    row: ConversationSession
    until: Optional[float]


def sessions_started(db: Session, start: datetime, end: datetime) -> List[SessionSpan]:
    """Sessions with shopper turns that started in [start, end)."""
    rows = list(db.scalars(select(ConversationSession).where(
        ConversationSession.started_at >= start.timestamp(),
        ConversationSession.started_at < end.timestamp(),
        ConversationSession.shopper_turns > 0)
        .order_by(ConversationSession.sender_id, ConversationSession.started_at)))
    if not rows:
        return []
    senders = sorted({r.sender_id for r in rows})
    starts: Dict[str, List[float]] = {}
    for chunk in range(0, len(senders), 500):
        for sender, at in db.execute(select(ConversationSession.sender_id,
                                            ConversationSession.started_at).where(
                ConversationSession.sender_id.in_(senders[chunk:chunk + 500]))):
            starts.setdefault(sender, []).append(at)
    return [SessionSpan(r, min((at for at in starts[r.sender_id] if at > r.started_at),
                               default=None)) for r in rows]


def known_senders(db: Session, senders: Set[str]) -> Set[str]:
    """Which of these conversations the read model has any session of."""
    known: Set[str] = set()
    ordered = sorted(senders)
    for chunk in range(0, len(ordered), 500):
        known.update(db.scalars(select(ConversationSession.sender_id).where(
            ConversationSession.sender_id.in_(ordered[chunk:chunk + 500])).distinct()))
    return known
