"""HMAC-SHA256 signatures over timestamp + body, the same both ways (requests and webhooks).

    X-Frontline-Timestamp: <unix seconds>
    X-Frontline-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>." + body)>

The timestamp is inside the signature, so an old request cannot be replayed with a fresh one;
the receiver also refuses timestamps outside its window and remembers event ids it has seen.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import time
from dataclasses import dataclass
from typing import Dict, Mapping, Optional

from common import production

SECRET_ENV = "SHOP_SECRET"
TIMESTAMP_HEADER = "X-Frontline-Timestamp"
SIGNATURE_HEADER = "X-Frontline-Signature"
EVENT_HEADER = "X-Frontline-Event-Id"
IDEMPOTENCY_HEADER = "Idempotency-Key"
WINDOW_SECONDS = 300
MAX_BODY = 1024 * 1024


class SignatureError(ValueError):
    """Why a signed message was refused (missing header, bad signature, stale timestamp)."""


def shop_secret(env: Optional[Mapping[str, str]] = None) -> str:
    """The shared secret; the public demo value outside production (production refuses it)."""
    env = os.environ if env is None else env
    return env.get(SECRET_ENV) or production.DEMO_VALUES[SECRET_ENV]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def sign(secret: str, body: bytes, now: Optional[float] = None) -> Dict[str, str]:
    """The headers that sign `body`."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


@dataclass(frozen=True)
class Verified:
    timestamp: int


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: Optional[float] = None,
           window: int = WINDOW_SECONDS) -> Verified:
    """Raise SignatureError unless `body` carries a valid, fresh signature."""
    if len(body) > MAX_BODY:
        raise SignatureError("body too large")
    stamp = headers.get(TIMESTAMP_HEADER) or ""
    given = headers.get(SIGNATURE_HEADER) or ""
    if not stamp or not given:
        raise SignatureError("missing signature headers")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise SignatureError("timestamp is not a number") from None
    if abs((now if now is not None else time.time()) - timestamp) > window:
        raise SignatureError("timestamp outside the accepted window")
    if not hmac.compare_digest(given.encode(), signature(secret, stamp, body).encode()):
        raise SignatureError("bad signature")
    return Verified(timestamp)
