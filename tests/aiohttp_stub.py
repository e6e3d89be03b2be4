"""Stand-ins for a peer service in tests: an aiohttp app on a free port, an endpoint that
records each signed call (common.signing) it gets, and how a WebSocket was closed."""
from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Dict, List

import aiohttp
from aiohttp import web

from common import signing


@asynccontextmanager
async def serve_app(app: web.Application) -> AsyncIterator[str]:
    """Runs `app` on 127.0.0.1 and a free port; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"
    finally:
        await runner.cleanup()


class SignedCalls:
    """A JSON endpoint that records each call's body and whether its signature is valid;
    answers `status` (settable, to play a failing peer)."""

    def __init__(self, secret: str, status: int = 200) -> None:
        self.secret, self.status = secret, status
        self.calls: List[Dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.calls.append({"body": json.loads(raw), "signed": signing.verify(
            self.secret, request.method, request.path, raw, dict(request.headers))})
        return web.json_response({"ok": True}, status=self.status)


async def closed_with(ws, timeout: float = 10.0) -> int:
    """Read until the server's close frame; the code in it (what a browser's onclose gets)."""
    async def until_closed():
        while True:
            msg = await ws.receive()
            if msg.type == aiohttp.WSMsgType.CLOSE:
                return msg.data
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                return ws.close_code
    return await asyncio.wait_for(until_closed(), timeout)
