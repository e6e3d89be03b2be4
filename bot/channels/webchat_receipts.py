"""Receipts from the web widget: it acknowledges each agent message it shows, so the agent's
console can say "delivered" (docs/channels.md, "Delivery receipts").

The widget emits ``message_received`` ``{"session_id", "id"}`` (``id`` is the message's
``frontline.id``, ``msg:<n>`` for an agent's reply). Only a socket in that session's room is
believed; the receipt goes, signed with HANDOFF_TOKEN, to the handoff service's
``POST /api/bot/received``, which checks the message belongs to that conversation. A failed
call is logged and dropped: the message simply stays "sent".
"""
from __future__ import annotations

import re
from typing import Any, Optional, Text

from bot.channels.webchat_calls import RoomCalls
from common.typing_relay import WEB_PREFIX

RECEIVED_EVENT = "message_received"
RECEIVED_PATH = "/api/bot/received"
_AGENT_MESSAGE_ID = re.compile(r"^msg:\d{1,18}$")


def receipt_id(data: Any) -> Optional[str]:
    """The agent message id a widget's receipt names, None for anything else."""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and _AGENT_MESSAGE_ID.match(value) else None


class Receipts(RoomCalls):
    """The ``message_received`` socket.io handler: room check, then a signed call."""

    def __init__(self, sio: Any, namespace: Optional[Text], timeout: float = 5.0) -> None:
        super().__init__(sio, namespace, timeout)

    def handle(self, sid: Text, sender: Optional[str], data: Any) -> bool:
        """True when a receipt was sent on its way (`sender` is None if the key is bad)."""
        relay_id = receipt_id(data)
        if sender is None or relay_id is None or not sender.startswith(WEB_PREFIX):
            return False
        if not self.in_room(sid, sender):  # another page cannot confirm for this shopper
            return False
        self.spawn(self.notify(sender, relay_id))
        return True

    async def notify(self, sender: str, relay_id: str) -> bool:
        # A failed call leaves the message "sent".
        return await self.post(RECEIVED_PATH, {"conversation_id": sender, "relay_id": relay_id},
                               f"receipt {relay_id}")
