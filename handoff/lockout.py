"""Login lock-out shared by the agent console and the agents' API (``/api/agents/login``).

Both doors count against the same Redis counters (common.ratelimit), per username and per client
address, so switching from the console to the API buys an attacker nothing. An attempt is
reserved *before* the password hash is checked: parallel guesses cannot all slip in under the
limit, and a locked-out attacker costs no bcrypt work. A right password clears the username's
counter and gives back the address's reservation; the address counter otherwise stays, so one
right password does not reset a spraying run.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from aiohttp import web

from common.ratelimit import Limit, RateLimiter

LOCKOUT = web.AppKey("login_lockout", object)


@dataclass(frozen=True)
class Attempt:
    """What a login may do: go ahead, or be refused for ``retry_after`` seconds by ``scope``."""

    allowed: bool
    scope: str = ""  # "user" | "address" when refused
    retry_after: int = 0
    last: bool = False  # the attempt that fills the username's window: failing it locks


class Lockout:
    def __init__(self, redis, prefix: str, attempts: int, minutes: float,
                 address_attempts: int = 0) -> None:
        self.limiter = RateLimiter(redis, prefix)
        self.attempts, self.seconds = attempts, int(minutes * 60)
        self.address_attempts = address_attempts
        self.user = Limit("console:failed", attempts, self.seconds)
        self.address = Limit("console:failed-from", address_attempts, self.seconds)

    @staticmethod
    def subject(username: str) -> str:
        return username.strip().lower()

    def key(self, username: str) -> str:
        return self.limiter.key(self.user, self.subject(username))

    def address_key(self, address: str) -> str:
        return self.limiter.key(self.address, address)

    async def begin(self, username: str, address: Optional[str]) -> Attempt:
        """Reserve one attempt for this username from this address, or say why not."""
        if address and self.address.enabled:
            seen = await self.limiter.peek(self.address, address)
            if not seen.allowed:
                return Attempt(False, "address", seen.retry_after)
        verdict = await self.limiter.hit(self.user, self.subject(username))
        if not verdict.allowed:
            return Attempt(False, "user", verdict.retry_after)
        if address and self.address.enabled:
            spread = await self.limiter.hit(self.address, address)
            if not spread.allowed:  # a parallel run filled the address's window meanwhile
                await self.limiter.refund(self.user, self.subject(username))
                return Attempt(False, "address", spread.retry_after)
        return Attempt(True, last=verdict.reached)

    async def succeeded(self, username: str, address: Optional[str]) -> None:
        await self.limiter.reset(self.user, self.subject(username))
        if address and self.address.enabled:
            await self.limiter.refund(self.address, address)

    async def clear(self, username: str) -> None:
        await self.limiter.reset(self.user, self.subject(username))

    async def clear_address(self, address: str) -> None:
        await self.limiter.reset(self.address, address)


def retry_headers(seconds: int) -> dict:
    return {"Retry-After": str(max(1, int(seconds)))}


def lockout_of(app: web.Application) -> Lockout:
    return app[LOCKOUT]
