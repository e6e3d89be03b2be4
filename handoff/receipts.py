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

from sqlalchemy.orm import Session

from handoff import store
from handoff.db import Message, TicketRow
from common.ticket import utcnow

RECEIVED_PATH = "/api/bot/received"
_RELAY_ID = re.compile(r"^msg:(\d{1,18})$")


def message_id(relay_id: Any) -> Optional[int]:
    """The stored message a relay id (``msg:<id>``, handoff.store.relay_item) names."""
    match = _RELAY_ID.match(relay_id) if isinstance(relay_id, str) else None
    return int(match.group(1)) if match else None


def confirm(db: Session, conversation_id: str, message_id: int
            ) -> Optional[Tuple[Dict[str, Any], str, bool]]:
    """(message view, ticket queue, whether it changed); None if no such agent message."""
    msg = db.get(Message, message_id)
    if msg is None or msg.role != "agent" or msg.conversation_id != conversation_id:
        return None
    changed = msg.delivery in (None, "queued", "sent")
    if changed:
        msg.delivery, msg.delivery_reason, msg.delivered_at = "delivered", None, utcnow()
    row = db.get(TicketRow, msg.ticket_id)
    return store.message_view(msg), (row.queue if row else ""), changed
