"""Replicas behind nginx with one of each kind killed mid-run: is any message lost or doubled?

Two replicas of Rasa, the action server and the handoff service (the short form: one Rasa)
run on loopback behind Debian's nginx (scripts.lb), on real PostgreSQL (a fresh database) and
Redis (a fresh key prefix). Shoppers ask for a person over REST; one agent per handoff
instance, each on its own instance's WebSocket, claims what it is told about and replies.
Mid-run one replica of each kind is killed (SIGKILL; the handoff instance is the one holding
the relay stream). Then every conversation is checked: each shopper message exactly once in
Rasa's tracker (and, after the handoff, on the ticket); each agent reply exactly once in the
tracker. Throughput is turns per second through nginx with two replicas over one.

Ends with one line: `lost L duplicated D cross-instance C throughput R`.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import aiohttp

from scripts.lb import render
from scripts.stack import BIN, ROOT, Ports, Stack, wait_http

PG_ADMIN = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PASSWORD = "scale test agent password"
FOLLOW_UPS = ("我再补充一下订单情况", "麻烦快一点处理")
REPLIES = ("您好,我来处理", "已经帮您加急")
# A Rasa replica killed mid-turn leaves its conversation's lock ticket in Redis until the
# ticket's lifetime ends; the next turn on another replica waits for it. A client that gave up
# sooner would queue a second ticket behind the first (and a retry that is processed twice).
LOCK_LIFETIME = 20
TURN_TIMEOUT = 3 * LOCK_LIFETIME


def free_port() -> int:
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if not found:
        raise SystemExit("nginx is missing: apt-get install nginx-light (make scale-test does)")
    return found


@dataclass
class Proc:
    name: str
    kind: str
    port: int
    popen: subprocess.Popen
    cmd: List[str] = field(default_factory=list)
    extra: Optional[Callable[[int], Dict[str, str]]] = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class Tally:
    lost: int = 0
    duplicated: int = 0
    cross: int = 0
    detail: List[str] = field(default_factory=list)

    def count(self, what: str, cid: str, found: int) -> None:
        if found == 0:
            self.lost += 1
            self.detail.append(f"lost {what} in {cid}")
        elif found > 1:
            self.duplicated += found - 1
            self.detail.append(f"{found}x {what} in {cid}")


class Cluster:
    def __init__(self, rasa: int, actions: int, handoff: int, var: Path):
        self.counts = {"rasa": rasa, "actions": actions, "handoff": handoff}
        self.var = var
        self.lb = {k: free_port() for k in self.counts}
        self.procs: List[Proc] = []
        self.nginx: Optional[subprocess.Popen] = None
        self.database = f"frontline_scale_{uuid.uuid4().hex[:8]}"
        self.prefix = f"flscale:{uuid.uuid4().hex[:6]}:"
        self.stack = Stack(ports=Ports(rasa=self.lb["rasa"], actions=self.lb["actions"],
                                       handoff=self.lb["handoff"], web=free_port(),
                                       redis=free_port(), wechat_api=free_port(),
                                       shop=free_port()),
                           var=var, quiet=True)

    # -- setup -------------------------------------------------------------------------------
    def start(self) -> None:
        import sqlalchemy as sa
        # nginx's workers run as an unprivileged user when started by root: let them write
        # their temp files here.
        self.var.chmod(0o755)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.var / f"nginx-{kind}").mkdir(exist_ok=True)
            (self.var / f"nginx-{kind}").chmod(0o777)
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.database}"'))
        admin.dispose()
        url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{self.database}"
        saved = dict(os.environ)
        os.environ.update(STORE_URL=url, HANDOFF_DB_URL=url, TRACKER_URL=url.replace("+psycopg2", ""),
                          REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=self.prefix,
                          HANDOFF_LEASE_SECONDS="3", SANIC_WORKER_COUNT="1",
                          TICKET_LOCK_LIFETIME=str(LOCK_LIFETIME))
        try:
            self.env = self.stack.build_env()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.stack.migrate()  # the step, once; replicas only check the schema
        self.stack.seed_store()
        subprocess.run([sys.executable, "-m", "handoff.accounts", "add", "agent0", "--role",
                        "supervisor"], cwd=ROOT, env=dict(self.env, HANDOFF_AGENT_PASSWORD=PASSWORD),
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "-m", "handoff.accounts", "add", "agent1", "--role",
                        "supervisor"], cwd=ROOT, env=dict(self.env, HANDOFF_AGENT_PASSWORD=PASSWORD),
                       check=True, stdout=subprocess.DEVNULL)
        for i in range(self.counts["handoff"]):
            self.spawn("handoff", i, [sys.executable, "-m", "handoff"],
                       lambda port, i=i: {"HANDOFF_PORT": str(port), "HANDOFF_CONSUMER": f"handoff-{i}"})
        for i in range(self.counts["actions"]):
            self.spawn("actions", i, [sys.executable, "-m", "actions.server", "--port", "{port}"])
        for i in range(self.counts["rasa"]):
            self.spawn("rasa", i, [str(BIN / "rasa"), "run", "--model", str(self.stack.model),
                                   "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
                                   "--enable-api", "--auth-token", self.stack.rasa_token,
                                   "--interface", "127.0.0.1", "--port", "{port}"])
        for p in list(self.procs):
            self.wait_up(p)
        self.reload(replicas=2)

    def wait_up(self, proc: Proc, tries: int = 3) -> None:
        """Wait until healthy; a free port taken by someone else meanwhile: another port."""
        path = {"rasa": "/", "actions": "/health", "handoff": "/health"}[proc.kind]
        for attempt in range(tries):
            try:
                wait_http(f"http://{proc.address}{path}", 300, proc.name, proc.popen)
                return
            except RuntimeError:
                if proc.popen.poll() is None or attempt == tries - 1:
                    raise
            self.procs.remove(proc)
            proc = self.spawn(proc.kind, int(proc.name[-1]), proc.cmd, proc.extra)

    def spawn(self, kind: str, i: int, cmd: List[str], extra=None) -> Proc:
        port = free_port()
        env = dict(self.env, **(extra(port) if extra else {}))
        log = open(self.var / f"{kind}{i}.log", "ab")
        popen = subprocess.Popen([c.replace("{port}", str(port)) for c in cmd], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        proc = Proc(f"{kind}{i}", kind, port, popen, cmd, extra)
        self.procs.append(proc)
        return proc

    def alive(self, kind: str) -> List[Proc]:
        return sorted((p for p in self.procs if p.kind == kind and p.popen.poll() is None),
                      key=lambda p: p.name)

    def reload(self, replicas: int) -> None:
        """(Re)write nginx.conf with the first `replicas` live replicas of each kind."""
        ups = {k: [p.address for p in self.alive(k)][:replicas] for k in self.counts}
        conf = self.var / "nginx.conf"
        conf.write_text(render(ups["rasa"], ups["actions"], ups["handoff"],
                               {k: f"127.0.0.1:{v}" for k, v in self.lb.items()}, str(self.var)))
        if self.nginx is None:
            self.nginx = subprocess.Popen([nginx_binary(), "-c", str(conf), "-p", str(self.var),
                                           "-g", "daemon off;"], start_new_session=True)
            time.sleep(0.5)
        else:
            self.nginx.send_signal(signal.SIGHUP)
            time.sleep(1.0)  # the old workers finish what they have; new ones take the new conf

    def kill(self, proc: Proc) -> None:
        os.killpg(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait()

    def stop(self) -> None:
        for p in self.procs:
            if p.popen.poll() is None:
                os.killpg(p.popen.pid, signal.SIGTERM)
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.terminate()
        for p in self.procs:
            try:
                p.popen.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.popen.pid, signal.SIGKILL)
        import redis
        import sqlalchemy as sa
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", future=True)
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)'))
        admin.dispose()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{self.prefix}*"):
            client.delete(key)
        client.close()


# -- the shoppers ----------------------------------------------------------------------------
UNANSWERED: List[str] = []  # turns no replica answered: "<conversation> <text>: <last error>"


async def say(http: aiohttp.ClientSession, lb: str, cid: str, text: str, tries: int = 12) -> bool:
    """One REST turn, retried like a client would when a replica dies under it."""
    body = {"sender": cid, "message": text}
    last = ""
    for attempt in range(tries):
        try:
            async with http.post(f"{lb}/webhooks/rest/webhook", json=body,
                                 headers={"X-Frontline-Sender": cid},
                                 timeout=aiohttp.ClientTimeout(total=TURN_TIMEOUT)) as resp:
                if resp.status == 200:
                    await resp.read()
                    return True
                last = f"HTTP {resp.status}: {(await resp.text())[:120]}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            last = repr(exc)[:120]
        await asyncio.sleep(0.5 + attempt * 0.2)
    UNANSWERED.append(f"{cid} {text!r}: {last}")
    return False


async def throughput(http, lb: str, run: str, n: int, concurrency: int = 8) -> float:
    gate = asyncio.Semaphore(concurrency)

    async def one(k: int) -> None:
        async with gate:
            cid = f"rest:{run}-{k}"
            if not await say(http, lb, cid, "你好"):
                raise RuntimeError(f"no answer before any replica was killed: {UNANSWERED[-1]}")
            await say(http, lb, cid, "包邮吗")
    start = time.monotonic()
    await asyncio.gather(*(one(k) for k in range(n)))
    return 2 * n / (time.monotonic() - start)


# -- the agents --------------------------------------------------------------------------------
class Agent:
    def __init__(self, name: str, cluster: Cluster, http: aiohttp.ClientSession, run: str):
        self.name, self.cluster, self.http, self.run = name, cluster, http, run
        self.instance: Optional[Proc] = None
        self.claimed: Dict[int, str] = {}  # ticket id -> conversation
        self.crossed: set = set()  # tickets whose ticket.new came from the other instance
        self.task: Optional[asyncio.Task] = None
        self.headers: Dict[str, str] = {}
        self.polled: set = set()  # tickets claimed from the list, not from a live event
        self.online = asyncio.Event()  # its socket is subscribed (the service said hello)

    def url(self) -> str:
        return f"http://{self.instance.address}"

    async def login(self) -> Dict[str, str]:
        async with self.http.post(f"{self.url()}/api/agents/login",
                                  json={"username": self.name, "password": PASSWORD}) as resp:
            return {"Authorization": f"Bearer {(await resp.json())['token']}"}

    async def work(self, home: int) -> None:
        while True:
            live = self.cluster.alive("handoff")
            self.instance = next((p for p in live if p.name == f"handoff{home}"), live[0])
            try:
                headers = await self.login()
                async with self.http.ws_connect(f"{self.url()}/api/ws", headers=headers) as ws:
                    self.headers = headers
                    await self.catch_up(headers)  # what arrived while the socket was down
                    async for msg in ws:
                        if msg.type != aiohttp.WSMsgType.TEXT:
                            break
                        event = msg.json()
                        if event.get("type") == "hello":
                            self.online.set()
                        elif event.get("type") == "ticket.new":
                            t = event["ticket"]
                            here = f"handoff-{self.instance.name[-1]}"
                            if event.get("origin") and event["origin"] != here:
                                self.crossed.add(t["id"])
                            await self.handle(headers, t["id"], t["conversation_id"])
            except asyncio.CancelledError:
                raise
            except Exception:  # the instance died under the socket: log in again elsewhere
                pass
            await asyncio.sleep(0.5)

    async def catch_up(self, headers) -> None:
        async with self.http.get(f"{self.url()}/api/tickets", headers=headers) as resp:
            tickets = (await resp.json()).get("tickets", [])
        for t in tickets:
            if t["status"] in ("waiting", "transferred"):
                if await self.handle(headers, t["id"], t["conversation_id"]):
                    self.polled.add(t["id"])

    async def poll(self) -> None:
        """What the console's queue page shows: a ticket whose live event this agent missed."""
        while True:
            await asyncio.sleep(5)
            try:
                await self.catch_up(self.headers)
            except asyncio.CancelledError:
                raise
            except Exception:
                pass

    async def handle(self, headers, tid: int, cid: str) -> bool:
        if not cid.startswith(f"rest:{self.run}"):
            return False
        async with self.http.post(f"{self.url()}/api/tickets/{tid}/claim", headers=headers) as resp:
            if resp.status != 200:
                return False  # the other agent has it
        self.claimed[tid] = cid
        asyncio.ensure_future(self.reply(tid))
        return True

    async def reply(self, tid: int) -> None:
        for n, text in enumerate(REPLIES):
            for _ in range(60):  # a dead instance: the same client id through another
                try:
                    async with self.http.post(f"{self.url()}/api/tickets/{tid}/messages",
                                              headers=self.headers,
                                              json={"text": text, "client_id": f"{tid}-{n}"}) as r:
                        if r.status in (200, 201):
                            break
                except asyncio.CancelledError:
                    raise
                except Exception:
                    pass
                await asyncio.sleep(0.5)
                live = self.cluster.alive("handoff")
                if self.instance not in live:
                    self.instance = live[0]
                    self.headers = await self.login()


