"""Local stand-in for WeChat's token endpoint and customer-service message API (aiohttp).

Behaves like api.weixin.qq.com for the two calls Frontline makes: wrong app secret -> 40125,
unknown or expired token -> 40001 / 42001, otherwise the message is recorded. Tests and the demo
point ``WECHAT_API_BASE`` here and read what a shopper would have received from ``.messages``
(or ``GET /_sim/messages``).
"""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Optional

from aiohttp import web


@dataclass
class SentMessage:
    openid: str
    msgtype: str
    content: str
    at: float = field(default_factory=time.time)


class CustomerServiceStandIn:
    def __init__(self, app_id: str, app_secret: str, token_ttl: int = 7200) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token_ttl = token_ttl
        self.tokens: dict[str, float] = {}  # token -> expires_at
        self.token_requests = 0
        self.messages: list[SentMessage] = []
        self.inject_errcodes: list[int] = []  # next send calls answer these errcodes, in order
        self._runner: Optional[web.AppRunner] = None
        self.base_url = ""

    # ---- state helpers used by tests ----------------------------------------------
    def revoke_tokens(self) -> None:
        """Simulates WeChat invalidating tokens (e.g. another server fetched a new one)."""
        self.tokens.clear()

    def texts_for(self, openid: str) -> list[str]:
        return [m.content for m in self.messages if m.openid == openid]

    # ---- HTTP handlers --------------------------------------------------------------
    async def _token(self, request: web.Request) -> web.Response:
        q = request.query
        self.token_requests += 1
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if q.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.time() + self.token_ttl
        return web.json_response({"access_token": token, "expires_in": self.token_ttl})

    async def _send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        if token not in self.tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.tokens[token] <= time.time():
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        if self.inject_errcodes:
            code = self.inject_errcodes.pop(0)
            return web.json_response({"errcode": code, "errmsg": "injected by stand-in"})
        try:
            body: dict[str, Any] = json.loads(await request.text())
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        msgtype = body.get("msgtype", "")
        content = (body.get(msgtype) or {}).get("content", "") if msgtype == "text" else json.dumps(body)
        if not body.get("touser") or not msgtype:
            return web.json_response({"errcode": 44002, "errmsg": "empty post data"})
        if msgtype == "text" and len(content.encode("utf-8")) > 2048:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.messages.append(SentMessage(body["touser"], msgtype, content))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _list(self, request: web.Request) -> web.Response:
        openid = request.query.get("openid")
        since = float(request.query.get("since", "0") or 0)
        items = [m.__dict__ for m in self.messages if (not openid or m.openid == openid) and m.at > since]
        return web.json_response({"messages": items})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        app.router.add_get("/_sim/messages", self._list)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; port 0 picks a free port. Returns the base URL for WECHAT_API_BASE."""
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://{host}:{bound}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
