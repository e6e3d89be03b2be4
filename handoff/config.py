"""Settings of the handoff service, read from the environment (secrets never live in files)."""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

from common.config import DEFAULT_REDIS_URL, DEV_TOKEN, redis_prefix
from common.production import LOOPBACK, bind_host

PACKAGE_DIR = Path(__file__).resolve().parent
ROOT_DIR = PACKAGE_DIR.parent
DEFAULT_DB_URL = "sqlite:///var/handoff.db"
# The secrets this service uses, checked at start in production mode (common.production).
SECRETS = ("HANDOFF_TOKEN", "RASA_TOKEN")


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name)
    return float(value) if value not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    db_url: str = DEFAULT_DB_URL
    redis_url: str = DEFAULT_REDIS_URL
    # Every Redis key starts with this prefix so parallel test runs and shops never collide.
    redis_prefix: str = "frontline:handoff"
    # Shared secret between the bot side (action server, broker) and this service.
    token: str = DEV_TOKEN
    host: str = LOOPBACK
    port: int = 5080
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: Optional[str] = None
    routing_file: Path = PACKAGE_DIR / "routing.yml"
    # A consumer name that is stable across restarts, so this instance re-reads its own
    # unacknowledged stream entries after a crash.
    consumer_name: str = field(default_factory=lambda: f"handoff-{socket.gethostname()}")
    # An assigned ticket whose shopper has waited this long for an agent's reply is escalated.
    silence_seconds: float = 300.0
    # How often the escalation task looks for SLA breaches and silent agents.
    sweep_seconds: float = 15.0
    session_hours: float = 12.0
    # How often open agent sockets are checked against their sessions (logout, disable, queues).
    ws_recheck_seconds: float = 2.0
    # Allowed clock skew for signed bot->service requests (replay protection).
    signature_skew_seconds: float = 300.0
    run_workers: bool = True
    # "username:password" of an account created at startup when missing (demo only).
    demo_agent: Optional[str] = None
    timezone: str = "Asia/Shanghai"
    # The WeChat channel's send route secret (agent replies that report window and quota).
    wechat_relay_secret: Optional[str] = None
    # Whether the app channel pushes to a callback URL; without one an agent reply cannot
    # reach an app shopper and is shown as failed.
    app_callback: bool = False
    # False for replicas: the migration step (make migrate, a Job) owns the schema (handoff.schema).
    migrate_on_start: bool = True
    # Run-once work (sweep, ordered stream consumers) is leased for this long (handoff.leases).
    lease_seconds: float = 10.0
    # After a read of the bot's event stream that was not full, the next read waits this long:
    # under load a read then holds many conversations' messages, recorded in one transaction
    # (handoff.event_batch), instead of one message each. The console sees a shopper's message
    # on a ticket at most this much later; the bot's replies never wait for it. 0: no wait.
    events_linger_seconds: float = 0.05

    @property
    def sqlite_path(self) -> Optional[Path]:
        if not self.db_url.startswith("sqlite:///"):
            return None
        raw = self.db_url[len("sqlite:///"):]
        path = Path(raw)
        return path if path.is_absolute() else ROOT_DIR / path

    @property
    def resolved_db_url(self) -> str:
        """Relative SQLite paths are relative to the repository, not to the cwd."""
        path = self.sqlite_path
        if path is None or self.db_url == "sqlite:///:memory:":
            return self.db_url
        return f"sqlite:///{path}"

    @classmethod
    def from_env(cls, env: Optional[Mapping[str, str]] = None, **overrides: object) -> "Settings":
        env = os.environ if env is None else env
        values = dict(
            db_url=env.get("HANDOFF_DB_URL") or DEFAULT_DB_URL,
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            redis_prefix=redis_prefix(env),
            token=env.get("HANDOFF_TOKEN") or DEV_TOKEN,
            host=bind_host("HANDOFF_HOST", env),
            port=int(env.get("HANDOFF_PORT") or 5080),
            rasa_url=(env.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
            rasa_token=env.get("RASA_TOKEN") or None,
            routing_file=Path(env.get("HANDOFF_ROUTING_FILE") or PACKAGE_DIR / "routing.yml"),
            silence_seconds=_float(env, "HANDOFF_SILENCE_SECONDS", 300.0),
            sweep_seconds=_float(env, "HANDOFF_SWEEP_SECONDS", 15.0),
            session_hours=_float(env, "HANDOFF_SESSION_HOURS", 12.0),
            ws_recheck_seconds=_float(env, "HANDOFF_WS_RECHECK_SECONDS", 2.0),
            timezone=env.get("SHOP_TIMEZONE") or "Asia/Shanghai",
            demo_agent=env.get("HANDOFF_DEMO_AGENT") or None,
            wechat_relay_secret=env.get("WECHAT_RELAY_SECRET") or None,
            app_callback=bool(env.get("APP_CALLBACK_URL") and env.get("APP_CALLBACK_SECRET")),
            migrate_on_start=(env.get("HANDOFF_MIGRATE_ON_START") or "1") not in ("0", "false"),
            lease_seconds=_float(env, "HANDOFF_LEASE_SECONDS", 10.0),
            events_linger_seconds=_float(env, "HANDOFF_EVENTS_LINGER_SECONDS", 0.05),
        )
        if env.get("HANDOFF_CONSUMER"):
            values["consumer_name"] = env["HANDOFF_CONSUMER"]
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
