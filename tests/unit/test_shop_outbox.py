"""The shop connector's pieces on their own: signatures, back-off, the outbox and its sender."""
from __future__ import annotations

import asyncio
import random
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from actions.store import db, session_scope
from common.shop import outbox, signing
from common.shop.backoff import Backoff
from common.shop.client import ShopAnswer, ShopRejected, ShopUnavailable
from common.shop.outbox import STORE_OUTBOX as T
from common.shop.sender import OutboxSender

SECRET = "s" * 40


# --- signing --------------------------------------------------------------------------------
def test_signed_body_verifies_and_any_change_is_refused():
    body = b'{"order":"E1"}'
    headers = signing.sign(SECRET, body, now=1000)
    assert signing.verify(SECRET, headers, body, now=1010).timestamp == 1000
    with pytest.raises(signing.SignatureError, match="bad signature"):
        signing.verify(SECRET, headers, body + b" ", now=1010)
    with pytest.raises(signing.SignatureError, match="bad signature"):
        signing.verify("x" * 40, headers, body, now=1010)
    forged = dict(headers, **{signing.TIMESTAMP_HEADER: "1005"})  # fresher stamp, old MAC
    with pytest.raises(signing.SignatureError, match="bad signature"):
        signing.verify(SECRET, forged, body, now=1010)


def test_stale_missing_and_oversized_are_refused():
    body = b"{}"
    old = signing.sign(SECRET, body, now=1000)
    with pytest.raises(signing.SignatureError, match="window"):
        signing.verify(SECRET, old, body, now=1000 + signing.WINDOW_SECONDS + 1)
    with pytest.raises(signing.SignatureError, match="missing"):
        signing.verify(SECRET, {}, body, now=1000)
    big = b"x" * (signing.MAX_BODY + 1)
    with pytest.raises(signing.SignatureError, match="too large"):
        signing.verify(SECRET, signing.sign(SECRET, big, now=1000), big, now=1000)


def test_demo_secret_is_refused_in_production():
    from common import production

    env = {"FRONTLINE_ENV": "production", "SHOP_SECRET": production.DEMO_VALUES["SHOP_SECRET"]}
    assert [p.reason for p in production.problems(["SHOP_SECRET"], env)] == \
        ["is the public demo value"]
    assert signing.shop_secret({}) == production.DEMO_VALUES["SHOP_SECRET"]


# --- back-off -------------------------------------------------------------------------------
def test_backoff_grows_exponentially_within_cap_and_gives_up():
    b = Backoff(base=2, factor=2, cap=60, max_attempts=5, jitter=0)
    assert [b.delay(n) for n in range(1, 7)] == [2, 4, 8, 16, 32, 60]
    assert not b.gives_up(4) and b.gives_up(5)
    jittered = Backoff(base=10, jitter=0.2)
    delays = {jittered.delay(1, random.Random(seed)) for seed in range(20)}
    assert all(8 <= d <= 12 for d in delays) and len(delays) > 1


# --- outbox ---------------------------------------------------------------------------------
@pytest.fixture
def engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    db.migrate(engine)
    yield engine
    engine.dispose()


def _queue(engine, key="k1", kind="cancel", order="E202611180001"):
    with session_scope(engine) as session:
        outbox.enqueue(session, kind, order, {"reason": "x"}, key, conversation_id="c1",
                       notice={"lang": "en", "what": "w", "done": "d"})


def test_enqueue_is_part_of_the_callers_transaction(engine):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as session:
            outbox.enqueue(session, "cancel", "E1", {}, "rolled-back")
            raise RuntimeError("the local change failed")
    _queue(engine, "kept")
    _queue(engine, "kept")  # a retried action queues nothing new
    with engine.connect() as conn:
        keys = [r.idempotency_key for r in conn.execute(select(T))]
    assert keys == ["kept"]
    with pytest.raises(ValueError):
        with session_scope(engine) as session:
            outbox.enqueue(session, "teleport", "E1", {}, "k")


