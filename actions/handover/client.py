"""Delivery of a ticket to the handoff service: signed HTTP first, Redis outbox second.

If the service is down, the ticket goes into the service's intake stream (the same stream
the event broker writes, so it is processed before the shopper's next messages) and the
service creates it when it is back: the handoff is retried, never dropped. The entry is
signed (common.streams) like every stream entry, so the service can tell it from a forgery.

A refusal (401/403: this side's HANDOFF_TOKEN is not the service's) is a configuration error,
not an outage: queueing would only be refused again later, so it is logged as such and the
delivery fails at once (the shopper is told honestly, the conversation is not paused).
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Dict, Optional
from urllib.parse import urlsplit

import aiohttp

from common import signing, streams
from common.config import redis_prefix, redis_url, service_url, shared_token
from common.ticket import Ticket

log = logging.getLogger(__name__)
HANDOFF_PATH = "/api/bot/handoffs"


@dataclass
class Delivery:
    status: str  # accepted | queued | failed
    placement: Optional[Dict[str, Any]] = None
    reason: str = ""  # why it failed: refused (configuration), unreachable


class ServiceRefused(Exception):
    """The service refused our signature: HANDOFF_TOKEN differs on the two sides."""


def intake_stream() -> str:
    return streams.stream_key(redis_prefix(), streams.EVENTS)


async def post_ticket(ticket: Ticket, timeout: float = 3.0) -> Dict[str, Any]:
    body = json.dumps(ticket.to_dict(), ensure_ascii=False, default=str).encode()
    url = service_url() + HANDOFF_PATH
    headers = {"Content-Type": "application/json",
               **signing.sign(shared_token(), "POST", urlsplit(url).path, body)}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            if resp.status in (401, 403):
                raise ServiceRefused(f"handoff service answered {resp.status}: "
                                     f"{(await resp.text())[:200]}")
            if resp.status not in (200, 201):
                raise RuntimeError(f"handoff service answered {resp.status}")
            return await resp.json()


async def queue_ticket(ticket: Ticket) -> None:
    from redis import asyncio as aioredis

    client = aioredis.from_url(redis_url(), socket_timeout=3, socket_connect_timeout=3)
    try:
        stream = intake_stream()
        await client.xadd(stream, streams.seal(shared_token(), stream,
                                               streams.handoff_request(ticket.to_dict())))
    finally:
        await client.close()


async def deliver(ticket: Ticket) -> Delivery:
    try:
        return Delivery("accepted", await post_ticket(ticket))
    except ServiceRefused as exc:
        log.error("CONFIGURATION ERROR: the handoff service refused ticket %s (%s); "
                  "HANDOFF_TOKEN of the action server must equal the service's. The ticket "
                  "is not queued: the service would refuse it again.", ticket.handoff_id, exc)
        return Delivery("failed", reason="refused")
    except Exception as exc:  # down, timeout, 5xx: fall back to the durable outbox
        log.warning("handoff service unreachable (%s); queueing ticket %s", exc, ticket.handoff_id)
    try:
        await queue_ticket(ticket)
        return Delivery("queued")
    except Exception as exc:
        log.error("could not queue ticket %s either: %s", ticket.handoff_id, exc)
        return Delivery("failed", reason="unreachable")
