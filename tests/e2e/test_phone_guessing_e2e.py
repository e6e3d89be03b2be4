"""Guessing an order's four phone digits, against the running stack (real Rasa, actions, Redis).

The per-order cap counts the order however it is typed (``E2026…``, ``2026…``); new conversations
from one web address share a counter (a new session id does not reset it); nothing of the order
is shown once blocked, even for the right digits.
"""
from __future__ import annotations

import uuid

import redis

from actions.texts import text as msg

ORDER = "E202600000038"  # C0017's, phone ending 0017 (stable demo numbering; no other test uses it)
OTHER = "E202600000040"  # C0017's too
ADDRESS_LIMIT = 6  # tests/e2e/conftest.py sets verification.address_max_attempts


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def test_order_cap_counts_every_spelling_as_one_order(chat, tracker):
    spellings = [ORDER, ORDER[1:], ORDER.lower()]
    for n in range(10):  # one wrong try per conversation: each conversation stays far below 5
        sender = f"e2e-spell-{uuid.uuid4().hex[:8]}"
        chat(sender, "我的快递到哪了")
        assert "后四位" in texts(chat(sender, spellings[n % 3]))
        chat(sender, f"{n + 1:04d}" if n != 7 else "1111")
    sender = f"e2e-spell-{uuid.uuid4().hex[:8]}"
    chat(sender, "我的快递到哪了")
    answer = texts(chat(sender, ORDER[1:]))
    if "后四位" in answer:
        answer = texts(chat(sender, "0017"))  # the right digits
    assert msg("verify_blocked_order", "zh") in answer
    assert not tracker(sender)["slots"].get("verified_orders")


def test_new_web_sessions_from_one_address_share_the_count(web_shopper, tracker, stack):
    anonymous = {"channel": "web"}
    tries = 0
    try:
        while tries < ADDRESS_LIMIT:
            shopper = web_shopper(anonymous)  # a new session: a new sender id
            shopper.say("我的快递到哪了")
            for _ in range(2):
                if tries == ADDRESS_LIMIT:
                    break
                shopper.say(f"E2099{uuid.uuid4().int % 10**8:08d}")
                shopper.say("4321")
                tries += 1
        fresh = web_shopper(anonymous)
        fresh.say("我的快递到哪了")
        answer = texts(fresh.say(OTHER))
        if "后四位" in answer:
            answer = texts(fresh.say("0017"))  # right, but this address is out of tries
        assert "尝试次数过多" in answer, answer
        assert not tracker(fresh.sender_id)["slots"].get("verified_orders")
    finally:  # the whole e2e run shares 127.0.0.1
        client = redis.Redis.from_url(stack.env["REDIS_URL"])
        prefix = stack.env.get("REDIS_KEY_PREFIX", "frontline").rstrip(":")
        client.delete(f"{prefix}:verify:address:addr:127.0.0.1")
