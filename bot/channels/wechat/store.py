"""Shared state for the WeChat channel: MsgId de-duplication, single-use request nonces, last
buttons per shopper, the customer-service (CS) message window/quota and the cached access token.

A MsgId is claimed with a short lease while its turn runs, made final once the turn is done,
and released when it fails, so WeChat's retry of a message whose turn crashed is processed
again instead of being answered "success" and lost (at-least-once).

What Redis holds per message is bounded. A claim is a key of its own only while the turn runs
(the lease, seconds). A finished MsgId goes into its shopper's set (``dedup:<openid>``, score =
when the record expires), trimmed on every write to what has not expired and to the newest
``FINISHED_PER_SHOPPER``: one small key per shopper seen in the last ``dedup_ttl``, not one per
message, and kept in Redis's compact encoding (a sorted set of at most 101 short members).

Production uses Redis (several Rasa workers must agree on what was already processed); the
in-memory store exists for unit tests and single-process local runs only.
"""
from __future__ import annotations

import json
import time
from typing import Any, Optional, Protocol

import redis.asyncio as aioredis

# WeChat retries a message within ~15 s, so a shopper's few newest ids are what de-duplication
# needs; the cap only bounds a shopper who sends more than this within `dedup_ttl` (one message
# every 9 s for 15 minutes): their oldest records, minutes past any retry, go first. The set
# holds one more between the add and the trim, and Redis keeps it compact up to 128 members
# (zset-max-ziplist-entries; once past it, a set stays in the larger encoding for good).
FINISHED_PER_SHOPPER = 100

# KEYS[1] the shopper's finished set, KEYS[2] the claim; ARGV: now, lease, member.
# A finished id, or one another worker is running, cannot be claimed.
_CLAIM = """
local done = redis.call('ZSCORE', KEYS[1], ARGV[3])
if done and tonumber(done) > tonumber(ARGV[1]) then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) then return 1 end
return 0
"""
# KEYS as above; ARGV: now, ttl, member, cap. Records the id as finished until now + ttl, drops
# what expired and what is over the cap (soonest to expire first), lets the set expire with its
# last record, and ends the claim.
_FINISH = """
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[4]) - 1)
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], math.ceil(tonumber(last[2])) + 1)
redis.call('DEL', KEYS[2])
return 1
"""

# Atomic so that two workers sending to the same shopper cannot both use the last quota unit.
_OPEN_WINDOW = """
local now = tonumber(ARGV[1])
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires') or '0')
local rem = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '0')
if exp <= now then rem = 0 end
local new_exp = math.max(exp, now + tonumber(ARGV[2]))
local new_rem = math.max(rem, tonumber(ARGV[3]))
redis.call('HSET', KEYS[1], 'expires', tostring(new_exp), 'remaining', tostring(new_rem))
redis.call('EXPIREAT', KEYS[1], math.ceil(new_exp) + 60)
return new_rem
"""
_CONSUME = """
local exp = tonumber(redis.call('HGET', KEYS[1], 'expires') or '0')
if exp <= tonumber(ARGV[1]) then return 'outside_window' end
local rem = tonumber(redis.call('HGET', KEYS[1], 'remaining') or '0')
if rem <= 0 then return 'quota_exhausted' end
redis.call('HINCRBY', KEYS[1], 'remaining', -1)
return 'ok'
"""


class WeChatStateStore(Protocol):
    async def claim_message(self, openid: str, key: str, ttl: int) -> bool: ...
    async def finish_message(self, openid: str, key: str, ttl: int) -> None: ...
    async def release_message(self, openid: str, key: str) -> None: ...
    async def claim_nonce(self, nonce: str, digest: str, ttl: int) -> bool: ...
    async def save_buttons(self, openid: str, buttons: list[dict[str, Any]], ttl: int) -> None: ...
    async def get_buttons(self, openid: str) -> list[dict[str, Any]]: ...
    async def clear_buttons(self, openid: str) -> None: ...
    async def open_window(self, openid: str, seconds: int, quota: int) -> None: ...
    async def consume_quota(self, openid: str) -> str: ...
    async def get_token(self) -> Optional[str]: ...
    async def set_token(self, token: str, ttl: int) -> None: ...
    async def delete_token(self) -> None: ...
    async def acquire_lock(self, name: str, ttl: int) -> bool: ...
    async def release_lock(self, name: str) -> None: ...
    async def close(self) -> None: ...


