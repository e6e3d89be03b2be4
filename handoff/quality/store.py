"""Inspection results per ticket: computed when a resolved ticket is first looked at (the
review queue, the ticket's page), sampled for review, judged by a supervisor."""
from __future__ import annotations

import hashlib
from typing import Any, Dict, List

from sqlalchemy import (JSON, Boolean, Column, DateTime, ForeignKey, Integer, String, Text,
                        and_, or_, select)
from sqlalchemy.orm import Session

from common.ticket import utcnow
from handoff import store
from handoff.assist.emotion import MessageEmotion
from handoff.db import Base, TicketRow
from handoff.quality.rules import Conversation, RuleSet, Said, inspect
from handoff.store import aware, iso

VERDICTS = ("pass", "coach", "fail")
BATCH = 200


class QualityRow(Base):
    __tablename__ = "handoff_quality"
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), primary_key=True)
    score = Column(Integer, nullable=False)
    hits = Column(JSON, nullable=False, default=list)
    checked_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    sampled = Column(Boolean, nullable=False, default=False)
    verdict = Column(String(16), nullable=True)
    verdict_note = Column(Text, nullable=True)
    reviewer = Column(String(64), nullable=True)
    reviewed_at = Column(DateTime(timezone=True), nullable=True)


def conversation(db: Session, row: TicketRow) -> Conversation:
    """The handoff as the rules read it: the bot's transcript, then the handoff's messages."""
    payload = row.payload or {}
    said = [Said("bot", str(e.get("text") or "")) for e in payload.get("transcript") or []
            if e.get("role") == "bot"]
    messages, events = store.history(db, row.id)
    feelings = {e.message_id: e.label for e in db.execute(
        select(MessageEmotion).where(MessageEmotion.ticket_id == row.id)).scalars()}
    said += [Said(m.role, m.text, aware(m.created_at), feelings.get(m.id)) for m in messages
             if m.role in ("shopper", "agent", "bot")]
    case = any(e.kind in ("note", "transferred") for e in events) or (
        row.resolution_code not in (None, "", "resolved"))
    return Conversation(said, aware(row.created_at), aware(row.first_response_at),
                        (payload.get("emotion") or {}).get("peak"), case)


def sampled(ticket_id: int, score: int, rules: RuleSet) -> bool:
    """Low scores always; the rest by a stable hash of the ticket id (reproducible)."""
    if score < rules.review_below:
        return True
    bucket = int(hashlib.sha256(str(ticket_id).encode()).hexdigest(), 16) % 100
    return bucket < rules.sample_percent


def inspect_ticket(db: Session, row: TicketRow, rules: RuleSet) -> QualityRow:
    score, hits = inspect(rules, conversation(db, row))
    found = db.get(QualityRow, row.id)
    if found is None:
        found = QualityRow(ticket_id=row.id)
        db.add(found)
    # The version inspected, not the clock: a slower inspection of an older version that
    # commits last is redone at the next look.
    found.score, found.hits = score, hits
    found.checked_at = aware(row.updated_at) or utcnow()
    if found.verdict is None:  # an open ticket's score changes until it is resolved
        found.sampled = sampled(row.id, score, rules)
    db.flush()
    return found


def result(db: Session, row: TicketRow, rules: RuleSet) -> QualityRow:
    """The ticket's inspection, redone when the ticket changed since (a message, a note,
    the resolution) and never after a reviewer's verdict."""
    found = db.get(QualityRow, row.id)
    if found is None or (found.verdict is None and row.updated_at is not None
                         and aware(found.checked_at) < aware(row.updated_at)):
        found = inspect_ticket(db, row, rules)
    return found


def inspect_resolved(db: Session, rules: RuleSet) -> int:
    """Inspect resolved tickets with no result, or one from before they were resolved."""
    rows = list(db.execute(select(TicketRow).outerjoin(
        QualityRow, QualityRow.ticket_id == TicketRow.id).where(
        TicketRow.status == "resolved",
        or_(QualityRow.ticket_id.is_(None), and_(QualityRow.verdict.is_(None),
                                                 QualityRow.checked_at < TicketRow.resolved_at)))
        .order_by(TicketRow.id).limit(BATCH)).scalars())
    for row in rows:
        inspect_ticket(db, row, rules)
    return len(rows)


def view(found: QualityRow, rules: RuleSet, language: str = "zh") -> Dict[str, Any]:
    labels = {r.id: r.label.get(language) or r.id for r in rules.rules}
    return {"ticket_id": found.ticket_id, "score": found.score, "sampled": found.sampled,
            "hits": [{**h, "label": labels.get(h["rule"], h["rule"])} for h in found.hits or []],
            "checked_at": iso(found.checked_at), "verdict": found.verdict,
            "verdict_note": found.verdict_note, "reviewer": found.reviewer,
            "reviewed_at": iso(found.reviewed_at)}


def review_queue(db: Session, reviewed: bool, limit: int = 100) -> List[QualityRow]:
    query = select(QualityRow).where(QualityRow.sampled.is_(True))
    query = query.where(QualityRow.verdict.isnot(None) if reviewed else
                        QualityRow.verdict.is_(None))
    return list(db.execute(query.order_by(QualityRow.score, QualityRow.ticket_id)
                           .limit(limit)).scalars())


def judge(db: Session, ticket_id: int, verdict: str, note: str, reviewer: str,
          rules: RuleSet) -> QualityRow:
    if verdict not in VERDICTS:
        raise ValueError(f"'verdict' must be one of {list(VERDICTS)}")
    row = store.get_ticket(db, ticket_id)
    found = result(db, row, rules)
    found.verdict, found.verdict_note = verdict, note[:2000] or None
    found.reviewer, found.reviewed_at = reviewer, utcnow()
    store.record(db, row, "quality_verdict", reviewer, verdict=verdict, score=found.score)
    return found
