"""The web widget's channel: Rasa's socket.io channel, plus what the widget needs to know.

Registered in credentials.yml as ``bot.channels.webchat.WebChatInput`` with the same settings
as Rasa's ``socketio`` block; its name stays ``socketio`` so ``output_channel=latest`` (the
handoff relay) finds it. Differences from the stock channel:

* Every bot message the widget receives carries ``"frontline": {"role", "agent_name", "event"}``
  derived from the BotUttered metadata the handoff relay writes (``metadata.handoff``). The stock
  output drops that metadata, so the widget could not tell an agent's message from the bot's.
* Custom payloads are emitted as ``{"custom": {...}}``. The stock output passes the payload's
  keys to ``sio.emit(**payload)``, which fails for anything but ``{"data": ...}``.
* Sessions are server-issued (bot.channels.webchat_session): ``session_request`` without a valid
  session key gets a new one; the conversation id is ``web:<public id>``, which agents see and
  which joins nothing. Only the key joins the room (python-socketio 5.x's ``enter_room`` is a
  coroutine the stock channel never awaits), speaks, types or uploads in it. Joins are
  rate-limited per client address, and socket.io connections are accepted only from the allowed
  page origins (bot.channels.webchat_limits).
* Metadata from the browser is a claim: ``channel`` is forced to ``web`` and identifiers that
  only other channels may vouch for (``openid``, ``verified_app_user_id``) are removed, so a
  page cannot pose as a WeChat or app user. Picture links are removed too: ``image_url`` is
  only ever made here from a picture uploaded to this channel (bot.channels.webchat_upload).
* Receipts: the widget's ``message_received`` for an agent's message is forwarded, signed, to
  the handoff service, which then shows the message as delivered (bot.channels.webchat_receipts).
* Typing indicators during a handoff, both ways (bot.channels.webchat_typing): a signed
  ``POST /webhooks/socketio/typing`` from the handoff service emits ``agent_typing`` to the
  widget; the widget's ``user_typing`` is forwarded to the service.

* With several Rasa workers (SANIC_WORKERS > 1) the socket.io server shares its emits through
  Redis (bot.channels.webchat_workers): a widget's socket lives in one worker, while the agent's
  message or typing for it may reach any worker.

The format is documented in docs/channels.md ("Web widget").
"""
from __future__ import annotations

import inspect
import json
import logging
import re
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot.channels.webchat_limits import (JOIN, WebLimits, allowed_origins, client_address, origin_allowed,
                                         public_base_url)
from bot.channels.webchat_receipts import RECEIVED_EVENT, Receipts
from bot.channels.webchat_resend import HandledMessages
from bot.channels.webchat_session import SessionKeys
from bot.channels.webchat_typing import USER_TYPING_EVENT, ShopperTyping, agent_typing_route
from bot.channels.webchat_upload import prune as prune_uploads
from bot.channels.webchat_upload import public_url, serve_route, upload_route
from bot.channels.webchat_upload import valid_name as valid_upload
from bot.channels.webchat_workers import shared_manager, start_listening
from common import channel_proof, production
from common.typing_relay import WEB_PREFIX

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
# Only identifiers WeChat or the app's token check vouch for; never accepted from a browser.
FOREIGN_IDENTITY_KEYS = ("openid", "verified_app_user_id", "app_user_id")
# Picture links are made by this channel from an uploaded picture's name, never taken from a page.
PICTURE_KEYS = ("image_url", "attachment_url", "pic_url", "attachments", "media_id")
# Set by this channel from the socket's peer address (the phone-digit check counts per address).
CLIENT_ADDRESS_KEY = "client_address"
_VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_TEXT_KEYS = ("page",)
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SENDER_PREFIX = WEB_PREFIX  # the service (common.typing_relay) tells web conversations by it


def client_message_id(data: Dict[str, Any]) -> Optional[str]:
    """The widget's own id of a message, so a resend after a lost acknowledgement is the same
    message (the handoff service stores a message once per id); None: Rasa makes one up."""
    value = data.get("message_id")
    return f"web-{value}" if isinstance(value, str) and _VISITOR_RE.match(value) else None


def valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and bool(_SESSION_RE.match(value))


