"""On the real Redis: a message handled before Rasa restarted is still known afterwards, so
the widget's copy (its answer was lost with the connection) is not handled a second time;
the record is one bounded set per conversation that expires an hour after its last message."""
from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Dict, List

import pytest
import redis as redis_sync

from bot.channels.webchat_resend import HANDLED_PER_CONVERSATION, HANDLED_SECONDS, HandledMessages

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Handler:
    """A channel's settings under a key prefix of its own, and a handler that counts its runs."""
    prefix: str = field(default_factory=lambda: f"test:web:{uuid.uuid4().hex[:8]}")
    runs: List[int] = field(default_factory=list)

    @property
    def env(self) -> Dict[str, str]:
        return {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": self.prefix}

    async def __call__(self) -> None:
        self.runs.append(1)


async def test_a_restarted_channel_still_knows_a_handled_message():
    handle = Handler()
    env, prefix, runs = handle.env, handle.prefix, handle.runs
    before = HandledMessages.from_env(env)
    assert await before.once("web:abc", "m1", handle)
    after = HandledMessages.from_env(env)  # a new process: nothing in memory
    assert not await after.once("web:abc", "m1", handle)
    assert len(runs) == 1
    client = redis_sync.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= HANDLED_SECONDS
        client.delete(*keys)
    finally:
        client.close()


async def test_handled_ids_are_one_bounded_set_per_conversation():
    handle = Handler()
    env, prefix, runs = handle.env, handle.prefix, handle.runs
    handled = HandledMessages.from_env(env)
    total = HANDLED_PER_CONVERSATION + 30
    for n in range(total):
        assert await handled.once("web:chatty", f"m{n}", handle)
    restarted = HandledMessages.from_env(env)  # Redis alone answers
    assert not await restarted.once("web:chatty", f"m{total - 1}", handle)  # a resend: dropped
    assert not await restarted.once("web:chatty", f"m{total - HANDLED_PER_CONVERSATION}", handle)
    assert len(runs) == total
    client = redis_sync.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        keys = list(client.scan_iter(f"{prefix}:*"))
        assert keys == [handled.key("web:chatty")]  # one key, not one per message
        assert client.zcard(keys[0]) == HANDLED_PER_CONVERSATION
        assert client.object("encoding", keys[0]) in ("ziplist", "listpack")  # compact
        assert client.zscore(keys[0], "m0") is None  # the oldest made room
        assert 0 < client.ttl(keys[0]) <= HANDLED_SECONDS
        # an id older than the window is not a resend any more, even if still in the set
        client.zadd(keys[0], {"m-old": time.time() - HANDLED_SECONDS - 5})
        assert await restarted.once("web:chatty", "m-old", handle)
        client.delete(*keys)
    finally:
        client.close()
