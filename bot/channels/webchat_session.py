"""Web widget sessions: a server-issued secret for the browser, a public id for everyone else.

The widget holds a *session key* the server issued: 128 random bits and an HMAC over them under
``WEB_SESSION_SECRET``, so a browser can neither pick its own nor guess one. The conversation id
(and socket.io room) is ``web:<public id>``, where the public id is a second HMAC of the same
random bits: agents, the queue and the customer card show it, and it joins nothing. Joining a
room, speaking in it, typing in it and uploading to it all take the key.

Without ``WEB_SESSION_SECRET`` a random secret is made for the process (the demo): widget
sessions then start afresh after a restart. Production sets it (32+ random bytes).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
import secrets
from typing import Any, Mapping, Optional

logger = logging.getLogger(__name__)

_RANDOM_CHARS = 22  # 16 bytes, base64url without padding
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{44}$")
PUBLIC_ID_RE = re.compile(r"^[0-9a-f]{32}$")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class SessionKeys:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("WEB_SESSION_SECRET must be at least 16 bytes")
        self._secret = secret

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None) -> "SessionKeys":
        env = os.environ if env is None else env
        secret = env.get("WEB_SESSION_SECRET")
        if not secret:
            logger.warning("WEB_SESSION_SECRET is not set: widget sessions end with this process")
            return cls(secrets.token_bytes(32))
        return cls(secret.encode())

    def _mac(self, purpose: str, nonce: str) -> bytes:
        return hmac.new(self._secret, f"{purpose}:{nonce}".encode(), hashlib.sha256).digest()

    def issue(self) -> str:
        """A new session key for a browser."""
        nonce = secrets.token_urlsafe(16)
        return nonce + _b64(self._mac("key", nonce))[:_RANDOM_CHARS]

    def public_id(self, key: Any) -> Optional[str]:
        """The session's public id when ``key`` is one this server issued, else None."""
        if not isinstance(key, str) or not _KEY_RE.match(key):
            return None
        nonce, tag = key[:_RANDOM_CHARS], key[_RANDOM_CHARS:]
        if not hmac.compare_digest(tag, _b64(self._mac("key", nonce))[:_RANDOM_CHARS]):
            return None
        return self._mac("public", nonce).hex()[:32]