async def scenario(cluster: Cluster, conversations: int, throughput_n: int,
                   concurrency: int) -> Tally:
    rasa_lb = f"http://127.0.0.1:{cluster.lb['rasa']}"
    run = uuid.uuid4().hex[:6]
    tally = Tally()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        await throughput(http, rasa_lb, f"warm{run}", 4)
        rates: Dict[int, List[float]] = {1: [], 2: []}
        for n, replicas in enumerate((1, 2, 2, 1)):  # ABBA: neither gets the warmer machine
            cluster.reload(replicas=replicas)
            rates[replicas].append(await throughput(http, rasa_lb, f"tp{n}{run}",
                                                    throughput_n // 2, concurrency))
        one, two = (sum(rates[r]) / len(rates[r]) for r in (1, 2))
        ratio = two / one
        cluster.reload(replicas=2)  # the run below goes through every replica
        print(f"throughput: one replica each {one:.1f} turns/s, two {two:.1f} turns/s", flush=True)

        agents = [Agent(f"agent{i}", cluster, http, run) for i in range(2)]
        for i, agent in enumerate(agents):
            agent.task = asyncio.create_task(agent.work(home=i))
            agent.poller = asyncio.create_task(agent.poll())
        # Shoppers start once both agents are subscribed: a handoff before that reaches its
        # agent only through the queue list, and the run would prove nothing about fan-out.
        await asyncio.wait_for(asyncio.gather(*(a.online.wait() for a in agents)), 120)
        gate = asyncio.Semaphore(concurrency)
        done = 0

        async def shopper(k: int) -> None:
            nonlocal done
            async with gate:
                cid = f"rest:{run}-{k}"
                await say(http, rasa_lb, cid, "转人工")
                for text in FOLLOW_UPS:
                    await say(http, rasa_lb, cid, text)
                done += 1

        async def killer() -> None:
            while done < conversations * 0.4:
                await asyncio.sleep(0.2)
            import redis.asyncio as aioredis
            r = aioredis.from_url(REDIS_URL, decode_responses=True)
            holder = await r.get(f"{cluster.prefix}handoff:lease:relay")
            await r.close()
            for kind in ("rasa", "actions", "handoff"):
                live = cluster.alive(kind)
                if len(live) < 2:
                    continue
                victim = next((p for p in live if f"handoff-{p.name[-1]}" == holder), live[-1])
                cluster.kill(victim)
                print(f"killed {victim.name} after {done} conversations", flush=True)
        started = time.monotonic()
        await asyncio.gather(killer(), *(shopper(k) for k in range(conversations)))
        print(f"{conversations} conversations in {time.monotonic() - started:.0f} s", flush=True)

        # settle: every ticket claimed and both replies in the tracker, or time out
        expected = {f"rest:{run}-{k}" for k in range(conversations)}
        deadline = time.monotonic() + 120
        trackers: Dict[str, dict] = {}
        token = cluster.stack.rasa_token
        while time.monotonic() < deadline:
            claimed = {c for a in agents for c in a.claimed.values()}
            if expected <= claimed:
                pending = [c for c in expected if len([
                    e for e in trackers.get(c, {}).get("events", [])
                    if e.get("event") == "bot" and e.get("text") in REPLIES]) < len(REPLIES)]
                if not pending:
                    break
                for cid in pending:
                    async with http.get(f"{rasa_lb}/conversations/{cid}/tracker",
                                        params={"token": token}) as resp:
                        trackers[cid] = await resp.json()
            await asyncio.sleep(1.0)
        for a in agents:
            a.task.cancel()
            a.poller.cancel()
        polled = sum(len(a.polled) for a in agents)
        print(f"claimed from the queue list rather than a live event: {polled}", flush=True)

        headers = await agents[0].login()
        for cid in sorted(expected):
            async with http.get(f"{rasa_lb}/conversations/{cid}/tracker",
                                params={"token": token}) as resp:
                events = (await resp.json()).get("events", [])
            users = [e.get("text") for e in events if e.get("event") == "user"]
            bots = [e.get("text") for e in events if e.get("event") == "bot"]
            for text in ("转人工", *FOLLOW_UPS):
                tally.count(f"shopper message {text!r} (tracker)", cid, users.count(text))
            for text in REPLIES:
                tally.count(f"agent reply {text!r} (tracker)", cid, bots.count(text))
            tid = next((t for a in agents for t, c in a.claimed.items() if c == cid), None)
            if tid is None:
                tally.count("ticket", cid, 0)
                continue
            async with http.get(f"{agents[0].url()}/api/tickets/{tid}/messages",
                                headers=headers) as resp:
                stored = [m["text"] for m in (await resp.json())["messages"] if m["role"] == "shopper"]
            for text in FOLLOW_UPS:
                tally.count(f"shopper message {text!r} (ticket)", cid, stored.count(text))
            if any(tid in a.crossed for a in agents):
                tally.cross += 1
    tally.ratio = ratio  # type: ignore[attr-defined]
    return tally


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--short", action="store_true",
                        help="the form inside make test: one Rasa, 40 conversations")
    parser.add_argument("--conversations", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    conversations = args.conversations or (40 if args.short else 300)
    var = Path(tempfile.mkdtemp(prefix="frontline-scale-"))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up (finally) when stopped
    cluster = Cluster(rasa=1 if args.short else 2, actions=2, handoff=2, var=var)
    print(f">> scale test: {cluster.counts} behind nginx; logs in {var}", flush=True)
    try:
        cluster.start()
        tally = asyncio.run(scenario(cluster, conversations, 20 if args.short else 60,
                                     args.concurrency))
    finally:
        cluster.stop()
    for line in UNANSWERED[:10] + tally.detail[:20]:
        print(line)
    print(f"lost {tally.lost} duplicated {tally.duplicated} cross-instance {tally.cross} "
          f"throughput {tally.ratio:.2f}")
    return 0 if tally.lost == 0 and tally.duplicated == 0 else 1


if __name__ == "__main__":
    random.seed()
    sys.exit(main())
