"""Signing of bot-side -> handoff-service requests with the shared secret HANDOFF_TOKEN.

HMAC-SHA256 over timestamp, method, path and body: a forged or altered call fails, and a
captured one cannot be replayed after the allowed clock skew. The secret never travels.
"""
from __future__ import annotations

import hashlib
import hmac
import time
from typing import Dict, Optional

TIMESTAMP_HEADER = "X-Handoff-Timestamp"
SIGNATURE_HEADER = "X-Handoff-Signature"


def _mac(secret: str, timestamp: str, method: str, path: str, body: bytes) -> str:
    message = b"\n".join([timestamp.encode(), method.upper().encode(), path.encode(), body])
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, method: str, path: str, body: bytes = b"",
         now: Optional[float] = None) -> Dict[str, str]:
    """Headers to add to a request; `path` is the URL path without host or query."""
    timestamp = str(int(now if now is not None else time.time()))
    return {TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: "sha256=" + _mac(secret, timestamp, method, path, body)}


def verify(secret: str, method: str, path: str, body: bytes, headers: Dict[str, str],
           skew_seconds: float = 300.0, now: Optional[float] = None) -> bool:
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    signature = headers.get(SIGNATURE_HEADER, "")
    if not timestamp.isdigit() or not signature.startswith("sha256="):
        return False
    current = now if now is not None else time.time()
    if abs(current - int(timestamp)) > skew_seconds:
        return False
    expected = _mac(secret, timestamp, method, path, body)
    return hmac.compare_digest(expected, signature[len("sha256="):])
