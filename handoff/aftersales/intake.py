"""A case the bot opened, as the bot side sends it (actions.handoff_cases): validated and stored
once per case number, whichever path (signed HTTP or the intake stream) brought it."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from sqlalchemy.orm import Session

from handoff.aftersales import cases
from handoff.aftersales.config import PRIORITIES, cases_config
from handoff.store import open_ticket_for


def _text(data: Dict[str, Any], name: str, limit: int) -> Optional[str]:
    value = data.get(name)
    return str(value)[:limit] if value not in (None, "") else None


def open_from_bot(db: Session, data: Dict[str, Any]) -> Tuple[Dict[str, Any], bool]:
    ref, kind = _text(data, "case_ref", 32), _text(data, "kind", 32)
    if not ref or not kind:
        raise ValueError("a case needs case_ref and kind")
    priority = data.get("priority") if data.get("priority") in PRIORITIES else "normal"
    conversation = _text(data, "conversation_id", 255)
    ticket = open_ticket_for(db, conversation) if conversation else None
    row, created = cases.open_case(
        db, cases_config(), kind=kind, opened_by="bot", case_ref=ref, priority=priority,
        customer_id=_text(data, "customer_id", 64), order_id=_text(data, "order_id", 32),
        conversation_id=conversation, channel=_text(data, "channel", 32),
        language=_text(data, "language", 8) or "zh",
        description=_text(data, "description", 4000) or "",
        photo_url=_text(data, "photo_url", 500), ticket_id=ticket.id if ticket else None)
    return cases.case_view(row), created
