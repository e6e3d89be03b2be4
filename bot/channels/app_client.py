"""Reference client for the mobile-app protocol (what the iOS/Android SDK does), used by the tests.

    client = AppClient("http://localhost:5005", app_version="5.2.0", platform="ios", device="iPhone15,2")
    reply = await client.send("我的订单到哪了", identity_token=token_from_shop_backend)

``CallbackReceiver`` is the matching piece of the app backend: it receives out-of-band messages
(agent replies during handoff), rejects unsigned or stale ones and hands the rest on (in production:
to the push-notification service).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Optional

import aiohttp
from aiohttp import web

from bot.channels.app import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify_callback


@dataclass
class AppReply:
    status: int
    sender_id: str = ""
    verified: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    error: str = ""
    reason: str = ""

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.messages if m.get("text")]


class AppClient:
    def __init__(self, base_url: str, app_version: str = "1.0.0", platform: str = "android",
                 device: str = "reference-client", session_id: Optional[str] = None,
                 timeout: float = 60.0) -> None:
        self.url = base_url.rstrip("/") + "/webhooks/app/webhook"
        # One random id per install/login: anonymous conversations cannot be guessed or hijacked.
        self.session_id = session_id or secrets.token_urlsafe(16)
        self.app = {"version": app_version, "platform": platform, "device": device}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, text: str, identity_token: Optional[str] = None,
                   extra: Optional[dict[str, Any]] = None,
                   image_url: Optional[str] = None) -> AppReply:
        """``extra`` merges raw fields into the body (tests use it to try impersonation);
        ``image_url`` is a picture the app already uploaded (``text`` may then be empty)."""
        body: dict[str, Any] = {"session_id": self.session_id, "message": text, "app": self.app}
        if image_url:
            body["image_url"] = image_url
        body.update(extra or {})
        headers = {"Authorization": f"Bearer {identity_token}"} if identity_token else {}
        async with aiohttp.ClientSession(timeout=self._timeout) as http:
            async with http.post(self.url, json=body, headers=headers) as resp:
                data = await resp.json(content_type=None)
        if resp.status != 200:
            return AppReply(resp.status, error=data.get("error", ""), reason=data.get("reason", ""))
        return AppReply(200, data["sender_id"], bool(data["verified"]), list(data["messages"]))


class CallbackReceiver:
    """Minimal app-backend endpoint for Frontline's signed callbacks (aiohttp)."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.received: list[dict[str, Any]] = []
        self.rejected = 0
        self._runner: Optional[web.AppRunner] = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if not verify_callback(self.secret, request.headers.get(TIMESTAMP_HEADER, ""), body,
                               request.headers.get(SIGNATURE_HEADER, "")):
            self.rejected += 1
            return web.json_response({"error": "bad signature"}, status=401)
        self.received.append(await request.json())
        return web.json_response({"ok": True})

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/frontline/callback", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://{host}:{bound}/frontline/callback"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
