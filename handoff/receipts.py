"""Receipts: the shopper's widget confirms an agent's message arrived (web channel only).

The relay's own outcome for a web message is `sent` (Rasa pushed it to the socket.io room); the
widget then acknowledges each agent message it shows, the channel forwards that signed to
`POST /api/bot/received`, and the message becomes `delivered`. A receipt only ever moves a
message forward (queued/sent -> delivered), never over a failure, and only for a message of
the conversation the channel vouched for.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional, Tuple

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from handoff import store
from handoff.db import Message, TicketRow
from common.ticket import utcnow

RECEIVED_PATH = "/api/bot/received"
_RELAY_ID = re.compile(r"^msg:(\d{1,18})$")
FORWARD_FROM = ("queued", "sent")  # states a later outcome may replace (and no state yet)


def message_id(relay_id: Any) -> Optional[int]:
    """The stored message a relay id (``msg:<id>``, handoff.store.relay_item) names."""
    match = _RELAY_ID.match(relay_id) if isinstance(relay_id, str) else None
    return int(match.group(1)) if match else None


def advance(db: Session, message_id: int, state: str, reason: Optional[str] = None,
            conversation_id: Optional[str] = None) -> bool:
    """Move a message's delivery forward to `state` unless it is already past sending; True if
    it moved. One conditional UPDATE, not read-then-write: the relay's own outcome ("sent") and
    the widget's receipt ("delivered") for one message arrive within milliseconds of each
    other, and a "sent" decided on a read from before the receipt must not overwrite it."""
    stmt = (update(Message)
            .where(Message.id == message_id, Message.role == "agent",
                   or_(Message.delivery.is_(None), Message.delivery.in_(FORWARD_FROM)))
            .values(delivery=state, delivery_reason=reason, delivered_at=utcnow())
            .execution_options(synchronize_session=False))
    if conversation_id is not None:
        stmt = stmt.where(Message.conversation_id == conversation_id)
    moved = db.execute(stmt).rowcount == 1
    # moved or not, what the session holds of the message may predate this statement (or a
    # receipt committed meanwhile): the caller's view must be read anew
    db.expire_all()
    return moved


def confirm(db: Session, conversation_id: str, message_id: int
            ) -> Optional[Tuple[Dict[str, Any], str, bool]]:
    """(message view, ticket queue, whether it changed); None if no such agent message."""
    changed = advance(db, message_id, "delivered", conversation_id=conversation_id)
    msg = db.get(Message, message_id)
    if msg is None or msg.role != "agent" or msg.conversation_id != conversation_id:
        return None
    row = db.get(TicketRow, msg.ticket_id)
    return store.message_view(msg), (row.queue if row else ""), changed
