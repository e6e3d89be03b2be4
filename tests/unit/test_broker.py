"""The event broker: never blocks Rasa, spills to a durable local outbox, drains it in order."""
from __future__ import annotations

import threading
import time

import pytest
import redis

from bot.broker import RedisStreamEventBroker
from common import streams

SECRET = "unit-secret"


class FlakyRedis:
    """Records XADDs; raises while `up` is false; can be made slow."""

    def __init__(self, up: bool = False, delay: float = 0.0):
        self.up, self.delay, self.entries = up, delay, []
        self.lock = threading.Lock()

    def pipeline(self, transaction=False):
        return Pipe(self)

    def close(self):
        pass


class Pipe:
    def __init__(self, owner: FlakyRedis):
        self.owner, self.queued = owner, []

    def xadd(self, stream, fields, **kwargs):
        assert not kwargs, "the broker must never trim (MAXLEN) the stream"
        self.queued.append((stream, fields))

    def execute(self):
        time.sleep(self.owner.delay)
        if not self.owner.up:
            raise redis.ConnectionError("down")
        with self.owner.lock:
            for stream, fields in self.queued:
                self.owner.entries.append((stream, streams.unseal(SECRET, stream, fields)))


def wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def outbox_dir(tmp_path):
    return tmp_path


def broker(fake, outbox_dir, shared=False):
    return RedisStreamEventBroker(key_prefix="p", client=fake, secret=SECRET,
                                  outbox_dir=outbox_dir, shared=shared)


async def test_spills_to_the_outbox_while_redis_is_down_and_drains_in_order(outbox_dir):
    fake = FlakyRedis(up=False)
    b = broker(fake, outbox_dir)
    for n in range(1, 4):
        b.publish({"event": "user", "text": str(n)})
    wait(lambda: b.spilled == 3)
    assert fake.entries == []
    fake.up = True
    b.publish({"event": "user", "text": "4"})
    assert b.flush(10)
    assert [e["text"] for _, e in fake.entries] == ["1", "2", "3", "4"]
    assert {s for s, _ in fake.entries} == {"p:events"}
    await b.close()


async def test_the_outbox_survives_a_restart_of_the_rasa_server(outbox_dir):
    down = FlakyRedis(up=False)
    first = broker(down, outbox_dir)
    for n in range(5):
        first.publish({"event": "user", "text": f"m{n}"})
    wait(lambda: first.spilled == 5)
    await first.close()  # the Rasa server stops while Redis is still down
    up = FlakyRedis(up=True)
    second = broker(up, outbox_dir)  # ...and starts again when Redis is back
    second.publish({"event": "user", "text": "after restart"})
    assert second.flush(10)
    assert [e["text"] for _, e in up.entries] == [f"m{n}" for n in range(5)] + ["after restart"]
    await second.close()


async def test_publish_never_waits_for_a_slow_redis(outbox_dir):
    slow = FlakyRedis(up=True, delay=1.0)
    b = broker(slow, outbox_dir)
    started = time.perf_counter()
    for n in range(50):
        b.publish({"event": "user", "text": str(n)})
    assert time.perf_counter() - started < 0.2  # 50 publishes, while each write takes 1 s
    assert b.flush(15)
    assert [e["text"] for _, e in slow.entries] == [str(n) for n in range(50)]
    await b.close()


async def test_entries_are_signed_for_their_stream(outbox_dir):
    fake = FlakyRedis(up=True)
    b = broker(fake, outbox_dir)
    b.publish({"event": "user", "text": "x"})
    assert b.flush(5)  # Pipe.execute unseals with the secret: a bad MAC would raise
    with pytest.raises(streams.ForgedEntry):
        streams.unseal(SECRET, "p:relay", streams.seal(SECRET, "p:events", {"a": 1}))
    with pytest.raises(streams.ForgedEntry):
        streams.unseal(SECRET, "p:events", {"json": '{"a": 1}'})
    with pytest.raises(streams.ForgedEntry):
        streams.unseal("another", "p:events", streams.seal(SECRET, "p:events", {"a": 1}))
    await b.close()


