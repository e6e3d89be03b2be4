"""Rasa's conversation lock on the real Redis when Redis dies while a message is handled: the
handled message is not reported as failed, and the conversation is not blocked until the
stale ticket expires (60 s) — it is released as soon as Redis answers again."""
from __future__ import annotations

import asyncio
import os
import socket
import time
import uuid
from urllib.parse import urlparse

import pytest
import redis as redis_sync
from rasa.core.lock_store import RedisLockStore

from bot.lock_store import RecoveringRedisLockStore

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def dead_redis() -> redis_sync.StrictRedis:
    """A client of a Redis that is not there (connection refused), as during a crash."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return redis_sync.StrictRedis(host="127.0.0.1", port=port, socket_timeout=1)


def settings():
    url = urlparse(REDIS_URL)
    return dict(host=url.hostname, port=url.port or 6379, db=int(url.path.strip("/") or 0),
                key_prefix=f"test{uuid.uuid4().hex[:10]}")


async def test_lock_released_once_redis_is_back_not_when_it_expires():
    store = RecoveringRedisLockStore(**settings())
    stock = RedisLockStore(**{**settings(), "key_prefix": store.key_prefix.split(":")[0]})
    alive = store.red
    try:
        async with store.lock("web:abc"):
            store.red = dead_redis()  # Redis dies while the message is handled
        # no exception: the message was handled; the release waits for Redis
        assert store.unreleased == {"web:abc": {0}}
        stale = stock.get_lock("web:abc")
        assert stale is not None and stale.is_locked(1)  # the stock store would wait ~60 s
        store.red = alive  # Redis is back
        started = time.monotonic()
        async with store.lock("web:abc", wait_time_in_seconds=0.2):
            pass
        assert time.monotonic() - started < 2
        assert store.unreleased == {}
        assert stock.get_lock("web:abc") is None
    finally:
        store.red = alive
        for key in alive.scan_iter(f"{store.key_prefix}*"):
            alive.delete(key)


async def test_rasa_builds_it_from_endpoints_yml():
    from rasa.core.lock_store import LockStore
    from rasa.utils.endpoints import EndpointConfig

    cfg = settings()
    store = LockStore.create(EndpointConfig(
        url=cfg["host"], type="bot.lock_store.RecoveringRedisLockStore", port=cfg["port"],
        db=cfg["db"], key_prefix=cfg["key_prefix"]))
    assert isinstance(store, RecoveringRedisLockStore)
    assert store.key_prefix == f"{cfg['key_prefix']}:lock:"
    async with store.lock("web:def"):
        assert store.get_lock("web:def") is not None
    await asyncio.sleep(0)
    assert store.get_lock("web:def") is None


def _take_tickets(store_class, options: dict, conversation_id: str, count: int, start_at: float) -> list:
    """One worker process: from `start_at` on, issue `count` tickets of one conversation as fast
    as it can (all workers start at the same moment, as messages arriving together do)."""
    store = store_class(**options)
    time.sleep(max(0.0, start_at - time.time()))
    return [store.issue_ticket(conversation_id) for _ in range(count)]


@pytest.mark.parametrize("store_class, distinct", [(RedisLockStore, False),
                                                   (RecoveringRedisLockStore, True)])
def test_workers_issuing_tickets_at_once_never_share_or_lose_one(store_class, distinct):
    """Four processes (Sanic workers) issue tickets of one conversation at the same moment.
    Rasa's store reads, changes and writes the lock in three calls, so tickets are issued twice
    or overwritten; ours issues every number once and keeps every ticket in the lock."""
    from concurrent.futures import ProcessPoolExecutor

    options = settings()
    per_worker, workers = 60, 4
    try:
        with ProcessPoolExecutor(workers) as pool:
            batches = list(pool.map(_take_tickets, [store_class] * workers, [options] * workers,
                                    ["web:race"] * workers, [per_worker] * workers,
                                    [time.time() + 1.5] * workers))
        issued = [number for batch in batches for number in batch]
        stored = RecoveringRedisLockStore(**options).get_lock("web:race")
        kept = sorted(ticket.number for ticket in stored.tickets)
        exact = sorted(issued) == list(range(workers * per_worker)) == kept
        assert exact is distinct
    finally:
        red = redis_sync.Redis.from_url(REDIS_URL)
        for key in red.scan_iter(f"{options['key_prefix']}*"):
            red.delete(key)


async def test_release_keeps_a_ticket_issued_by_another_worker_meanwhile():
    """Releasing the last ticket deletes the lock only when nobody else holds one: a ticket
    another worker took in between is kept (the stock store's delete could drop it)."""
    options = settings()
    mine, theirs = RecoveringRedisLockStore(**options), RecoveringRedisLockStore(**options)
    try:
        first = mine.issue_ticket("web:x")
        second = theirs.issue_ticket("web:x")
        mine.cleanup("web:x", first)
        lock = theirs.get_lock("web:x")
        assert [t.number for t in lock.tickets] == [second] and not lock.is_locked(second)
        theirs.cleanup("web:x", second)
        assert theirs.get_lock("web:x") is None
    finally:
        for key in mine.red.scan_iter(f"{mine.key_prefix}*"):
            mine.red.delete(key)


async def test_messages_of_one_conversation_take_turns_with_two_redis_calls_each():
    """The second message waits for the first; each message asks Redis twice (issue and
    release, each one script call) instead of the stock store's seven calls."""
    options = settings()
    store = RecoveringRedisLockStore(**options)
    calls, order = [], []
    real = store.red.evalsha

    def counted(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    store.red.evalsha = counted

    async def message(name: str, hold: float) -> None:
        async with store.lock("web:turns", wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(hold)
            order.append(f"{name} out")

    try:
        async with store.lock("web:alone"):
            assert store.get_lock("web:alone") is not None  # Rasa's reader parses ours
        assert len(calls) == 2 and store.get_lock("web:alone") is None
        await asyncio.gather(message("first", 0.3), message("second", 0.0))
        assert order == ["first in", "first out", "second in", "second out"]
        assert store.get_lock("web:turns") is None
    finally:
        for key in store.red.scan_iter(f"{store.key_prefix}*"):
            store.red.delete(key)


async def test_a_waiting_message_gets_the_lock_when_the_holders_ticket_expires():
    options = settings()
    store = RecoveringRedisLockStore(**options)
    try:
        stuck = store.issue_ticket("web:stuck", lock_lifetime=0.3)  # a crashed worker's ticket
        started = time.monotonic()
        async with store.lock("web:stuck", wait_time_in_seconds=0.1) as lock:
            waited = time.monotonic() - started
            assert lock.conversation_id == "web:stuck"
        assert 0.25 < waited < 2 and stuck == 0
        assert store.get_lock("web:stuck") is None
    finally:
        for key in store.red.scan_iter(f"{store.key_prefix}*"):
            store.red.delete(key)


async def test_a_waiting_message_goes_on_soon_after_the_lock_is_released():
    """Rasa's store sleeps a whole `wait_time_in_seconds` between checks; a lock held 50 ms
    (the handoff service pausing the conversation) must not cost the next message a second."""
    store = RecoveringRedisLockStore(**settings())
    try:
        async def holder() -> None:
            async with store.lock("web:short"):
                await asyncio.sleep(0.05)

        async def waiter() -> float:
            await asyncio.sleep(0.01)
            started = time.monotonic()
            async with store.lock("web:short", wait_time_in_seconds=1):
                return time.monotonic() - started

        _, waited = await asyncio.gather(holder(), waiter())
        assert 0.03 < waited < 0.3
    finally:
        for key in store.red.scan_iter(f"{store.key_prefix}*"):
            store.red.delete(key)
