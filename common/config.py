"""Where the bot side (Rasa, its channels and broker, the action server) finds the handoff service,
and the names both sides must agree on. Read from the environment: secrets never live in files."""
from __future__ import annotations

import os
from typing import Mapping, Optional

from common.production import DEMO_VALUES

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_SERVICE_URL = "http://127.0.0.1:5080"
# A public development default so the service runs alone; production mode refuses it.
DEV_TOKEN = DEMO_VALUES["HANDOFF_TOKEN"]


def redis_prefix(env: Optional[Mapping[str, str]] = None) -> str:
    """HANDOFF_REDIS_PREFIX, else the stack's REDIS_KEY_PREFIX + "handoff", else the default.

    The bot side (bot.broker, actions.handoff.client) and the service must agree on it.
    """
    env = os.environ if env is None else env
    if env.get("HANDOFF_REDIS_PREFIX"):
        return env["HANDOFF_REDIS_PREFIX"]
    if env.get("REDIS_KEY_PREFIX"):
        return env["REDIS_KEY_PREFIX"].rstrip(":") + ":handoff"
    return "frontline:handoff"


def redis_url(env: Optional[Mapping[str, str]] = None) -> str:
    env = os.environ if env is None else env
    return env.get("REDIS_URL") or DEFAULT_REDIS_URL


def service_url() -> str:
    """Where the bot side (actions, the web channel) reaches the handoff service."""
    return (os.environ.get("HANDOFF_URL") or DEFAULT_SERVICE_URL).rstrip("/")


def shared_token() -> str:
    """The secret the bot side signs its calls and stream entries with (common.signing)."""
    return os.environ.get("HANDOFF_TOKEN") or DEV_TOKEN
