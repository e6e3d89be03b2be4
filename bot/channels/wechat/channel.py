"""WeChat Official Account channel for Rasa 3.6 (``/webhooks/wechat/webhook``).

Flow of one POST: verify ``signature`` and the timestamp (403 if forged or stale, nothing
processed) -> with an AES key configured, refuse anything but safe mode (403: no downgrade to
plaintext) -> in safe mode verify ``msg_signature`` and decrypt -> parse XML (400 if malformed) ->
in plaintext mode use up the nonce (403 when a seen timestamp+nonce comes with another body; in
safe mode msg_signature already binds them to the body) -> claim the MsgId in Redis
with a short lease (WeChat retries up to three times; a claimed message is answered ``success``)
-> run the Rasa turn. If the bot answers within ``reply_timeout`` (below WeChat's 5 s limit) the
answer is the passive reply; otherwise WeChat gets ``success`` at once and the answer follows
through the customer-service API. A turn that fails releases its claim and answers 500, so
WeChat's retry runs it again; a crashed worker's lease runs out before WeChat's last retry.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from dataclasses import dataclass, fields
from typing import Any, Awaitable, Callable, Optional

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.wechat.api import DEFAULT_API_BASE, CustomerServiceClient, SendResult
from bot.channels.wechat.crypto import WeChatCipher, WeChatCryptoError, check_signature, make_nonce
from bot.channels.wechat.render import map_digit, render_turn
from bot.channels.wechat.store import InMemoryStateStore, RedisStateStore, WeChatStateStore
from bot.channels.wechat.texts import both
from bot.channels.wechat.xml_codec import (
    MalformedXML, WeChatMessage, parse_message, parse_xml, render_encrypted_envelope, render_text_reply,
)
# A picture becomes the payload IMAGE_PAYLOAD, its URL travels in metadata (`image_url`): the
# damaged-item form takes it as the photo, during a handoff the agent sees it, elsewhere the bot
# says what it can do with it.
from common import channel_proof, production
from common.ticket import IMAGE_PAYLOAD

logger = logging.getLogger(__name__)

VOICE_REPLY = both("reply.voice")
UNSUPPORTED_REPLY = both("reply.unsupported")
ERROR_REPLY = both("reply.error")
_WINDOW_EVENTS = {"subscribe", "click", "scan", "scancode_push", "scancode_waitmsg"}


@dataclass
class WeChatConfig:
    """Channel settings (credentials.yml ``bot.channels.wechat.channel.WeChatInput`` block)."""

    token: str
    app_id: str = ""
    app_secret: str = ""
    aes_key: str = ""  # empty: plaintext mode only
    api_base: str = DEFAULT_API_BASE
    redis_url: str = ""  # empty: in-process state (single worker, tests only)
    key_prefix: str = "frontline:wechat:"
    relay_secret: str = ""  # enables POST /webhooks/wechat/send for the handoff relay
    reply_timeout: float = 4.0  # WeChat waits 5 s including network time
    max_clock_skew: int = 600  # reject signed requests older than this (replay protection)
    # A finished MsgId is remembered this long. WeChat's retries need ~15 s; the rest is replay
    # protection: a captured request stays fresh for max_clock_skew, and in safe mode its MsgId
    # record is what refuses it, so this must outlast the skew (kept per shopper, bounded:
    # bot.channels.wechat.store).
    dedup_ttl: int = 900
    claim_lease: int = 9  # a turn in progress holds its MsgId this long (WeChat retries at ~5 s)
    buttons_ttl: int = 86400
    message_window: int = 48 * 3600  # CS messages allowed this long after a shopper message
    message_quota: int = 5  # ... at most this many (WeChat's rule since June 2023)
    event_window: int = 60  # after subscribe / menu click / QR scan
    event_quota: int = 3

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WeChatConfig":
        known = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name not in known or value is None or value == "":
                continue
            default = getattr(cls, name, "")
            values[name] = type(default)(value) if isinstance(default, (int, float)) else str(value)
        return cls(**values)


class TurnFailed(RuntimeError):
    """The Rasa turn of a message raised; its MsgId claim is released for WeChat's retry."""