def sender_for(session_id: str) -> str:
    """The Rasa conversation id (and socket.io room) of a widget session."""
    return f"{SENDER_PREFIX}{session_id}"


def is_web_sender(sender_id: str) -> bool:
    """A conversation id this channel made: ``web:`` plus a valid session id."""
    return sender_id.startswith(SENDER_PREFIX) and valid_session_id(sender_id[len(SENDER_PREFIX):])


def annotation(handoff: Any) -> Optional[Dict[str, Any]]:
    """BotUttered ``metadata.handoff`` (written by handoff.rasa_client) -> the widget's note.

    ``event`` is ``agent_message`` for an agent's reply, ``agent_left`` when the agent hands the
    conversation back, ``csat_request`` for the rating question that follows, else ``notice``.
    ``id`` is the relay id: the relay sends at least once (a crash between the push and its
    record sends again), the widget shows each id once and acknowledges it.
    """
    if not isinstance(handoff, dict):
        return None
    role = "agent" if handoff.get("role") == "agent" else "bot"
    relay_id = str(handoff.get("relay_id") or "")
    event = handoff.get("event")
    if not event:
        if role == "agent":
            event = "agent_message"
        elif relay_id.startswith("handback:") and relay_id.endswith(":csat"):
            event = "csat_request"
        elif relay_id.startswith("handback:"):
            event = "agent_left"
        else:
            event = "notice"
    note: Dict[str, Any] = {"role": role, "event": str(event)}
    if relay_id:  # the message's own id: a copy the relay had to send again is shown once
        note["id"] = relay_id[:128]
    if handoff.get("agent"):
        note["agent_name"] = str(handoff["agent"])[:64]
    return note


