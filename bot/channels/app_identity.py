"""Signed identity tokens for the mobile-app channel.

The shop's backend (which already knows who is logged in) mints a short-lived HS256 JWT with
APP_IDENTITY_SECRET; the app forwards it with each message. Frontline trusts a user id only when it
comes out of a token that verifies: an id typed into a request body is never used for identity.
The secret must never ship inside the app binary.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import jwt

AUDIENCE = "frontline-app-channel"
ALGORITHM = "HS256"  # pinned: never let the token header choose (no "none", no RS/HS confusion)
MIN_SECRET_BYTES = 32


class IdentityError(Exception):
    """Token rejected; ``reason`` is safe to return to the client (expired, invalid, malformed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AppIdentity:
    user_id: str
    issued_at: int
    expires_at: int


def _check_secret(secret: str) -> bytes:
    raw = secret.encode("utf-8")
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(f"APP_IDENTITY_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    return raw


def issue_identity_token(secret: str, user_id: str, ttl_seconds: int = 900,
                         now: Optional[int] = None, audience: str = AUDIENCE) -> str:
    """What the shop backend runs after login (reference implementation, also used by tests)."""
    issued = int(now if now is not None else time.time())
    claims = {"sub": str(user_id), "aud": audience, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, _check_secret(secret), algorithm=ALGORITHM)


def verify_identity_token(token: str, secret: str, audience: str = AUDIENCE,
                          leeway_seconds: int = 30) -> AppIdentity:
    """Verified identity, or IdentityError. ``leeway`` absorbs small clock drift between servers."""
    try:
        claims = jwt.decode(
            token, _check_secret(secret), algorithms=[ALGORITHM], audience=audience,
            leeway=leeway_seconds, options={"require": ["sub", "exp", "iat", "aud"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise IdentityError("expired") from exc
    except (jwt.InvalidSignatureError, jwt.InvalidAudienceError, jwt.InvalidAlgorithmError) as exc:
        raise IdentityError("invalid") from exc
    except jwt.PyJWTError as exc:
        raise IdentityError("malformed") from exc
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id.strip():
        raise IdentityError("malformed")
    return AppIdentity(user_id=user_id, issued_at=int(claims["iat"]), expires_at=int(claims["exp"]))
