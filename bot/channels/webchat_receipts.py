"""Receipts from the web widget: it acknowledges each agent message it shows, so the agent's
console can say "delivered" (docs/channels.md, "Delivery receipts").

The widget emits ``message_received`` ``{"session_id", "id"}`` (``id`` is the message's
``frontline.id``, ``msg:<n>`` for an agent's reply). Only a socket in that session's room is
believed; the receipt goes, signed with HANDOFF_TOKEN, to the handoff service's
``POST /api/bot/received``, which checks the message belongs to that conversation. A failed
call is logged and dropped: the message simply stays "sent".
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any, Optional, Set, Text

import aiohttp

from common import signing
from common.config import service_url, shared_token
from common.typing_relay import WEB_PREFIX

logger = logging.getLogger(__name__)
RECEIVED_EVENT = "message_received"
RECEIVED_PATH = "/api/bot/received"
_AGENT_MESSAGE_ID = re.compile(r"^msg:\d{1,18}$")


def receipt_id(data: Any) -> Optional[str]:
    """The agent message id a widget's receipt names, None for anything else."""
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and _AGENT_MESSAGE_ID.match(value) else None


class Receipts:
    """The ``message_received`` socket.io handler: room check, then a signed call."""

    def __init__(self, sio: Any, namespace: Optional[Text], timeout: float = 5.0) -> None:
        self.sio, self.namespace, self.timeout = sio, namespace, timeout
        self.tasks: Set[asyncio.Task] = set()
        self._http: Optional[aiohttp.ClientSession] = None

    def in_room(self, sid: Text, room: str) -> bool:
        try:
            return room in (self.sio.rooms(sid, namespace=self.namespace) or [])
        except (KeyError, ValueError):  # a socket that is already gone
            return False

    def handle(self, sid: Text, sender: Optional[str], data: Any) -> bool:
        """True when a receipt was sent on its way (`sender` is None if the key is bad)."""
        relay_id = receipt_id(data)
        if sender is None or relay_id is None or not sender.startswith(WEB_PREFIX):
            return False
        if not self.in_room(sid, sender):  # another page cannot confirm for this shopper
            return False
        task = asyncio.ensure_future(self.notify(sender, relay_id))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    async def notify(self, sender: str, relay_id: str) -> bool:
        body = json.dumps({"conversation_id": sender, "relay_id": relay_id}).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(shared_token(), "POST", RECEIVED_PATH, body)}
        try:
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            async with self._http.post(service_url() + RECEIVED_PATH, data=body, headers=headers,
                                       timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                if resp.status != 200:
                    logger.warning("receipt %s: handoff service answered %s", relay_id,
                                   resp.status)
                return resp.status == 200
        except Exception as exc:  # the service is down: the message stays "sent"
            logger.warning("receipt %s could not reach the handoff service: %s", relay_id, exc)
            return False

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
