"""What the web widget's channel lets in: an Origin allow-list, rate limits on joins and uploads
(the shared Redis limiter, common.ratelimit), and the public base URL picture links are made
from. Settings come from the environment (docs/channels.md, "Web widget"):

* ``WEB_ALLOWED_ORIGINS``: comma-separated origins of the shop pages that embed the widget
  (default: the demo shop, http://127.0.0.1:8080 and http://localhost:8080). A browser sends its
  page's Origin with the socket.io handshake and the upload; any other origin is refused.
* ``WEB_PUBLIC_URL``: the address shoppers and agents reach this Rasa server at (default
  http://127.0.0.1:5005). Links to uploaded pictures are built from it, never from request
  headers such as Host or X-Forwarded-Host, which a client chooses.
* ``REDIS_URL`` (+ ``REDIS_KEY_PREFIX``): where the counters live; without it the limits are off
  (unit tests only: the demo and the stack always have Redis).
"""
from __future__ import annotations

import logging
import os
from typing import Any, List, Mapping, Optional

from common.ratelimit import ALLOWED, Limit, RateLimiter, Verdict, connect

logger = logging.getLogger(__name__)

DEMO_ORIGINS = ("http://127.0.0.1:8080", "http://localhost:8080")
DEFAULT_PUBLIC_URL = "http://127.0.0.1:5005"
# session_request per client address: a reconnecting widget needs a few a minute.
JOIN = Limit("web:join", 120, 60)
# uploads: per client address before the body is read, per session after it.
UPLOAD_FROM = Limit("web:upload-from", 30, 600)
UPLOAD_SESSION = Limit("web:upload", 10, 600)


def upload_bytes_quota(env: Optional[Mapping[str, str]] = None) -> Limit:
    """A session's bytes of pictures a day (``WEB_UPLOAD_DAILY_BYTES``, default 30 MB)."""
    env = os.environ if env is None else env
    return Limit("web:upload-bytes", int(env.get("WEB_UPLOAD_DAILY_BYTES") or 30 * 1024 * 1024), 86400)


def allowed_origins(env: Optional[Mapping[str, str]] = None) -> List[str]:
    env = os.environ if env is None else env
    raw = env.get("WEB_ALLOWED_ORIGINS")
    origins = [o.strip().rstrip("/") for o in raw.split(",")] if raw else list(DEMO_ORIGINS)
    return [o for o in origins if o]


def origin_allowed(origin: Optional[str], allowed: List[str]) -> bool:
    """No Origin: not a browser page (apps, tests), which the allow-list is not about."""
    return not origin or origin.rstrip("/") in allowed


def public_base_url(env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    return (env.get("WEB_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")


class WebLimits:
    """The channel's limiter, connected on first use (inside Sanic's event loop)."""

    def __init__(self, redis_url: Optional[str], prefix: str) -> None:
        self.redis_url, self.prefix = redis_url, prefix
        self._limiter: Optional[RateLimiter] = None
        if not redis_url:
            logger.warning("web channel without REDIS_URL: join and upload limits are off")

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "WebLimits":
        env = os.environ if env is None else env
        prefix = (env.get("REDIS_KEY_PREFIX") or "frontline").rstrip(":") + ":web"
        return cls(env.get("REDIS_URL"), prefix)

    async def hit(self, limit: Limit, subject: str, cost: int = 1) -> Verdict:
        if not self.redis_url:
            return ALLOWED
        if self._limiter is None:
            self._limiter = RateLimiter(connect(self.redis_url), self.prefix)
        return await self._limiter.hit(limit, subject, cost)

    async def refund(self, limit: Limit, subject: str, cost: int = 1) -> None:
        if self._limiter is not None:
            await self._limiter.refund(limit, subject, cost)


def client_address(environ: Optional[Mapping[str, Any]]) -> str:
    """The socket's peer address (engine.io's own REMOTE_ADDR is a constant)."""
    request = (environ or {}).get("sanic.request")
    return str(getattr(request, "ip", "") or (environ or {}).get("REMOTE_ADDR") or "unknown")