def test_claim_leases_rows_to_one_worker(engine):
    _queue(engine, "a")
    _queue(engine, "b")
    first = outbox.claim(engine, T, "w1", lease_seconds=60)
    assert [r.idempotency_key for r in first] == ["a", "b"]
    assert outbox.claim(engine, T, "w2") == []  # held by w1
    with engine.begin() as conn:  # w1 died: its lease runs out
        conn.execute(update(T).values(claimed_until=outbox.utcnow() - timedelta(seconds=1)))
    assert len(outbox.claim(engine, T, "w2")) == 2


class FakeShop:
    """Stands for ShopClient in unit tests: scripted answers, counted calls."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.calls = []

    async def _next(self, what):
        self.calls.append(what)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def submit(self, kind, order_no, payload, key):
        return await self._next(("submit", kind, key))

    async def status(self, key):
        return await self._next(("status", key))


def _row(engine, key="k1"):
    with engine.connect() as conn:
        return outbox.find(conn, T, key)


def _due_now(engine):
    with engine.begin() as conn:
        conn.execute(update(T).values(next_attempt_at=outbox.utcnow()))


def test_sender_retries_with_backoff_then_dead_letters(engine):
    _queue(engine)
    shop = FakeShop(ShopUnavailable("down"))
    sender = OutboxSender(engine, T, shop, backoff=Backoff(base=30, max_attempts=3, jitter=0))
    asyncio.run(sender.run_once())
    row = _row(engine)
    assert (row.status, row.attempts, row.last_error) == ("queued", 1, "down")
    asyncio.run(sender.run_once())  # not due yet: 30 s back-off
    assert len(shop.calls) == 1
    for attempts in (2, 3):
        _due_now(engine)
        asyncio.run(sender.run_once())
        assert _row(engine).attempts == attempts
    assert _row(engine).status == "dead"
    with engine.begin() as conn:
        assert outbox.retry(conn, T, _row(engine).id)
    assert (_row(engine).status, _row(engine).attempts) == ("queued", 0)


def test_malformed_request_is_dead_at_once(engine):
    _queue(engine)
    asyncio.run(OutboxSender(engine, T, FakeShop(ShopRejected("400"))).run_once())
    assert _row(engine).status == "dead"


def test_answers_are_recorded_applied_and_told_once(engine):
    _queue(engine, "acc")
    _queue(engine, "ref")
    applied, told = [], []

    def apply(conn, row, answer):
        applied.append((row.idempotency_key, answer.status))

    async def tell(row):
        told.append((row.idempotency_key, row.status, row.reason))
        return True

    class Shop(FakeShop):
        async def submit(self, kind, order_no, payload, key):
            self.calls.append(key)
            return ShopAnswer("accepted", reference="S1") if key == "acc" else \
                ShopAnswer("refused", reason="already packed")

    sender = OutboxSender(engine, T, Shop(None), apply=apply, tell=tell)
    asyncio.run(sender.run_once())
    assert applied == [("acc", "accepted"), ("ref", "refused")]
    assert told == []  # the action that queued them may still be telling the shopper in-line
    with engine.begin() as conn:
        assert outbox.mark_told(conn, T, "acc", "submitted")  # the action said "submitted"
        assert outbox.mark_told(conn, T, "ref", "final")  # this one heard the answer in-line
    asyncio.run(sender.run_once())
    asyncio.run(sender.run_once())
    assert told == [("acc", "accepted", None)]
    assert _row(engine, "ref").reason == "already packed"


def test_pending_is_polled_until_answered(engine):
    _queue(engine)
    shop = FakeShop(ShopAnswer("pending"), ShopAnswer("accepted"))
    sender = OutboxSender(engine, T, shop)
    asyncio.run(sender.run_once())
    assert _row(engine).status == "pending"
    _due_now(engine)
    asyncio.run(sender.run_once())
    assert _row(engine).status == "accepted"
    assert [c[0] for c in shop.calls] == ["submit", "status"]
