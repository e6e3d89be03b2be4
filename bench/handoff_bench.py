"""Handoff latency benchmark (PRODUCT.md §8: both p95 <= 200 ms).

  decision -> ticket in an agent's WebSocket: from the moment the bot decides to hand off
      (ticket built from the tracker, summary rendered, HMAC-signed POST) until a logged-in
      agent's socket receives `ticket.new`;
  agent -> shopper relay: from the agent's POST of a message until Rasa's HTTP API (here a
      stand-in that records `tracker/events` calls, as the socket.io output would emit) gets it.

The service runs as its own process (`python -m handoff`) on real Redis and SQLite or
PostgreSQL; this process plays the bot, the agent console and Rasa.

  .venv/bin/python bench/handoff_bench.py [--n 200] [--db-url URL] [--concurrency 4]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actions.handover.client import deliver  # noqa: E402
from actions.handover.ticket import build_ticket  # noqa: E402
from handoff.agents import create_agent  # noqa: E402
from handoff.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from handoff.render import fill  # noqa: E402

TOKEN, RASA_TOKEN, PASSWORD = "bench-secret", "bench-rasa", "bench password"


def pct(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def describe(values: List[float]) -> Dict[str, float]:
    return {"n": len(values), "p50_ms": round(pct(values, 50), 1), "p95_ms": round(pct(values, 95), 1),
            "max_ms": round(max(values), 1), "mean_ms": round(statistics.mean(values), 1)}


def fake_events(i: int) -> List[dict]:
    t = time.time()
    emo = {"label": "angry", "negative": True, "score": 0.8, "cues": ["太慢"], "risk_flags": []}
    return [{"event": "user", "text": "我的快递到哪了", "timestamp": t - 5,
             "parse_data": {"intent": {"name": "order_status", "confidence": 0.97},
                            "entities": [{"entity": "order_id", "value": f"E2026{i:08d}"}]}},
            {"event": "bot", "text": "您的订单运输中", "timestamp": t - 4},
            {"event": "user", "text": "太慢了,转人工", "timestamp": t - 1,
             "parse_data": {"intent": {"name": "request_human", "confidence": 0.99},
                            "entities": [], "emotion": emo}}]


ORDER = {"order_id": "E1", "status": "in_transit", "amount": 1299.0, "carrier": "SF",
         "tracking_no": "SF1234567890123", "items": [{"name_zh": "咖啡机", "quantity": 1}],
         "last_event": {"place": "上海", "description": "到达转运中心"},
         "hours_since_last_event": 60.0}


class RasaStandIn:
    def __init__(self) -> None:
        self.waiters: Dict[str, asyncio.Future] = {}
        self.arrived: Dict[str, float] = {}

    async def append(self, request: web.Request) -> web.Response:
        for event in await request.json():
            relay = ((event.get("metadata") or {}).get("handoff") or {}).get("relay_id")
            self.arrived[relay] = time.perf_counter()
            future = self.waiters.pop(relay, None)
            if future is not None and not future.done():
                future.set_result(self.arrived[relay])
        return web.json_response({})

    async def wait(self, relay_id: str) -> float:
        if relay_id in self.arrived:  # it may arrive before the POST's answer does
            return self.arrived[relay_id]
        future = self.waiters[relay_id] = asyncio.get_running_loop().create_future()
        return await asyncio.wait_for(future, 10)


async def run(args) -> Dict[str, Dict[str, float]]:
    prefix = f"bench:handoff:{uuid.uuid4().hex[:8]}"
    tmp = Path(tempfile.mkdtemp(prefix="handoff-bench-"))
    db_url = args.db_url or f"sqlite:///{tmp / 'handoff.db'}"
    schema = None
    if db_url.startswith("postgresql"):  # a schema of its own, dropped afterwards
        from sqlalchemy import create_engine, text
        schema = f"handoff_bench_{uuid.uuid4().hex[:8]}"
        with create_engine(db_url, future=True).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db_url += ("&" if "?" in db_url else "?") + f"options=-csearch_path%3D{schema}"
    engine = make_engine(db_url)
    migrate(engine)
    with make_sessionmaker(engine).begin() as db:
        create_agent(db, "bench", PASSWORD, role="supervisor")
    engine.dispose()

    stand_in = RasaStandIn()
    app = web.Application()
    app.router.add_post("/conversations/{cid}/tracker/events", stand_in.append)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    rasa_url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"

    port = args.port
    env = dict(os.environ, HANDOFF_DB_URL=db_url, REDIS_URL=args.redis_url,
               HANDOFF_REDIS_PREFIX=prefix, HANDOFF_TOKEN=TOKEN, HANDOFF_PORT=str(port),
               RASA_URL=rasa_url, RASA_TOKEN=RASA_TOKEN, PYTHONPATH=str(ROOT))
    os.environ.update(HANDOFF_URL=f"http://127.0.0.1:{port}", HANDOFF_TOKEN=TOKEN,
                      HANDOFF_REDIS_PREFIX=prefix, REDIS_URL=args.redis_url)
    log = open(tmp / "handoff.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "handoff"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    http = aiohttp.ClientSession()
    try:
        for _ in range(200):
            try:
                async with http.get(f"{base}/health") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        async with http.post(f"{base}/api/agents/login",
                             json={"username": "bench", "password": PASSWORD}) as resp:
            headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
        ws = await http.ws_connect(f"{base}/api/ws", headers=headers)
        await ws.receive_json()
        seen: Dict[str, asyncio.Future] = {}

        async def reader():
            async for msg in ws:
                data = json.loads(msg.data)
                if data.get("type") == "ticket.new":
                    future = seen.pop(data["ticket"]["handoff_id"], None)
                    if future is not None and not future.done():
                        future.set_result((time.perf_counter(), data["ticket"]["id"]))
        reader_task = asyncio.create_task(reader())
        loop = asyncio.get_running_loop()
        decision: List[float] = []
        relay: List[float] = []
        sem = asyncio.Semaphore(args.concurrency)

        async def one(i: int) -> None:
            async with sem:
                start = time.perf_counter()  # the bot decides to hand off
                ticket = build_ticket(fake_events(i), {"language": "zh"}, f"bench-{prefix}-{i}",
                                      "socketio", lambda oid: dict(ORDER, order_id=oid),
                                      lambda cid: None)
                fill(ticket)
                arrived = seen[ticket.handoff_id] = loop.create_future()
                result = await deliver(ticket)
                assert result.status == "accepted", result
                at, tid = await asyncio.wait_for(arrived, 10)
                decision.append((at - start) * 1000)
                async with http.post(f"{base}/api/tickets/{tid}/claim", headers=headers) as resp:
                    assert resp.status == 200
                client_id = uuid.uuid4().hex
                start = time.perf_counter()
                async with http.post(f"{base}/api/tickets/{tid}/messages", headers=headers,
                                     json={"text": f"您好,第{i}位顾客", "client_id": client_id}) as resp:
                    msg = await resp.json()
                at = await stand_in.wait(f"msg:{msg['id']}")
                relay.append((at - start) * 1000)

        for i in range(args.warmup):
            await one(-1 - i)
        decision.clear()
        relay.clear()
        await asyncio.gather(*[one(i) for i in range(args.n)])
        reader_task.cancel()
        await ws.close()
        return {"decision_to_agent_ws": describe(decision), "agent_to_shopper_relay": describe(relay),
                "db": "postgresql" if db_url.startswith("postgresql") else "sqlite",
                "concurrency": args.concurrency}
    finally:
        await http.close()
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
        await runner.cleanup()
        import redis
        client = redis.Redis.from_url(args.redis_url)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        if schema:
            from sqlalchemy import create_engine, text
            with create_engine(args.db_url, future=True).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--db-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--redis-url", default=os.environ.get("TEST_REDIS_URL",
                                                              "redis://127.0.0.1:6379/0"))
    parser.add_argument("--port", type=int, default=5981)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args)), indent=2))


if __name__ == "__main__":
    main()
