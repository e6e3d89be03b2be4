"""Private Redis counters for the phone-digit checks (actions.identity.verification) of one test."""
from __future__ import annotations

import os
import uuid
from typing import Iterator

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def private_counters(monkeypatch) -> Iterator[str]:
    """Point REDIS_URL / REDIS_KEY_PREFIX at a fresh prefix; delete its keys afterwards."""
    import redis

    prefix = f"test:verify:{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()
