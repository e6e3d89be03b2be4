"""`python -m scripts.production` (`make production`): run Frontline for a shop, not the demo.

Unlike `make demo` it seeds no demo shop, starts no embedded Redis, no WeChat stand-in and no
demo page, creates no demo account and generates no secret: every secret comes from the
environment and is checked first. Each service binds the address its *_HOST variable names,
loopback by default (put a TLS reverse proxy in front of what shoppers and agents reach).
`--check` only reports what is missing. docs/operations.md, "Running in production", lists everything.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Mapping

import yaml

from common import production
from scripts.stack import LOOPBACK, ROOT, Ports, Stack, wait_http

# Secrets every production start needs, and those of each channel when credentials.yml has it.
CORE_SECRETS = ("RASA_TOKEN", "HANDOFF_TOKEN", "ACTION_SERVER_TOKEN", "CHANNEL_PROOF_SECRET")
CHANNEL_SECRETS: Dict[str, tuple] = {
    "bot.channels.wechat.channel.WeChatInput": ("WECHAT_TOKEN", "WECHAT_AES_KEY", "WECHAT_APP_SECRET"),
    "bot.channels.app.AppInput": ("APP_IDENTITY_SECRET",),
    "bot.channels.webchat.WebChatInput": ("WEB_SESSION_SECRET",),
}
# Real services instead of the demo's embedded SQLite and Redis.
SERVICES = ("REDIS_URL", "TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL")


def required_secrets(credentials: Path) -> List[str]:
    channels = yaml.safe_load(credentials.read_text(encoding="utf-8")) or {}
    names = list(CORE_SECRETS)
    for channel, secrets in CHANNEL_SECRETS.items():
        if channel in channels:
            names += list(secrets)
    return names


def check(env: Mapping[str, str], credentials: Path) -> List[str]:
    """Every problem that stops a production start (empty when it may start)."""
    found = [str(p) for p in production.problems(required_secrets(credentials), env)]
    found += [f"{name} is missing (production runs on real Redis and PostgreSQL)"
              for name in SERVICES if not env.get(name)]
    return found


class ProductionStack(Stack):
    """The same processes as the demo, minus everything that only the demo needs."""

    def build_env(self) -> Dict[str, str]:
        env = super().build_env()
        env[production.MODE_ENV] = "production"
        env.pop("HANDOFF_DEMO_AGENT", None)
        # WeChat's real API unless the operator names another (never the demo's local stand-in)
        env["WECHAT_API_BASE"] = os.environ.get("WECHAT_API_BASE", "")
        return env

    def start_rasa(self) -> None:
        cors = ["--cors", *self.env["RASA_CORS_ORIGINS"].split()] if self.env.get("RASA_CORS_ORIGINS") else []
        self._spawn("rasa", [str(Path(sys.executable).parent / "rasa"), "run", "--model", str(self.model),
                             "--endpoints", "endpoints.yml", "--credentials",
                             self.env.get("FRONTLINE_CREDENTIALS", "credentials.yml"),
                             "--enable-api", "--auth-token", self.rasa_token, *cors,
                             "--interface", self.env.get("RASA_HOST") or LOOPBACK,
                             "--port", str(self.ports.rasa)])

    def start(self) -> "ProductionStack":
        self.build_env()
        self.migrate()  # the migration step, before the services (they only check the schema)
        self.start_actions()
        self.start_handoff()
        self.start_rasa()
        wait_http(f"{self.actions_url}/health", 120, "action server", self.procs["actions"])
        wait_http(f"{self.handoff_url}/health", 60, "handoff service", self.procs["handoff"])
        wait_http(f"{self.rasa_url}/", 300, "Rasa server", self.procs["rasa"])
        return self


def main(argv: List[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.production")
    parser.add_argument("--check", action="store_true", help="only check the settings")
    args = parser.parse_args(argv)
    credentials = ROOT / os.environ.get("FRONTLINE_CREDENTIALS", "credentials.yml")
    problems = check(os.environ, credentials)
    if problems:
        print("Frontline refuses to start in production:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    if args.check:
        print("production settings: ok")
        return 0
    ports = Ports(rasa=int(os.environ.get("RASA_PORT") or 5005),
                  actions=int(os.environ.get("ACTIONS_PORT") or 5055),
                  handoff=int(os.environ.get("HANDOFF_PORT") or 5080))
    stack = ProductionStack(ports=ports)
    try:
        stack.start()
    except RuntimeError as error:
        print(f"ERROR: {error}", file=sys.stderr)
        for name in stack.procs:
            print(f"--- var/{name}.log ---\n{stack.log_tail(name)}", file=sys.stderr)
        stack.stop()
        return 1
    print("Frontline is running in production mode; logs in var/*.log. Ctrl-C stops it.", flush=True)
    try:
        while all(proc.poll() is None for proc in stack.procs.values()):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
