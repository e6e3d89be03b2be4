"""Mobile-app protocol: REST (``POST /webhooks/app/webhook``) plus an optional signed callback.

Request body (JSON):
    {"session_id": "<random id the app generated at install/login>",
     "message": "text or /intent payload",
     "app": {"version": "5.2.0", "platform": "ios", "device": "iPhone15,2"},
     "identity_token": "<HS256 JWT from the shop backend>"}   # or Authorization: Bearer <jwt>

Response: {"sender_id": ..., "verified": bool, "messages": [Rasa bot messages]}.
A valid token makes the conversation ``app:<user id>`` and sets metadata["verified_app_user_id"];
without one the conversation is anonymous (``app-anon:<session_id>``). A token that is present but
expired or forged gets 401 and nothing is processed. Messages Rasa sends outside a request (agent
replies during handoff) are POSTed to ``callback_url`` with an HMAC-SHA256 signature header.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional

import aiohttp
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.app_identity import AUDIENCE, IdentityError, verify_identity_token
from common import channel_proof, production
from common.ticket import IMAGE_PAYLOAD

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
_SESSION_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_APP_FIELDS = ("version", "platform", "device", "locale")
SIGNATURE_HEADER = "X-Frontline-Signature"
TIMESTAMP_HEADER = "X-Frontline-Timestamp"


def sign_callback(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` over ``timestamp.body`` (the timestamp stops replays of old callbacks)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_callback(secret: str, timestamp: str, body: bytes, signature: str, max_age: int = 300) -> bool:
    """What the app backend runs on each callback (see app_client.CallbackReceiver)."""
    try:
        fresh = abs(time.time() - int(timestamp)) <= max_age
    except (TypeError, ValueError):
        return False
    return fresh and hmac.compare_digest(sign_callback(secret, timestamp, body), signature or "")


@dataclass
class AppConfig:
    identity_secret: str
    audience: str = AUDIENCE
    callback_url: str = ""
    callback_secret: str = ""


class AppCallbackOutput(OutputChannel):
    """Pushes out-of-band messages (e.g. a human agent's reply) to the app backend's callback."""

    def __init__(self, url: str, secret: str, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @classmethod
    def name(cls) -> str:
        return "app"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        await self.post(recipient_id, [message])

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.post(recipient_id, [{"text": text}])

    async def post(self, recipient_id: str, messages: list[dict[str, Any]]) -> bool:
        body = json.dumps({"recipient_id": recipient_id, "messages": messages}, ensure_ascii=False).encode()
        ts = str(int(time.time()))
        headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: ts,
                   SIGNATURE_HEADER: sign_callback(self.secret, ts, body)}
        try:
            async with aiohttp.ClientSession(timeout=self._timeout) as http:
                async with http.post(self.url, data=body, headers=headers) as resp:
                    if resp.status >= 300:
                        logger.error("App callback answered HTTP %s", resp.status)
                        return False
                    return True
        except aiohttp.ClientError as exc:
            logger.error("App callback unreachable: %s", type(exc).__name__)
            return False


class AppInput(InputChannel):
    def __init__(self, config: AppConfig) -> None:
        self.config = config

    @classmethod
    def name(cls) -> str:
        return "app"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "AppInput":
        if not credentials or not credentials.get("identity_secret"):
            cls.raise_missing_credentials_exception()
        production.require("the app channel", ("APP_IDENTITY_SECRET", channel_proof.SECRET_ENV))
        return cls(AppConfig(
            identity_secret=str(credentials["identity_secret"]),
            audience=str(credentials.get("audience") or AUDIENCE),
            callback_url=str(credentials.get("callback_url") or ""),
            callback_secret=str(credentials.get("callback_secret") or ""),
        ))

    def get_output_channel(self) -> Optional[OutputChannel]:
        if not self.config.callback_url or not self.config.callback_secret:
            return None
        return AppCallbackOutput(self.config.callback_url, self.config.callback_secret)

    @staticmethod
    def _app_metadata(raw: Any) -> dict[str, str]:
        """Only known descriptive fields, as short strings: the client cannot smuggle in keys
        such as ``verified_app_user_id``."""
        if not isinstance(raw, dict):
            return {}
        return {f"app_{k}": str(raw[k])[:64] for k in _APP_FIELDS if raw.get(k) not in (None, "")}

    @staticmethod
    def _image_url(raw: Any) -> Optional[str]:
        """A picture the app uploaded to the shop's own storage: an https URL, or nothing."""
        if raw in (None, ""):
            return None
        if not isinstance(raw, str) or len(raw) > 1024 or not raw.startswith("https://") \
                or any(ch.isspace() for ch in raw):
            raise ValueError("image_url must be an https URL of at most 1024 characters")
        return raw

    def build_user_message(self, body: dict[str, Any], bearer: str,
                           output: OutputChannel) -> tuple[UserMessage, bool]:
        """Raises IdentityError for a present-but-bad token and ValueError for a bad body."""
        image_url = self._image_url(body.get("image_url"))
        text = body.get("message") or (IMAGE_PAYLOAD if image_url else None)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_MESSAGE_CHARS:
            raise ValueError("message must be a non-empty string of at most 4000 characters "
                             "(or send image_url alone)")
        session_id = str(body.get("session_id") or "")
        if not _SESSION_RE.match(session_id):
            raise ValueError("session_id must be 8-64 characters of [A-Za-z0-9_-]")
        token = bearer or str(body.get("identity_token") or "")
        metadata: dict[str, Any] = {"channel": "app", "session_id": session_id,
                                    **self._app_metadata(body.get("app"))}
        if image_url:
            metadata["image_url"] = image_url
        if token:
            identity = verify_identity_token(token, self.config.identity_secret, self.config.audience)
            metadata["verified_app_user_id"] = identity.user_id
            sender_id = f"app:{identity.user_id}"
            channel_proof.seal(metadata, "app", sender_id, identity.user_id)
        else:
            sender_id = f"app-anon:{session_id}"
        message = UserMessage(text.strip(), output, sender_id, input_channel=self.name(), metadata=metadata)
        return message, bool(token)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("app_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body or b"{}")
            except ValueError:
                return response.json({"error": "invalid_json"}, status=400)
            if not isinstance(body, dict):
                return response.json({"error": "invalid_json"}, status=400)
            auth = request.headers.get("Authorization") or ""
            bearer = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
            collector = CollectingOutputChannel()
            try:
                message, verified = self.build_user_message(body, bearer, collector)
            except IdentityError as exc:
                logger.warning("App identity token rejected (%s) from %s", exc.reason, request.ip)
                return response.json({"error": "invalid_identity_token", "reason": exc.reason}, status=401)
            except ValueError as exc:
                return response.json({"error": "bad_request", "detail": str(exc)}, status=400)
            await on_new_message(message)
            return response.json({"sender_id": message.sender_id, "verified": verified,
                                  "messages": collector.messages})

        return bp
