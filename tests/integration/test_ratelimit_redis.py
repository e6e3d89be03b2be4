"""The shared limiter (common.ratelimit) on the real Redis: atomic under parallel attempts."""
from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from common.ratelimit import Limit, RateLimiter, connect

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
async def limiter():
    redis = connect(REDIS_URL)
    prefix = f"test:ratelimit:{uuid.uuid4().hex[:8]}"
    yield RateLimiter(redis, prefix)
    async for key in redis.scan_iter(f"{prefix}:*"):
        await redis.delete(key)
    await redis.close()


async def test_parallel_hits_never_pass_the_limit(limiter):
    limit = Limit("t", 5, 60)
    verdicts = await asyncio.gather(*(limiter.hit(limit, "s") for _ in range(50)))
    assert sum(v.allowed for v in verdicts) == 5
    refused = [v for v in verdicts if not v.allowed]
    assert all(55 <= v.retry_after <= 60 for v in refused)
    assert (await limiter.peek(limit, "s")).allowed is False
    assert (await limiter.hit(limit, "other")).allowed  # subjects count apart


async def test_cost_refund_and_reset(limiter):
    quota = Limit("bytes", 100, 60)
    assert (await limiter.hit(quota, "s", cost=60)).allowed
    assert not (await limiter.hit(quota, "s", cost=60)).allowed  # would pass 100
    assert (await limiter.hit(quota, "s", cost=40)).reached  # exactly full: allowed, then locked
    await limiter.refund(quota, "s", cost=40)
    assert (await limiter.peek(quota, "s")).count == 60
    await limiter.reset(quota, "s")
    assert (await limiter.peek(quota, "s")).count == 0


async def test_window_expires(limiter):
    limit = Limit("short", 1, 0.3)
    assert (await limiter.hit(limit, "s")).allowed
    assert not (await limiter.hit(limit, "s")).allowed
    await asyncio.sleep(0.4)
    assert (await limiter.hit(limit, "s")).allowed
