"""The action server keeps answering while one action waits for PostgreSQL.

The server is one event loop for every conversation. Here a cancellation waits on a row lock
another connection holds (as a COMMIT waits for the disk); meanwhile another conversation's
order action, on the same server over HTTP, must complete. The lock is released after a few
seconds, so a server that waited on its loop would finish both only then, and fail.
"""
from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Dict

import aiohttp
import pytest
from rasa_sdk import Tracker
from sanic import Sanic
from sqlalchemy import text

from actions import server
from actions.orders import conversation as orders
from tests.integration.pg_store import seeded_schema
from tests.unit.test_order_actions import WEB1, start, tracker

pytestmark = pytest.mark.integration

TOKEN = "off-loop-test-token"
HOLD_S = 4.0  # how long the other connection keeps the order row locked


@pytest.fixture()
def store(monkeypatch):
    yield from seeded_schema(monkeypatch, "offloop")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(action: str, t: Tracker) -> Dict[str, Any]:
    return {"next_action": action, "sender_id": t.sender_id, "domain": {},
            "tracker": {"sender_id": t.sender_id, "slots": t.slots,
                        "latest_message": t.latest_message, "events": t.events, "paused": False,
                        "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"}}


def slot_values(result: Dict[str, Any]) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e.get("event") == "slot"}


async def waiting_on_lock(engine, timeout: float = 3.0) -> bool:
    """Whether a backend of this database is waiting for a lock (the cancellation)."""
    def query() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE "
                                     "datname = current_database() AND wait_event_type = 'Lock'")
                                ).scalar()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(query):
            return True
        await asyncio.sleep(0.05)
    return False


async def test_an_action_waiting_for_the_database_holds_up_no_other_conversation(store,
                                                                                  monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # the rasa-sdk app's name may be taken
    wechat = {"channel": "wechat", "openid": "oDemo0010wx"}
    cancel = await start(orders.ActionCancelOrder,
                         tracker(metadata=wechat, intent="cancel_order", sender="oDemo0010wx",
                                 input_channel="wechat"))
    cancel_call = call("action_order_submit",
                       tracker({**cancel, "order_confirmed": True, "language": "en"},
                               sender="oDemo0010wx"))
    other_call = call("action_order_status", tracker(metadata=WEB1, sender="conv-other"))

    port = free_port()
    app = server.create(TOKEN)
    http = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await http.startup()
    url, headers = f"http://127.0.0.1:{port}/webhook", {"Authorization": f"Bearer {TOKEN}"}
    holder = store.connect()
    transaction = holder.begin()
    holder.execute(text("SELECT id FROM orders WHERE id = :id FOR UPDATE"),
                   {"id": cancel["order_id"]})
    released: Dict[str, float] = {}

    def release() -> None:
        released["at"] = time.monotonic()
        transaction.rollback()

    timer = threading.Timer(HOLD_S, release)
    timer.start()
    try:
        async with aiohttp.ClientSession(headers=headers) as client:
            async def post(body: Dict[str, Any]) -> Dict[str, Any]:
                async with client.post(url, json=body) as response:
                    assert response.status == 200, await response.text()
                    return await response.json()

            cancelling = asyncio.ensure_future(post(cancel_call))
            # a server stuck on its loop lets no one look until the lock is gone
            assert await waiting_on_lock(store), "no action was seen waiting on the row lock"
            other = await post(other_call)
            other_done = time.monotonic()
            assert not cancelling.done()
            cancelled = await cancelling
            cancel_done = time.monotonic()
    finally:
        timer.join()
        holder.close()
        http.close()
        await http.wait_closed()

    # the other conversation was answered while the cancellation waited for the lock ...
    assert other_done < released["at"] <= cancel_done
    assert slot_values(other)["customer_id"] == "C0001"
    assert slot_values(other)["order_id"]
    # ... and the cancellation, once it got the row, did exactly what it always did
    assert slot_values(cancelled)["order_context"]["status"] == "cancelled"
    assert "is cancelled" in " ".join(r.get("text") or "" for r in cancelled["responses"])