class RedisStateStore:
    """Redis-backed state; every key lives under ``prefix`` (per app id, so accounts don't mix)."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = aioredis.from_url(url, decode_responses=True)
        self.prefix = prefix
        self._open = self._redis.register_script(_OPEN_WINDOW)
        self._consume = self._redis.register_script(_CONSUME)
        self._claim = self._redis.register_script(_CLAIM)
        self._finish = self._redis.register_script(_FINISH)

    def _k(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _dedup_keys(self, openid: str, key: str) -> list[str]:
        return [self._k("dedup", openid), self._k("claim", key)]

    async def claim_message(self, openid: str, key: str, ttl: int) -> bool:
        # Only the first of WeChat's retries gets True; the rest are answered "success".
        return bool(await self._claim(keys=self._dedup_keys(openid, key), args=[time.time(), ttl, key]))

    async def finish_message(self, openid: str, key: str, ttl: int) -> None:
        await self._finish(keys=self._dedup_keys(openid, key),
                           args=[time.time(), ttl, key, FINISHED_PER_SHOPPER])

    async def release_message(self, openid: str, key: str) -> None:
        await self._redis.delete(self._k("claim", key))

    async def claim_nonce(self, nonce: str, digest: str, ttl: int) -> bool:
        # First use binds the nonce to this body; the same body again is WeChat retrying (the
        # MsgId check answers it), another body under a seen nonce is a replay.
        key = self._k("nonce", nonce)
        if await self._redis.set(key, digest, nx=True, ex=ttl):
            return True
        return await self._redis.get(key) == digest

    async def save_buttons(self, openid: str, buttons: list[dict[str, Any]], ttl: int) -> None:
        await self._redis.set(self._k("buttons", openid), json.dumps(buttons, ensure_ascii=False), ex=ttl)

    async def get_buttons(self, openid: str) -> list[dict[str, Any]]:
        raw = await self._redis.get(self._k("buttons", openid))
        return json.loads(raw) if raw else []

    async def clear_buttons(self, openid: str) -> None:
        await self._redis.delete(self._k("buttons", openid))

    async def open_window(self, openid: str, seconds: int, quota: int) -> None:
        await self._open(keys=[self._k("window", openid)], args=[time.time(), seconds, quota])

    async def consume_quota(self, openid: str) -> str:
        return str(await self._consume(keys=[self._k("window", openid)], args=[time.time()]))

    async def get_token(self) -> Optional[str]:
        return await self._redis.get(self._k("access_token"))

    async def set_token(self, token: str, ttl: int) -> None:
        await self._redis.set(self._k("access_token"), token, ex=max(1, ttl))

    async def delete_token(self) -> None:
        await self._redis.delete(self._k("access_token"))

    async def acquire_lock(self, name: str, ttl: int) -> bool:
        return bool(await self._redis.set(self._k("lock", name), "1", nx=True, ex=ttl))

    async def release_lock(self, name: str) -> None:
        await self._redis.delete(self._k("lock", name))

    async def close(self) -> None:
        await self._redis.close()


class InMemoryStateStore:
    """Same semantics as RedisStateStore inside one process (unit tests, local experiments)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[Any, float]] = {}
        self._windows: dict[str, tuple[float, int]] = {}
        self.finished: dict[str, dict[str, float]] = {}  # openid -> {id: expires}, oldest first

    def _get(self, key: str) -> Any:
        value, expires = self._values.get(key, (None, 0.0))
        if value is not None and expires and expires <= time.time():
            self._values.pop(key, None)
            return None
        return value

    def _set(self, key: str, value: Any, ttl: int) -> None:
        self._values[key] = (value, time.time() + ttl)

    async def claim_message(self, openid: str, key: str, ttl: int) -> bool:
        if self.finished.get(openid, {}).get(key, 0.0) > time.time():
            return False
        if self._get("claim:" + key) is not None:
            return False
        self._set("claim:" + key, "1", ttl)
        return True

    async def finish_message(self, openid: str, key: str, ttl: int) -> None:
        now = time.time()
        records = self.finished.setdefault(openid, {})
        records.pop(key, None)
        records[key] = now + ttl
        for old in [k for k, expires in records.items() if expires <= now]:
            del records[old]
        while len(records) > FINISHED_PER_SHOPPER:
            del records[min(records, key=records.__getitem__)]
        self._values.pop("claim:" + key, None)

    async def release_message(self, openid: str, key: str) -> None:
        self._values.pop("claim:" + key, None)

    async def claim_nonce(self, nonce: str, digest: str, ttl: int) -> bool:
        seen = self._get("nonce:" + nonce)
        if seen is None:
            self._set("nonce:" + nonce, digest, ttl)
            return True
        return seen == digest

    async def save_buttons(self, openid: str, buttons: list[dict[str, Any]], ttl: int) -> None:
        self._set("buttons:" + openid, list(buttons), ttl)

    async def get_buttons(self, openid: str) -> list[dict[str, Any]]:
        return list(self._get("buttons:" + openid) or [])

    async def clear_buttons(self, openid: str) -> None:
        self._values.pop("buttons:" + openid, None)

    async def open_window(self, openid: str, seconds: int, quota: int) -> None:
        now = time.time()
        expires, remaining = self._windows.get(openid, (0.0, 0))
        if expires <= now:
            remaining = 0
        self._windows[openid] = (max(expires, now + seconds), max(remaining, quota))

    async def consume_quota(self, openid: str) -> str:
        expires, remaining = self._windows.get(openid, (0.0, 0))
        if expires <= time.time():
            return "outside_window"
        if remaining <= 0:
            return "quota_exhausted"
        self._windows[openid] = (expires, remaining - 1)
        return "ok"

    async def get_token(self) -> Optional[str]:
        return self._get("access_token")

    async def set_token(self, token: str, ttl: int) -> None:
        self._set("access_token", token, max(1, ttl))

    async def delete_token(self) -> None:
        self._values.pop("access_token", None)

    async def acquire_lock(self, name: str, ttl: int) -> bool:
        if self._get("lock:" + name) is not None:
            return False
        self._set("lock:" + name, "1", ttl)
        return True

    async def release_lock(self, name: str) -> None:
        self._values.pop("lock:" + name, None)

    async def close(self) -> None:
        return None