class WeChatCustomerServiceOutput(OutputChannel):
    """Sends bot or agent messages outside a WeChat request, through the customer-service API.

    Rasa uses it for ``output_channel=latest`` on ``/conversations/{openid}/trigger_intent`` and
    ``.../execute``; the handoff relay can use it (or ``POST /webhooks/wechat/send``) for agent replies.
    """

    def __init__(self, client: CustomerServiceClient, store: WeChatStateStore, buttons_ttl: int = 86400):
        self.client = client
        self.store = store
        self.buttons_ttl = buttons_ttl
        self.results: list[SendResult] = []

    @classmethod
    def name(cls) -> str:
        return "wechat"

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.results.extend(await self.send_messages(recipient_id, [message]))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.results.extend(await self.send_messages(recipient_id, [{"text": text}]))

    async def send_messages(self, openid: str, messages: list[dict[str, Any]]) -> list[SendResult]:
        rendered = render_turn(messages)
        if rendered.buttons:
            await self.store.save_buttons(openid, rendered.buttons, self.buttons_ttl)
        return await self.client.send_chunks(openid, rendered.chunks)


class WeChatInput(InputChannel):
    """Rasa input channel for a WeChat Official Account (plaintext and safe mode)."""

    def __init__(self, config: WeChatConfig, store: Optional[WeChatStateStore] = None,
                 client: Optional[CustomerServiceClient] = None) -> None:
        self.config = config
        if store is None:
            if config.redis_url:
                store = RedisStateStore(config.redis_url, f"{config.key_prefix}{config.app_id or 'default'}:")
            else:
                logger.warning("WeChat channel without redis_url: de-duplication is per process only")
                store = InMemoryStateStore()
        self.store = store
        self.client = client or CustomerServiceClient(config.app_id, config.app_secret, store, config.api_base)
        self.cipher = WeChatCipher(config.aes_key, config.app_id) if config.aes_key else None
        self._tasks: set[asyncio.Task] = set()  # strong refs: un-referenced tasks may be collected

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[dict[str, Any]]) -> "WeChatInput":
        if not credentials or not credentials.get("token"):
            cls.raise_missing_credentials_exception()
        production.require("the WeChat channel", ("WECHAT_TOKEN", "WECHAT_AES_KEY",
                                                  "WECHAT_APP_SECRET", channel_proof.SECRET_ENV))
        return cls(WeChatConfig.from_dict(credentials))

    def get_output_channel(self) -> WeChatCustomerServiceOutput:
        return WeChatCustomerServiceOutput(self.client, self.store, self.config.buttons_ttl)

    async def send_agent_message(self, openid: str, text: str,
                                 buttons: Optional[list[dict[str, Any]]] = None) -> list[SendResult]:
        """What the handoff relay calls for an agent's reply (window and quota enforced)."""
        return await self.get_output_channel().send_messages(openid, [{"text": text, "buttons": buttons}])

    # ---- request handling -------------------------------------------------------------
    @property
    def _nonce_ttl(self) -> int:
        # A timestamp is accepted up to max_clock_skew either side of now.
        return 2 * max(self.config.max_clock_skew, 60) + 60

    def _fresh(self, timestamp: str) -> bool:
        if not self.config.max_clock_skew:
            return True
        try:
            return abs(time.time() - int(timestamp)) <= self.config.max_clock_skew
        except (TypeError, ValueError):
            return False

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver_async(self, openid: str, task: asyncio.Future, collector: CollectingOutputChannel) -> None:
        try:
            await task
        except Exception:  # the turn failed after we already said "success"
            logger.exception("Rasa turn for WeChat user %s failed", openid)
            await self.client.send_chunks(openid, [ERROR_REPLY])
            return
        rendered = await self._remember_buttons(openid, collector.messages)
        await self.client.send_chunks(openid, rendered)

    async def _remember_buttons(self, openid: str, messages: list[dict[str, Any]]) -> list[str]:
        rendered = render_turn(messages)
        if rendered.buttons:
            await self.store.save_buttons(openid, rendered.buttons, self.config.buttons_ttl)
        else:  # stale options must not turn a later "2" (a quantity, say) into a button press
            await self.store.clear_buttons(openid)
        return rendered.chunks

    @staticmethod
    def _media_metadata(msg: WeChatMessage) -> dict[str, str]:
        if msg.msg_type != "image":
            return {}
        found = {"image_url": msg.pic_url, "media_id": msg.media_id}
        # WeChat's PicUrl is an https (or http) URL on its CDN; anything else is not shown on.
        if not found["image_url"].lower().startswith(("https://", "http://")):
            found["image_url"] = ""
        return {key: value[:512] for key, value in found.items() if value}

    async def _user_text(self, msg: WeChatMessage) -> tuple[Optional[str], Optional[str]]:
        """(text for Rasa, canned reply) for one inbound message; both None means just `success`."""
        if msg.msg_type == "text":
            mapped = map_digit(msg.content, await self.store.get_buttons(msg.from_user))
            return (mapped or msg.content.strip() or None), None
        if msg.msg_type == "voice":
            return (msg.recognition, None) if msg.recognition else (None, VOICE_REPLY)
        if msg.msg_type == "image":
            return (IMAGE_PAYLOAD, None) if self._media_metadata(msg).get("image_url") \
                else (None, UNSUPPORTED_REPLY)
        if msg.msg_type == "event":
            event = msg.event.lower()
            if event == "subscribe":
                return "/greet", None
            if event == "click" and msg.event_key.startswith("/"):
                return msg.event_key, None
            return None, None
        return None, UNSUPPORTED_REPLY

    async def handle_message(self, msg: WeChatMessage,
                             on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Optional[str]:
        """Process one verified, de-duplicated message; returns the passive reply text, if any."""
        if msg.msg_type == "event":
            if msg.event.lower() in _WINDOW_EVENTS:
                await self.store.open_window(msg.from_user, self.config.event_window, self.config.event_quota)
        else:
            await self.store.open_window(msg.from_user, self.config.message_window, self.config.message_quota)
        text, canned = await self._user_text(msg)
        if text is None:
            return canned
        collector = CollectingOutputChannel()
        metadata = {"channel": "wechat", "openid": msg.from_user, "msg_type": msg.msg_type,
                    **self._media_metadata(msg)}
        channel_proof.seal(metadata, "wechat", msg.from_user, msg.from_user)  # signature checked
        # WeChat's own id: a delivery WeChat retries after a crash mid-turn is stored once.
        user_message = UserMessage(text, collector, msg.from_user, input_channel=self.name(), metadata=metadata,
                                   message_id=f"wechat-{msg.dedup_key}")
        task = asyncio.ensure_future(on_new_message(user_message))
        done, _ = await asyncio.wait({task}, timeout=self.config.reply_timeout)
        if task not in done:
            logger.info("WeChat turn for %s exceeded %.1fs: answering via CS API", msg.from_user,
                        self.config.reply_timeout)
            # Rasa is running the turn in this worker: hold the claim until it is done.
            await self.store.finish_message(msg.from_user, msg.dedup_key, self.config.dedup_ttl)
            self._spawn(self._deliver_async(msg.from_user, task, collector))
            return None
        if task.exception() is not None:
            logger.error("Rasa turn for WeChat user %s failed", msg.from_user, exc_info=task.exception())
            raise TurnFailed(msg.dedup_key) from task.exception()
        chunks = await self._remember_buttons(msg.from_user, collector.messages)
        if len(chunks) > 1:  # a passive reply holds one message; the rest go via the CS API
            self._spawn(self.client.send_chunks(msg.from_user, chunks[1:]))
        return chunks[0] if chunks else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        bp = Blueprint("wechat_webhook", __name__)
        token = self.config.token

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @bp.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            args = request.args
            if not check_signature(token, args.get("signature"), args.get("timestamp"), args.get("nonce")):
                logger.warning("WeChat URL verification with a bad signature from %s", request.ip)
                return response.text("forbidden", status=403)
            return response.text(args.get("echostr", ""))

        @bp.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            args = request.args
            timestamp, nonce = args.get("timestamp"), args.get("nonce")
            if not check_signature(token, args.get("signature"), timestamp, nonce) or not self._fresh(timestamp):
                logger.warning("WeChat POST with a forged or stale signature from %s", request.ip)
                return response.text("forbidden", status=403)
            encrypted = args.get("encrypt_type", "raw").lower() == "aes"
            if self.cipher is not None and not encrypted:
                # Strict safe mode: a plaintext body is signed by nothing but the query string.
                logger.warning("Plaintext WeChat POST refused in safe mode from %s", request.ip)
                return response.text("forbidden", status=403)
            try:
                if encrypted:
                    if self.cipher is None:
                        raise MalformedXML("safe-mode message but no WECHAT_AES_KEY configured")
                    envelope = parse_xml(request.body).get("Encrypt", "")
                    if not check_signature(token, args.get("msg_signature"), timestamp, nonce, envelope):
                        logger.warning("WeChat POST with a forged msg_signature from %s", request.ip)
                        return response.text("forbidden", status=403)
                    msg = parse_message(self.cipher.decrypt(envelope))
                else:
                    msg = parse_message(request.body)
            except (MalformedXML, WeChatCryptoError) as exc:
                logger.warning("Rejected malformed WeChat message from %s: %s", request.ip, exc)
                return response.text("bad request", status=400)
            # Plaintext mode: the signature covers timestamp and nonce but not the body, so the
            # nonce is bound to the first body that passed every check (a forged body cannot burn
            # the nonce of WeChat's own request). Safe mode needs no record (one key per request
            # would be): msg_signature covers the body, so a seen nonce cannot carry another
            # one, and the same body again is a retry or replay the MsgId record answers.
            digest = hashlib.sha256(request.body or b"").hexdigest()
            if not encrypted and not await self.store.claim_nonce(f"{timestamp}:{nonce}", digest,
                                                                  self._nonce_ttl):
                logger.warning("WeChat POST replaying a used nonce with another body from %s", request.ip)
                return response.text("forbidden", status=403)
            if not await self.store.claim_message(msg.from_user, msg.dedup_key, self.config.claim_lease):
                logger.info("Duplicate WeChat delivery %s ignored", msg.dedup_key)
                return response.text("success")
            try:
                reply = await self.handle_message(msg, on_new_message)
            except Exception:  # noqa: BLE001 - whatever failed, WeChat must deliver it again
                await self.store.release_message(msg.from_user, msg.dedup_key)
                logger.exception("WeChat message %s failed; released for WeChat's retry", msg.dedup_key)
                return response.text("retry", status=500)
            await self.store.finish_message(msg.from_user, msg.dedup_key, self.config.dedup_ttl)
            if not reply:
                return response.text("success")
            xml = render_text_reply(msg.from_user, msg.to_user, reply)
            if encrypted and self.cipher is not None:
                ts, reply_nonce = str(int(time.time())), make_nonce()
                sealed = self.cipher.encrypt(xml)
                xml = render_encrypted_envelope(sealed, self.cipher.sign(token, ts, reply_nonce, sealed), ts, reply_nonce)
            return response.text(xml, content_type="application/xml; charset=utf-8")

        @bp.route("/send", methods=["POST"])
        async def relay_send(request: Request) -> HTTPResponse:
            """Agent replies from the handoff relay (bearer secret, constant-time compare)."""
            secret = self.config.relay_secret
            supplied = (request.headers.get("Authorization") or "").removeprefix("Bearer ").strip()
            if not secret or not hmac.compare_digest(secret.encode(), supplied.encode()):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            openid, text = str(body.get("openid") or ""), str(body.get("text") or "")
            if not openid or not text:
                return response.json({"error": "openid and text are required"}, status=400)
            results = await self.send_agent_message(openid, text, body.get("buttons"))
            failed = next((r for r in results if not r.ok), None)
            if failed is None:
                return response.json({"ok": True, "sent": len(results)})
            status = 409 if failed.reason in ("outside_window", "quota_exhausted") else 502
            return response.json({"ok": False, "sent": len(results) - 1, "reason": failed.reason}, status=status)

        @bp.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.client.close()
            await self.store.close()

        return bp
