"""Production mode (FRONTLINE_ENV=production): refuse to start with a default or missing secret.

`make demo` runs on public demo values (they are in this repository) and on secrets generated
per start. A shop's production must run on its own: each service checks the secrets it uses
when it starts and, in production mode, exits naming every one that is missing, too short or
one of the public demo values. Outside production mode nothing is refused here.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional

MODE_ENV = "FRONTLINE_ENV"
LOOPBACK = "127.0.0.1"

# The demo's values: public, so never a secret. scripts.stack and handoff.config use them.
DEMO_VALUES: Dict[str, str] = {
    "HANDOFF_TOKEN": "frontline-dev-handoff-token",
    "WECHAT_TOKEN": "frontline-demo-token",
    "WECHAT_APP_SECRET": "frontline-demo-app-secret",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "HANDOFF_DEMO_AGENT": "demo:frontline-demo",
    # Signs requests to the shop backend and its webhooks (common.shop.signing).
    "SHOP_SECRET": "frontline-demo-shop-secret",
}
DEMO_AGENT_PASSWORD = DEMO_VALUES["HANDOFF_DEMO_AGENT"].partition(":")[2]
# Shortest acceptable value of each secret (the AES key's length is fixed by WeChat).
MIN_LENGTH: Dict[str, int] = {"HANDOFF_TOKEN": 32, "RASA_TOKEN": 32, "ACTION_SERVER_TOKEN": 32,
                              "CHANNEL_PROOF_SECRET": 32, "APP_IDENTITY_SECRET": 32, "WEB_SESSION_SECRET": 32,
                              "WECHAT_TOKEN": 16, "WECHAT_APP_SECRET": 16, "WECHAT_AES_KEY": 43,
                              "SHOP_SECRET": 32}
# Set in production they would create or keep a demo account.
FORBIDDEN = ("HANDOFF_DEMO_AGENT",)


@dataclass(frozen=True)
class Problem:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} {self.reason}"


class DefaultSecretError(SystemExit):
    """Raised at start-up in production mode; the message names every bad setting."""


def is_production(env: Optional[Mapping[str, str]] = None) -> bool:
    env = os.environ if env is None else env
    return (env.get(MODE_ENV) or "").strip().lower() == "production"


def problems(names: Iterable[str], env: Optional[Mapping[str, str]] = None) -> List[Problem]:
    """What is wrong with these secrets (whatever the mode)."""
    env = os.environ if env is None else env
    found: List[Problem] = []
    for name in names:
        value = env.get(name) or ""
        if not value:
            found.append(Problem(name, "is missing"))
        elif value == DEMO_VALUES.get(name):
            found.append(Problem(name, "is the public demo value"))
        elif len(value) < MIN_LENGTH.get(name, 16):
            found.append(Problem(name, f"is shorter than {MIN_LENGTH.get(name, 16)} characters"))
    for name in FORBIDDEN:
        if env.get(name):
            found.append(Problem(name, "must not be set (it creates a demo account)"))
    return found


def require(service: str, names: Iterable[str], env: Optional[Mapping[str, str]] = None) -> None:
    """In production mode, exit naming every missing, short or demo secret of `service`."""
    env = os.environ if env is None else env
    if not is_production(env):
        return
    found = problems(names, env)
    if found:
        lines = "\n".join(f"  - {p}" for p in found)
        raise DefaultSecretError(f"{service} refuses to start in production "
                                 f"({MODE_ENV}=production):\n{lines}")


def bind_host(name: str, env: Optional[Mapping[str, str]] = None) -> str:
    """The address a service listens on: loopback unless the operator names one."""
    env = os.environ if env is None else env
    return (env.get(name) or "").strip() or LOOPBACK
