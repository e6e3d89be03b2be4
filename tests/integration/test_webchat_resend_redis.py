"""On the real Redis: a message handled before Rasa restarted is still known afterwards, so
the widget's copy (its answer was lost with the connection) is not handled a second time;
the record expires after a day."""
from __future__ import annotations

import os
import uuid

import pytest
import redis as redis_sync

from bot.channels.webchat_resend import HANDLED_SECONDS, HandledMessages

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_a_restarted_channel_still_knows_a_handled_message():
    prefix = f"test:web:{uuid.uuid4().hex[:8]}"
    env = {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    runs = []

    async def handle():
        runs.append(1)

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
