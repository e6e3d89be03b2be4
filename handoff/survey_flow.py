"""When to ask the post-chat surveys and what to send: relay items for the service."""
from __future__ import annotations

import uuid
from typing import Any, Dict, List

from sqlalchemy.orm import Session

from handoff import surveys
from handoff.db import TicketRow


def _item(conversation_id: str, text: str) -> Dict[str, Any]:
    return {"kind": "notice", "conversation_id": conversation_id, "text": text,
            "relay_id": f"survey:{uuid.uuid4().hex[:12]}"}


def after_csat(db: Session, ticket: TicketRow) -> List[Dict[str, Any]]:
    """The CSAT came in: ask the first survey question, if any is configured."""
    config = surveys.load()
    first = config.after(None)
    if first is None:
        return []
    surveys.ask(db, ticket.conversation_id, ticket.id, ticket.channel, ticket.language, first)
    return [_item(ticket.conversation_id, first.ask(ticket.language))]


def on_answer(db: Session, conversation_id: str, text: str) -> List[Dict[str, Any]]:
    """A shopper's message that answers the open survey question: record it, ask the next."""
    config = surveys.load()
    answered = surveys.answer(db, conversation_id, text, config)
    if answered is None:
        return []
    row, following = answered
    if following is None:
        thanks = config.thanks.get(row.language) or config.thanks.get("zh")
        return [_item(conversation_id, thanks)] if thanks else []
    surveys.ask(db, conversation_id, row.ticket_id, row.channel, row.language, following)
    return [_item(conversation_id, following.ask(row.language))]
