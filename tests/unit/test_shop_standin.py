"""The shop client against the stand-in shop (both real, over HTTP on a free port), and the
outbox sender delivering through them."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import update

from actions.store import db, session_scope
from common.shop import outbox
from common.shop.backoff import Backoff
from common.shop.client import ShopClient, ShopRejected, ShopUnavailable
from common.shop.outbox import STORE_OUTBOX as T
from common.shop.sender import OutboxSender
from tools.shop_standin import StandinShop, create_app

SECRET = "k" * 40


@pytest.fixture
async def shop():
    standin = StandinShop(SECRET)
    runner = web.AppRunner(create_app(standin))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    session = aiohttp.ClientSession()
    yield standin, f"http://127.0.0.1:{port}", session
    await session.close()
    await runner.cleanup()


async def behave(session, url, **body):
    async with session.post(f"{url}/behaviour", json=body) as resp:
        return resp.status


async def test_same_key_same_answer_recorded_once(shop):
    standin, url, session = shop
    client = ShopClient(url, SECRET, session)
    first = await client.submit("cancel", "E202611180001", {"reason": "x"}, "key-1")
    again = await client.submit("cancel", "E202611180001", {"reason": "x"}, "key-1")
    assert first.status == "accepted" and again == first
    async with session.get(f"{url}/calls") as resp:
        calls = await resp.json()
    assert [(c["method"], c["path"], c["idempotency_key"], c["body"]) for c in calls] == \
        [("POST", "/v1/orders/E202611180001/cancel", "key-1", {"reason": "x"})]


async def test_refuse_fail_and_slow(shop):
    standin, url, session = shop
    client = ShopClient(url, SECRET, session)
    assert await behave(session, url, mode="refuse", reason="already packed") == 200
    refused = await client.submit("change_address", "E1", {"address": "x"}, "k-ref")
    assert (refused.status, refused.reason) == ("refused", "already packed")
    await behave(session, url, mode="fail")
    with pytest.raises(ShopUnavailable):
        await client.submit("cancel", "E1", {}, "k-fail")
    await behave(session, url, mode="slow", delay=0.3)
    assert (await client.submit("cancel", "E1", {}, "k-slow")).status == "pending"
    assert (await client.status("k-slow")).status == "pending"
    await asyncio.sleep(0.4)
    assert (await client.status("k-slow")).status == "accepted"
    assert await behave(session, url, mode="explode") == 400
    assert [c["idempotency_key"] for c in standin.calls] == ["k-ref", "k-slow"]


async def test_wrong_secret_is_refused_not_retried(shop):
    standin, url, session = shop
    with pytest.raises(ShopRejected, match="401"):
        await ShopClient(url, "wrong" * 8, session).submit("cancel", "E1", {}, "k")
    assert standin.calls == []


async def test_controls_are_off_in_production(shop, monkeypatch):
    _, url, session = shop
    monkeypatch.setenv("FRONTLINE_ENV", "production")
    assert await behave(session, url, mode="refuse") == 403
    async with session.get(f"{url}/calls") as resp:
        assert resp.status == 403


async def test_outbox_reaches_the_shop_once_across_outage_and_retries(shop, tmp_path):
    standin, url, session = shop
    engine = db.make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    db.migrate(engine)
    with session_scope(engine) as s:
        outbox.enqueue(s, "cancel", "E202611180001", {"reason": "shopper_request"}, "once")
    await behave(session, url, mode="fail")
    sender = OutboxSender(engine, T, ShopClient(url, SECRET, session),
                          backoff=Backoff(base=0.01, jitter=0))
    for _ in range(3):
        await sender.run_once()
        await asyncio.sleep(0.02)
    with engine.connect() as conn:
        row = outbox.find(conn, T, "once")
    assert (row.status, row.attempts) == ("queued", 3) and standin.calls == []
    await behave(session, url, mode="accept")
    await asyncio.sleep(0.02)
    await sender.run_once()
    with engine.begin() as conn:  # a lost reply: the row is sent again, same key
        conn.execute(update(T).values(status="queued", next_attempt_at=outbox.utcnow()
                                      - timedelta(seconds=1)))
    await sender.run_once()
    with engine.connect() as conn:
        assert outbox.find(conn, T, "once").status == "accepted"
    assert [c["idempotency_key"] for c in standin.calls] == ["once"]
    engine.dispose()


async def test_handoff_service_sends_its_own_outbox_while_its_sender_runs(shop, tmp_path,
                                                                       monkeypatch):
    from sqlalchemy.orm import Session

    from common.shop.outbox import HANDOFF_OUTBOX
    from common.shop import sender as shop_sender
    from handoff.db import make_engine, migrate

    standin, url, _ = shop
    monkeypatch.setenv("SHOP_URL", url)
    monkeypatch.setenv("SHOP_SECRET", SECRET)
    engine = make_engine(f"sqlite:///{tmp_path / 'handoff.db'}")
    migrate(engine)
    with Session(engine, future=True) as s, s.begin():
        outbox.enqueue(s, "reship", "E202611180001", {"reason": "damaged"}, "agent-1",
                       HANDOFF_OUTBOX)
    running = await shop_sender.start(engine, HANDOFF_OUTBOX)
    try:
        for _ in range(100):
            with engine.connect() as conn:
                if outbox.find(conn, HANDOFF_OUTBOX, "agent-1").status == "accepted":
                    break
            await asyncio.sleep(0.05)
    finally:
        await shop_sender.stop(running)
    with engine.connect() as conn:
        assert outbox.find(conn, HANDOFF_OUTBOX, "agent-1").status == "accepted"
    assert [c["path"] for c in standin.calls] == ["/v1/orders/E202611180001/reships"]
    engine.dispose()
