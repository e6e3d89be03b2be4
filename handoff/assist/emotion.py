"""The emotion of each shopper message, as the bot's analyzer judged it (Rasa still parses
a paused conversation's messages, so the event carries `parse_data.emotion`)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session

from handoff.db import Base, Message, TicketRow



class MessageEmotion(Base):
    __tablename__ = "handoff_message_emotions"
    message_id = Column(Integer, ForeignKey("handoff_messages.id"), primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    label = Column(String(16), nullable=False)
    negative = Column(Boolean, nullable=False)
    score = Column(Float, nullable=False)
    cues = Column(JSON, nullable=False, default=list)
    risk_flags = Column(JSON, nullable=False, default=list)


def of_event(event: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    data = (event.get("parse_data") or {}).get("emotion")
    if not isinstance(data, dict) or not isinstance(data.get("label"), str):
        return None
    return {"label": data["label"][:16], "negative": bool(data.get("negative")),
            "score": float(data.get("score") or 0.0),
            "cues": [str(c)[:64] for c in (data.get("cues") or [])][:10],
            "risk_flags": [str(c)[:64] for c in (data.get("risk_flags") or [])][:10]}


def record(db: Session, row: TicketRow, msg: Message, event: Dict[str, Any]
           ) -> Optional[Dict[str, Any]]:
    """Store the message's emotion and make it the ticket's current one (the queue and the
    ticket page show it); returns it for the live event."""
    found = of_event(event)
    if found is None:
        return None
    db.add(MessageEmotion(message_id=msg.id, ticket_id=row.id, **found))
    payload = dict(row.payload or {})
    summary = dict(payload.get("emotion") or {})
    summary["current"] = found["label"]
    summary["trajectory"] = list(summary.get("trajectory") or []) + [found["label"]]
    payload["emotion"] = summary
    row.payload = payload  # a new dict: the JSON column sees the change
    return found


def of_message(db: Session, ticket_id: int, message_id: Optional[int] = None
               ) -> Optional[Dict[str, Any]]:
    """The emotion of a message of the ticket (default: its latest message with one)."""
    query = select(MessageEmotion).where(MessageEmotion.ticket_id == ticket_id)
    if message_id is not None:
        query = query.where(MessageEmotion.message_id == message_id)
    found = db.execute(query.order_by(MessageEmotion.message_id.desc()).limit(1)
                       ).scalar_one_or_none()
    if found is None:
        return None
    return {"label": found.label, "negative": found.negative, "score": found.score,
            "cues": list(found.cues or []), "risk_flags": list(found.risk_flags or [])}