async def test_settled_returns_once_the_turns_events_are_in_redis(outbox_dir):
    """The tracker store ends a turn (and releases its lock) only after this: the next turn,
    maybe on another Rasa worker, cannot get its events into the stream first."""
    fake = FlakyRedis(up=True, delay=0.2)
    b = broker(fake, outbox_dir)
    b.publish({"event": "user", "text": "1"})
    b.publish({"event": "bot", "text": "2"})
    assert await b.settled()
    assert [e["text"] for _, e in fake.entries] == ["1", "2"]
    await b.close()


async def test_settled_also_returns_when_redis_is_down_and_the_events_are_in_the_outbox(outbox_dir):
    b = broker(FlakyRedis(up=False), outbox_dir)
    b.publish({"event": "user", "text": "1"})
    assert await b.settled(timeout=5)
    assert len(b.outbox) == 1
    await b.close()


async def test_workers_sharing_the_outbox_keep_a_conversations_order_and_send_each_event_once(outbox_dir):
    """Worker A handled turn 1 while Redis was down (its events are in the shared outbox); worker
    B, whose Redis answers, handles turn 2: B's events go behind A's, and both draining sends
    every event once."""
    redis_for_a, redis_for_b = FlakyRedis(up=False), FlakyRedis(up=True, delay=0.05)
    redis_for_b.entries = redis_for_a.entries  # one Redis stream, seen through two clients
    redis_for_b.lock = redis_for_a.lock
    a, b = broker(redis_for_a, outbox_dir, True), broker(redis_for_b, outbox_dir, True)
    assert a.orders_turns and b.orders_turns
    for n in (1, 2):
        a.publish({"event": "user", "text": f"turn1-{n}"})
    assert await a.settled()
    b.publish({"event": "user", "text": "turn2"})
    assert await b.settled()
    redis_for_a.up = True  # Redis back for A too: both may drain now
    a.publish({"event": "user", "text": "turn3"})
    assert await a.settled() and a.flush(10) and b.flush(10)
    assert [e["text"] for _, e in redis_for_a.entries] == ["turn1-1", "turn1-2", "turn2", "turn3"]
    await a.close()
    await b.close()


async def test_one_worker_never_reads_the_outbox_file_while_nothing_spilled(outbox_dir, monkeypatch):
    """With one Rasa worker the writer's order is the stream's: no turn waits for `settled`,
    and the writer does not query the SQLite outbox per batch."""
    monkeypatch.setenv("SANIC_WORKERS", "1")
    fake = FlakyRedis(up=True)
    b = RedisStreamEventBroker(key_prefix="p", client=fake, secret=SECRET, outbox_dir=outbox_dir)
    assert not b.shared and not b.orders_turns
    reads = []
    monkeypatch.setattr(b.outbox, "any", lambda: reads.append(1) or False)
    for n in range(50):
        b.publish({"event": "user", "text": str(n)})
    assert b.flush(10)
    assert [e["text"] for _, e in fake.entries] == [str(n) for n in range(50)] and not reads
    fake.up = False  # a spill is this process's own: it is drained first, in order
    b.publish({"event": "user", "text": "late-1"})
    wait(lambda: b.spilled == 1)
    fake.up = True
    b.publish({"event": "user", "text": "late-2"})
    assert b.flush(10)
    assert [e["text"] for _, e in fake.entries][-2:] == ["late-1", "late-2"]
    await b.close()


def test_several_workers_share_the_outbox(outbox_dir, monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "2")
    b = RedisStreamEventBroker(key_prefix="p", client=FlakyRedis(up=True), secret=SECRET,
                               outbox_dir=outbox_dir)
    assert b.shared and b.orders_turns
    b.queue.put(None)
    b._thread.join(5)