def clean_metadata(raw: Any) -> Dict[str, Any]:
    """The browser's metadata with channel forced to web and foreign identities dropped."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = {}
    metadata = channel_proof.strip(dict(raw) if isinstance(raw, dict) else {})
    for key in FOREIGN_IDENTITY_KEYS + PICTURE_KEYS + (CLIENT_ADDRESS_KEY,):
        metadata.pop(key, None)
    visitor = metadata.get("visitor_id")
    if visitor is not None and not (isinstance(visitor, str) and _VISITOR_RE.match(visitor)):
        # Odd values are dropped; only long random ids are ever linked (actions.identity.link).
        metadata.pop("visitor_id")
    for key in _TEXT_KEYS:
        if key in metadata:
            metadata[key] = str(metadata[key])[:300]
    metadata["channel"] = "web"
    return metadata


class WebChatOutput(SocketIOOutput):
    """SocketIOOutput that keeps the handoff note and sends custom payloads intact."""

    def __init__(self, sio: Any, bot_message_evt: Text) -> None:
        super().__init__(sio, bot_message_evt)
        self._note: Optional[Dict[str, Any]] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        message = dict(message)
        # Messages of one turn are sent one after another, so a per-call note is safe.
        self._note = annotation(message.pop("handoff", None))
        try:
            await super().send_response(recipient_id, message)
        finally:
            self._note = None

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        if self._note and isinstance(response, dict):
            response = {**response, "frontline": self._note}
        await self.sio.emit(self.bot_message_evt, response, room=socket_id)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any],
                               **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WebChatInput(SocketIOInput):
    """Rasa's socket.io input with the widget's output, session and metadata rules.

    The conversation id is ``web:<public id>`` of a server-issued session key: a browser can
    neither pick its own (say a WeChat openid or ``app:<user>``) nor join one it has only seen.
    """

    shopper_typing: Optional[ShopperTyping] = None  # set by blueprint()
    receipts: Optional[Receipts] = None
    keys: Optional[SessionKeys] = None

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WebChatInput":
        production.require("the web widget channel", (channel_proof.SECRET_ENV, "WEB_SESSION_SECRET"))
        return super().from_credentials(credentials)  # type: ignore[return-value]

    def get_output_channel(self) -> Optional[WebChatOutput]:
        if self.sio is None:
            return None
        return WebChatOutput(self.sio, self.bot_message_evt)

    def sender_of(self, session_key: Any) -> Optional[str]:
        """The conversation id a session key opens, None for anything not issued here."""
        public = self.keys.public_id(session_key) if self.keys else None
        return sender_for(public) if public else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        origins = allowed_origins()
        # CORS headers stay with Sanic (`rasa run --cors`): engine.io adding its own would send
        # two Access-Control-Allow-Origin headers, which browsers reject. The Origin allow-list
        # is enforced on connect below.
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=[], client_manager=shared_manager())
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        socketio_webhook.listener("after_server_start")(start_listening(sio))
        self.sio = sio
        self.keys = keys = SessionKeys.from_env()
        limits = WebLimits.from_env()
        base_url = public_base_url()
        namespace = self.namespace

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        prune_uploads()

        @socketio_webhook.route("/upload", methods=["POST"], stream=True)
        async def upload(request: Request) -> HTTPResponse:
            return await upload_route(request, keys.public_id, limits, origins)

        @socketio_webhook.route("/uploads/<name>", methods=["GET"])
        async def uploaded(request: Request, name: str) -> HTTPResponse:
            return await serve_route(request, name)

        @socketio_webhook.route("/typing", methods=["POST"])
        async def agent_typing(request: Request) -> HTTPResponse:
            return await agent_typing_route(request, sio, namespace, is_web_sender)

        shopper_typing = ShopperTyping(sio, namespace)
        self.shopper_typing = shopper_typing

        @sio.on(USER_TYPING_EVENT, namespace=namespace)
        async def user_typing(sid: Text, data: Any) -> None:
            session_key = data.get("session_id") if isinstance(data, dict) else None
            await shopper_typing.handle(sid, self.sender_of(session_key))

        handled = HandledMessages.from_env()
        receipts = Receipts(sio, namespace)
        self.receipts = receipts

        @sio.on(RECEIVED_EVENT, namespace=namespace)
        async def message_received(sid: Text, data: Any) -> None:
            session_key = data.get("session_id") if isinstance(data, dict) else None
            receipts.handle(sid, self.sender_of(session_key), data)

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not origin_allowed(environ.get("HTTP_ORIGIN"), origins):
                logger.warning("socket.io connection from origin %r refused", environ.get("HTTP_ORIGIN"))
                return False
            if not self.jwt_key:
                return True
            token = (auth or {}).get("token")
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any) -> None:
            address = client_address(sio.get_environ(sid, namespace=namespace))
            verdict = await limits.hit(JOIN, address)
            if not verdict.allowed:
                logger.warning("socket.io session requests from %s over the limit", address)
                await sio.emit("session_refused", {"retry_after": verdict.retry_after}, room=sid,
                               namespace=namespace)
                return
            session_key = data.get("session_id") if isinstance(data, dict) else None
            sender = self.sender_of(session_key)
            if sender is None:  # none, forged, or a public id seen somewhere: a new session
                session_key = keys.issue()
                sender = self.sender_of(session_key)
            if self.session_persistence:
                # python-socketio 5.x made enter_room a coroutine; Rasa 3.6 does not await it,
                # so with the stock channel replies never reach the room.
                joined = sio.enter_room(sid, sender, namespace=namespace)
                if inspect.isawaitable(joined):
                    await joined
            await sio.emit("session_confirm", {"session_id": session_key, "conversation_id": sender},
                           room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                sender = self.sender_of(data.get("session_id"))
                if sender is None:
                    logger.warning("socket.io message without a valid session key ignored")
                    return
                sender_id = sender
            else:
                sender_id = sid
            text = str(data.get("message") or "")[:MAX_MESSAGE_CHARS]
            metadata = clean_metadata(data.get(self.metadata_key))
            environ = sio.get_environ(sid, namespace=namespace)
            metadata[CLIENT_ADDRESS_KEY] = client_address(environ)
            picture = metadata.pop("image", None)
            if valid_upload(picture):
                metadata["image_url"] = public_url(picture, base_url)
            channel_proof.seal(metadata, "web", sender_id, metadata.get("visitor_id"))
            message_id = client_message_id(data)
            message = UserMessage(text, WebChatOutput(sio, self.bot_message_evt), sender_id,
                                  input_channel=self.name(), metadata=metadata,
                                  message_id=message_id)
            # Returning acknowledges it to the widget, which otherwise sends it again.
            await handled.once(sender_id, message_id, lambda: on_new_message(message))

        return socketio_webhook
