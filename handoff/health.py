"""What /health and /ready say: the truth about the database, Redis, the streams and the relay.

`/ready` answers 200 only when the service can take work: its database and Redis answer and
it has started. `/health` adds the streams: a consumer that has been failing for a while (Redis
lost, Rasa unreachable for the relay), a group Redis lost, or a backlog above the limit makes it
answer 503 with the problems listed, so a supervisor or a load balancer sees a degraded service.

Frontline relies on Redis to keep queued handoffs and messages: `durability` checks at start-up
that Redis writes an append-only file and never evicts the streams (docs/architecture.md).
"""
from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING, Any, Dict, List, Tuple

from redis.exceptions import ResponseError
from sqlalchemy import text

from handoff import bus

if TYPE_CHECKING:  # pragma: no cover
    from handoff.service import Service

log = logging.getLogger(__name__)
CHECK_TIMEOUT = 3.0
FAILING_AFTER = 5.0  # seconds of failures in a row before a consumer counts as degraded
MAX_LAG = int(os.environ.get("HANDOFF_MAX_LAG") or 1000)
# Eviction policies that can delete a stream (a stream has no TTL, so volatile-* never does).
UNSAFE_EVICTION = {"allkeys-lru", "allkeys-lfu", "allkeys-random"}


async def durability(redis: Any) -> List[str]:
    """Why Redis might lose queued entries; empty when it is configured as Frontline needs."""
    try:
        config = {**await redis.config_get("appendonly"),
                  **await redis.config_get("maxmemory-policy")}
    except ResponseError as exc:  # managed Redis often disables CONFIG
        return [f"cannot read the Redis configuration ({exc}); make sure appendonly is yes "
                f"and maxmemory-policy is noeviction"]
    problems = []
    if str(config.get("appendonly", "")).lower() != "yes":
        problems.append("Redis appendonly is off: a Redis restart loses queued handoffs and "
                        "messages (set appendonly yes)")
    if str(config.get("maxmemory-policy", "")).lower() in UNSAFE_EVICTION:
        problems.append(f"Redis maxmemory-policy {config['maxmemory-policy']} can evict the "
                        f"streams (set noeviction)")
    return problems


async def check_durability_at_start(redis: Any) -> List[str]:
    """Warn (or, with HANDOFF_REQUIRE_DURABLE_REDIS=1, refuse to start) when Redis can lose data."""
    problems = await durability(redis)
    for problem in problems:
        log.warning("Redis durability: %s", problem)
    if problems and os.environ.get("HANDOFF_REQUIRE_DURABLE_REDIS") == "1":
        raise RuntimeError("refusing to start: " + "; ".join(problems))
    return problems


async def _timed(coro: Any) -> Tuple[bool, str]:
    try:
        await asyncio.wait_for(coro, CHECK_TIMEOUT)
        return True, ""
    except Exception as exc:  # whatever the failure, it is the answer
        return False, f"{type(exc).__name__}: {exc}"[:300]


async def report(svc: "Service", full: bool = True) -> Tuple[bool, Dict[str, Any]]:
    problems: List[str] = []
    db_ok, db_error = await _timed(svc.db(lambda db: db.execute(text("SELECT 1")).scalar()))
    if not db_ok:
        problems.append(f"database: {db_error}")
    redis_ok, redis_error = await _timed(svc.redis.ping())
    if not redis_ok:
        problems.append(f"redis: {redis_error}")
    body: Dict[str, Any] = {
        "database": {"ok": db_ok, **({"error": db_error} if db_error else {})},
        "redis": {"ok": redis_ok, **({"error": redis_error} if redis_error else {}),
                  "durability_warnings": svc.durability_warnings},
        "started": svc.started}
    if not svc.started:
        problems.append("starting")
    if full:
        body["streams"] = await _streams(svc, redis_ok, problems)
        body["agents_online"] = svc.hub.online_agents()
    body["ok"] = not problems
    body["problems"] = problems
    return not problems, body


async def _streams(svc: "Service", redis_ok: bool, problems: List[str]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for name, consumer in (("events", svc.consumer("events")), ("relay", svc.consumer("relay"))):
        stream = svc.events_stream if name == "events" else svc.relay_stream
        info: Dict[str, Any] = {}
        if redis_ok:
            try:
                lag = await asyncio.wait_for(bus.group_lag(svc.redis, stream), CHECK_TIMEOUT)
            except Exception as exc:  # Redis went away between the checks
                problems.append(f"{name}: {type(exc).__name__}")
                lag = {}
            if lag is None:
                problems.append(f"{name}: the consumer group is missing (being recreated)")
            elif lag:
                info.update(lag)
                if lag["lag"] + lag["pending"] > MAX_LAG:
                    problems.append(f"{name}: {lag['lag'] + lag['pending']} entries waiting")
        if consumer is not None:
            state = consumer.state
            failing = state.failing_for()
            info.update(handled=state.handled, refused=state.refused,
                        recreated=state.recreated, failing_seconds=round(failing, 1),
                        last_error=state.last_error if failing else "")
            if failing > FAILING_AFTER:
                what = "relay to the shopper" if name == "relay" else "intake"
                problems.append(f"{name}: {what} failing for {failing:.0f} s "
                                f"({state.last_error})")
            if svc.consumer_task_dead(name):
                problems.append(f"{name}: the consumer stopped")
        out[name] = info
    return out
