"""Typing indicators of the web widget during a human handoff (docs/channels.md, "Typing").

* Agent -> shopper: the handoff service POSTs ``/webhooks/socketio/typing`` (HMAC-signed with
  HANDOFF_TOKEN, common.signing); the widget's room gets ``agent_typing`` with the agent's name.
* Shopper -> agent: the widget emits ``user_typing`` with its session id; a socket that really
  is in that session's room is forwarded, throttled, to the service's ``POST /api/bot/typing``
  (signed the same way), which shows it on the ticket's console page.

Both are hints: a failure is logged and dropped, never shown to anyone.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, Optional, Set, Text

import aiohttp
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from common import signing
from common.config import service_url, shared_token
from common.typing_relay import MAX_NAME, SHOPPER_TYPING_PATH, WEB_PREFIX, Throttle, small_json

logger = logging.getLogger(__name__)
AGENT_TYPING_EVENT = "agent_typing"
USER_TYPING_EVENT = "user_typing"


def _signed(request: Request) -> Optional[bool]:
    """None when unsigned, else whether the signature is valid for this exact request."""
    headers = {name: request.headers.get(name, "")
               for name in (signing.TIMESTAMP_HEADER, signing.SIGNATURE_HEADER)}
    if not headers[signing.SIGNATURE_HEADER]:
        return None
    return signing.verify(shared_token(), request.method, request.path, request.body or b"",
                           headers)


async def agent_typing_route(request: Request, sio: Any, namespace: Optional[Text],
                             is_web_sender: Callable[[str], bool]) -> HTTPResponse:
    """``POST /webhooks/socketio/typing`` {conversation_id, agent_name}: tell the widget."""
    signed = _signed(request)
    if signed is None:
        return response.json({"error": "unsigned"}, status=401)
    if not signed:
        return response.json({"error": "bad_signature"}, status=403)
    data = small_json(request.body or b"") or {}
    sender = data.get("conversation_id")
    if not isinstance(sender, str):
        return response.json({"error": "bad_body"}, status=400)
    if not is_web_sender(sender):  # WeChat, app, REST: no widget to show it in
        return response.json({"ok": True, "emitted": False})
    name = str(data.get("agent_name") or "")[:MAX_NAME]
    await sio.emit(AGENT_TYPING_EVENT, {"agent_name": name}, room=sender, namespace=namespace)
    return response.json({"ok": True, "emitted": True})


class ShopperTyping:
    """The ``user_typing`` socket.io handler: room check, throttle, signed call to the service."""

    def __init__(self, sio: Any, namespace: Optional[Text], throttle: Optional[Throttle] = None,
                 timeout: float = 3.0) -> None:
        self.sio, self.namespace = sio, namespace
        self.throttle = throttle or Throttle()
        self.timeout = timeout
        self.tasks: Set[asyncio.Task] = set()
        self._http: Optional[aiohttp.ClientSession] = None

    def in_room(self, sid: Text, room: str) -> bool:
        try:
            return room in (self.sio.rooms(sid, namespace=self.namespace) or [])
        except (KeyError, ValueError):  # a socket that is already gone
            return False

    async def handle(self, sid: Text, sender: Optional[str]) -> bool:
        """True when a typing event was sent on its way (`sender` is None if the id is bad)."""
        if sender is None or not sender.startswith(WEB_PREFIX):
            return False
        # Only the session's own socket: another page cannot claim to type for a shopper.
        if not self.in_room(sid, sender) or not self.throttle.allow(sender):
            return False
        task = asyncio.ensure_future(self.notify(sender))
        self.tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self.tasks.discard)
        return True

    async def notify(self, sender: str) -> bool:
        body = json.dumps({"conversation_id": sender}).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(shared_token(), "POST", SHOPPER_TYPING_PATH, body)}
        try:
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            async with self._http.post(service_url() + SHOPPER_TYPING_PATH, data=body,
                                       headers=headers,
                                       timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                # 404: no open ticket (the agent just resolved it); not worth a warning.
                if resp.status not in (200, 404):
                    logger.warning("shopper typing: handoff service answered %s", resp.status)
                return resp.status == 200
        except Exception as exc:  # the service is down: the shopper's chat goes on regardless
            logger.warning("shopper typing could not reach the handoff service: %s", exc)
            return False

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
