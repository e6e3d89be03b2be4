"""Settings of the agent console, read from the environment (secrets never live in files)."""
from __future__ import annotations

import hashlib
import logging
import os
import secrets
from dataclasses import dataclass
from typing import Mapping, Optional

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConsoleSettings:
    # 32 bytes for the Fernet key of the encrypted session cookie.
    secret_key: bytes
    # "1": always Secure, "0": never (plain-http demo on a LAN address), "auto": Secure when
    # the request came over https or to a loopback host (browsers accept those over http).
    cookie_secure: str = "auto"
    session_hours: float = 12.0
    # Lock-out: this many failed logins for one username within the window lock it.
    lockout_attempts: int = 5
    lockout_minutes: float = 15.0
    # ... and this many failed logins from one client address, whatever the usernames, block that
    # address for the window (password spraying). 0 turns it off, e.g. behind a proxy that hides
    # the agents' own addresses.
    lockout_address_attempts: int = 30

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, **overrides: object
                 ) -> "ConsoleSettings":
        env = os.environ if env is None else env
        secret = env.get("CONSOLE_SECRET")
        if not secret:
            # Demo only: sessions then do not survive a restart of the service.
            log.warning("CONSOLE_SECRET is not set; using a random key for this process")
            secret = secrets.token_hex(32)
        values = dict(
            secret_key=hashlib.sha256(secret.encode()).digest(),
            cookie_secure=(env.get("CONSOLE_COOKIE_SECURE") or "auto").lower(),
            session_hours=float(env.get("HANDOFF_SESSION_HOURS") or 12.0),
            lockout_attempts=int(env.get("CONSOLE_LOCKOUT_ATTEMPTS") or 5),
            lockout_minutes=float(env.get("CONSOLE_LOCKOUT_MINUTES") or 15.0),
            lockout_address_attempts=int(env.get("CONSOLE_LOCKOUT_ADDRESS_ATTEMPTS") or 30),
        )
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

