"""Typing indicators of the web widget during a human handoff (docs/channels.md, "Typing").

* Agent -> shopper: the handoff service POSTs ``/webhooks/socketio/typing`` (HMAC-signed with
  HANDOFF_TOKEN, common.signing); the widget's room gets ``agent_typing`` with the agent's name.
* Shopper -> agent: the widget emits ``user_typing`` with its session id; a socket that really
  is in that session's room is forwarded, throttled, to the service's ``POST /api/bot/typing``
  (signed the same way), which shows it on the ticket's console page.

Both are hints: a failure is logged and dropped, never shown to anyone.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Text

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.webchat_calls import RoomCalls
from common import signing
from common.config import shared_token
from common.typing_relay import MAX_NAME, SHOPPER_TYPING_PATH, WEB_PREFIX, Throttle, small_json

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


class ShopperTyping(RoomCalls):
    """The ``user_typing`` socket.io handler: room check, throttle, signed call to the service."""

    def __init__(self, sio: Any, namespace: Optional[Text], throttle: Optional[Throttle] = None,
                 timeout: float = 3.0) -> None:
        super().__init__(sio, namespace, timeout)
        self.throttle = throttle or Throttle()

    async def handle(self, sid: Text, sender: Optional[str]) -> bool:
        """True when a typing event was sent on its way (`sender` is None if the id is bad)."""
        if sender is None or not sender.startswith(WEB_PREFIX):
            return False
        # Only the session's own socket: another page cannot claim to type for a shopper.
        if not self.in_room(sid, sender) or not self.throttle.allow(sender):
            return False
        self.spawn(self.notify(sender))
        return True

    async def notify(self, sender: str) -> bool:
        # 404: no open ticket (the agent just resolved it); not worth a warning.
        return await self.post(SHOPPER_TYPING_PATH, {"conversation_id": sender}, "shopper typing",
                               quiet=(200, 404))
