"""Agent WebSockets end with their session or rights (handoff.live_sessions), on the real
PostgreSQL and Redis; the same attacks run against the whole stack in tests/e2e."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest
from sqlalchemy import update

from handoff.db import Agent
from tests.aiohttp_stub import closed_with
from tests.integration.handoff_support import pg_url, prefix, rasa_stub, stack  # noqa: F401

pytestmark = pytest.mark.integration


async def test_socket_closes_on_logout_and_on_queue_change(stack):
    stack.agent("ann", queues=["general"])
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        async def socket_of():
            headers = await stack.login("ann")
            ws = await http.ws_connect(f"{stack.url}/api/ws", headers=headers)
            assert (await ws.receive_json())["type"] == "hello"
            return ws, headers

        ws, headers = await socket_of()
        async with http.post(f"{stack.url}/api/agents/logout", headers=headers) as resp:
            assert resp.status == 200
        assert await closed_with(ws, 5) == 4401

        ws, _ = await socket_of()

        def move(db):
            db.execute(update(Agent).where(Agent.username == "ann").values(queues=["logistics"]))
        await stack.service.db(move)
        assert await closed_with(ws) == 4403

        ws, _ = await socket_of()

        def disable(db):
            db.execute(update(Agent).where(Agent.username == "ann").values(is_active=False))
        await stack.service.db(disable)
        assert await closed_with(ws) == 4401
