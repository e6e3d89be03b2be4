"""Counting wrong phone-digit answers with the shared limiter (common.ratelimit, on Redis).

Three counters, each a fixed window; reaching any one blocks the check:

* per **order**, keyed on the canonical order number (``E202611180042`` and ``202611180042`` are
  one order), across every conversation: 10 a day leave four digits unguessable;
* per **actor**, keyed on what a new conversation does not reset: the WeChat openid or app user the
  channel verified, else the client address the web channel saw (a looser limit: many shoppers
  can share an address), else (REST: tests and ``make chat``) the conversation;
* per **conversation**, as before.

An attempt is reserved before the digits are compared and given back when they match, so
parallel guesses cannot slip past a limit. Unknown order numbers count like real ones, so a
block says nothing about whether an order exists. Redis down: the check is refused (fail closed).
"""
from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, AsyncIterator, List, Optional, Tuple

from rasa_sdk import Tracker

from actions.identity import link
from common import policy
from common.ratelimit import Limit, RateLimiter, connect

log = logging.getLogger(__name__)

# Security limits, not shop policy; overridable in data/shop.yml under `verification`.
DEFAULT_MAX_ATTEMPTS = 5
DEFAULT_WINDOW_MINUTES = 15
DEFAULT_ORDER_MAX_ATTEMPTS = 10
DEFAULT_ORDER_WINDOW_HOURS = 24
DEFAULT_ADDRESS_MAX_ATTEMPTS = 20


def limits() -> Tuple[int, int]:
    return (int(policy.get("verification.max_attempts", DEFAULT_MAX_ATTEMPTS)),
            int(policy.get("verification.window_minutes", DEFAULT_WINDOW_MINUTES)))


def order_limits() -> Tuple[int, int]:
    return (int(policy.get("verification.order_max_attempts", DEFAULT_ORDER_MAX_ATTEMPTS)),
            int(policy.get("verification.order_window_hours", DEFAULT_ORDER_WINDOW_HOURS)))


def canonical_order(order_id: str) -> str:
    """The order number as counted: upper-case, without the optional leading E."""
    value = str(order_id or "").strip().upper()
    return value[1:] if value.startswith("E") else value


def actor(tracker: Tracker, metadata: dict) -> Tuple[str, Limit]:
    """(subject, limit) of who is asking, as stable as the channel can vouch for."""
    attempts, minutes = limits()
    ident = link.identity_of(tracker)
    if ident is not None and ident.channel in ("wechat", "app"):
        return f"{ident.channel}:{ident.external_id}", Limit("verify:actor", attempts, minutes * 60)
    address = metadata.get("client_address")
    # Only the web channel sets the address (it drops one a page sends) and only its
    # conversations are named web:… (the REST channel names its own rest:…).
    if address and str(tracker.sender_id).startswith("web:"):
        most = int(policy.get("verification.address_max_attempts", DEFAULT_ADDRESS_MAX_ATTEMPTS))
        return f"addr:{address}", Limit("verify:address", most, minutes * 60)
    return f"conv:{tracker.sender_id}", Limit("verify:actor", attempts, minutes * 60)


@dataclass(frozen=True)
class Counter:
    limit: Limit
    subject: str
    scope: str  # conversation | actor | order


def counters(tracker: Tracker, metadata: dict, order_id: Optional[str]) -> List[Counter]:
    attempts, minutes = limits()
    found = [Counter(Limit("verify:conv", attempts, minutes * 60), tracker.sender_id, "conversation")]
    subject, limit = actor(tracker, metadata)
    if not subject.startswith("conv:"):
        found.append(Counter(limit, subject, "actor"))
    if order_id:
        most, hours = order_limits()
        found.append(Counter(Limit("verify:order", most, hours * 3600), canonical_order(order_id),
                             "order"))
    return found


@asynccontextmanager
async def limiter() -> AsyncIterator[RateLimiter]:
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    prefix = (os.environ.get("REDIS_KEY_PREFIX") or "frontline").rstrip(":")
    client = connect(url)
    try:
        yield RateLimiter(client, prefix)
    finally:
        await client.close()


async def blocked_scope(tracker: Tracker, metadata: dict, order_id: Optional[str] = None
                        ) -> Optional[str]:
    """Which counter blocks another attempt ("conversation", "actor", "order"), or None."""
    try:
        async with limiter() as counts:
            for counter in counters(tracker, metadata, order_id):
                if not (await counts.peek(counter.limit, counter.subject)).allowed:
                    return counter.scope
    except Exception as exc:  # noqa: BLE001 - no counters, no guessing
        log.error("verification counters unavailable: %s", exc)
        return "conversation"
    return None


class Attempt:
    """One reserved attempt: ``allowed`` to compare the digits, ``blocked_after`` a failure."""

    def __init__(self, tracker: Tracker, metadata: dict, order_id: Optional[str]) -> None:
        self.tracker, self.metadata, self.order_id = tracker, metadata, order_id
        self.taken: List[Counter] = []
        self.allowed = False
        self.blocked_after = True

    async def reserve(self) -> "Attempt":
        try:
            async with limiter() as counts:
                reached = False
                for counter in counters(self.tracker, self.metadata, self.order_id):
                    verdict = await counts.hit(counter.limit, counter.subject)
                    if not verdict.allowed:
                        await self._give_back(counts)
                        return self
                    self.taken.append(counter)
                    reached = reached or verdict.reached
                self.allowed, self.blocked_after = True, reached
        except Exception as exc:  # noqa: BLE001
            log.error("verification counters unavailable: %s", exc)
        return self

    async def succeeded(self) -> None:
        """The digits matched: the attempt was no guess, give it back."""
        try:
            async with limiter() as counts:
                await self._give_back(counts)
        except Exception as exc:  # noqa: BLE001
            log.warning("could not give back a verification attempt: %s", exc)

    async def _give_back(self, counts: Any) -> None:
        for counter in self.taken:
            await counts.refund(counter.limit, counter.subject)
        self.taken = []
