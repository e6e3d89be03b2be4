"""Soak run: 16 concurrent conversations in live handoffs for 10 minutes.

Starts its own stack (as bench/chaos.py does, nothing killed), hands 16 conversations over
(half web widget, half WeChat) and keeps shoppers and agents talking. Every 10 s it samples the
resident memory of each process and the handoff service's stream lag (`/health`). At the end it
counts, for every message, whether it arrived exactly once and in order, and prints errors
(driver errors and ERROR lines in the processes' logs), memory growth per process after the
warm-up (RSS of every process, and Redis's own used_memory), Redis's key count and its keys
by kind with their size after the warm-up and at the end, and the largest queue lag seen.

  make soak            .venv/bin/python -m bench.soak [--minutes 10] [--conversations 16]

Targets: 0 lost, 0 duplicated, 0 errors, < 10 % memory growth after warm-up.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import aiohttp

from bench.chaos import AGENT, report, start_stack
from bench.live_handoffs import Agent, Conversation, WebShopper, WeChatShopper, settle
from scripts.stack import Stack
from tools.wechat_sim import WeChatSimulator

PROCESSES = ("rasa", "actions", "handoff", "redis")
# Growth compares the mean of the first EDGE samples after the warm-up with the mean of the
# last EDGE (30 s each at one sample every 10 s), so one sample taken mid-burst (a stream not
# trimmed yet, a turn in flight) does not decide it.
EDGE = 3


def edge(samples: Sequence[Dict[str, float]], field: str) -> float:
    return sum(s[field] for s in samples) / len(samples)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def redis_memory(url: str) -> Dict[str, float]:
    """Redis's own figure for what it holds (used_memory), its key count and its connected
    clients (each holds buffers): cheap (INFO), so every sample takes it."""
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        keys = sum(db.get("keys", 0) for name, db in client.info("keyspace").items()
                   if name.startswith("db"))
        return {"used_mb": client.info("memory")["used_memory"] / 2 ** 20, "keys": keys,
                "clients": client.info("clients")["connected_clients"]}
    finally:
        client.close()


def key_kind(key: str) -> str:
    """A key's first four parts, ids (anything with a digit) as `*`: what kind of record it is."""
    return ":".join("*" if any(c.isdigit() for c in part) else part
                    for part in key.split(":")[:4])


def redis_census(url: str) -> Dict[str, List[int]]:
    """Keys by kind: [count, bytes (MEMORY USAGE), without TTL] (streams are trimmed to what is
    unacknowledged and have none; everything else should expire). One SCAN over all keys:
    taken after the warm-up and at the end, not every sample."""
    import redis

    client = redis.Redis.from_url(url, decode_responses=True)
    try:
        kinds: Dict[str, List[int]] = {}
        batch: List[str] = []

        def tally() -> None:
            pipe = client.pipeline(transaction=False)
            for key in batch:
                pipe.memory_usage(key)
                pipe.ttl(key)
                pipe.type(key)
            answers = pipe.execute()
            for n, key in enumerate(batch):
                used, ttl, kind = answers[3 * n: 3 * n + 3]
                count = kinds.setdefault(key_kind(key), [0, 0, 0])
                count[0] += 1
                count[1] += used or 0
                count[2] += ttl == -1 and kind != "stream"
            batch.clear()

        for key in client.scan_iter(count=1000):
            batch.append(key)
            if len(batch) >= 500:
                tally()
        tally()
        return dict(sorted(kinds.items(), key=lambda kv: -kv[1][1]))
    finally:
        client.close()


def census_line(census: Dict[str, List[int]]) -> str:
    return ", ".join(f"{kind} {n} ({size / 1024:.0f} KB{f', {never} no TTL' if never else ''})"
                     for kind, (n, size, never) in list(census.items())[:12])


def error_lines(var: Path) -> Dict[str, int]:
    counts = {}
    for name in PROCESSES:
        path = var / f"{name}.log"
        text = path.read_text(errors="replace") if path.exists() else ""
        counts[name] = sum(1 for line in text.splitlines()
                           if " ERROR " in line or "Traceback" in line)
    return counts


async def talk(conv: Conversation, stop: asyncio.Event, pause: float, errors: List[str]) -> None:
    while not stop.is_set():
        try:
            await conv.shopper_says(time.monotonic() + 60)
            await asyncio.sleep(pause)
            await conv.agent_says(time.monotonic() + 60)
            await asyncio.sleep(pause)
        except Exception as exc:  # counted, and the conversation carries on
            errors.append(f"{conv.name}: {exc!r}")


async def soak(stack: Stack, conversations: int, minutes: float, warmup: float,
               pause: float) -> int:
    env = stack.env
    sim = WeChatSimulator(f"{stack.rasa_url}/webhooks/wechat/webhook", env["WECHAT_TOKEN"],
                          env.get("WECHAT_APP_ID", ""), env.get("WECHAT_AES_KEY", ""))
    http = aiohttp.ClientSession()
    convs: List[Conversation] = []
    errors: List[str] = []
    samples: List[Dict[str, float]] = []
    lag_max = 0
    warm: Optional[Dict[str, List[int]]] = None  # Redis's keys by kind after the warm-up
    try:
        for n in range(conversations):
            kind = "web" if n % 2 == 0 else "wechat"
            shopper = WebShopper(stack.rasa_url) if kind == "web" else WeChatShopper(sim)
            convs.append(Conversation(shopper, Agent(http, stack.handoff_url, *AGENT),
                                      f"{kind}{n}"))
        await asyncio.gather(*(c.open(time.monotonic() + 180) for c in convs))
        print(f"soak: {len(convs)} conversations handed over; {minutes} min of traffic",
              flush=True)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(talk(c, stop, pause, errors)) for c in convs]
        started = time.monotonic()
        while time.monotonic() - started < minutes * 60:
            await asyncio.sleep(10)
            sample = {name: rss_mb(stack.procs[name].pid) for name in PROCESSES}
            sample["t"] = time.monotonic() - started
            redis_now = await asyncio.to_thread(redis_memory, env["REDIS_URL"])
            sample.update(redis_used=redis_now["used_mb"], redis_keys=redis_now["keys"],
                          redis_clients=redis_now["clients"])
            samples.append(sample)
            if warm is None and sample["t"] >= warmup:
                warm = await asyncio.to_thread(redis_census, env["REDIS_URL"])
            try:
                async with http.get(f"{stack.handoff_url}/health") as resp:
                    streams = (await resp.json()).get("streams", {})
                lag = sum((s.get("lag") or 0) + (s.get("pending") or 0) for s in streams.values())
                lag_max = max(lag_max, lag)
            except aiohttp.ClientError as exc:
                errors.append(f"health: {exc!r}")
        stop.set()
        await asyncio.gather(*tasks)
        print("soak: traffic stopped; waiting for the queues to drain", flush=True)
        tallies = await settle(convs, http, env["WECHAT_API_BASE"], timeout=600)
    finally:
        for conv in convs:
            await conv.shopper.close()
        await http.close()
    ok = report(tallies)
    sys.stdout.flush()
    messages = sum(t.sent for t in tallies.values())
    print(f"messages: {messages} in {minutes} min ({messages / (minutes * 60):.1f}/s)")
    print(f"driver errors: {len(errors)}  {errors[:5]}")
    logged = error_lines(stack.var)
    print(f"ERROR lines in logs: {logged}")
    after = [s for s in samples if s["t"] >= warmup]
    growth_ok = True
    figures = [(name, name, "MB (RSS)") for name in PROCESSES]
    figures.append(("redis used_memory", "redis_used", "MB (Redis's own count)"))
    for label, field, unit in figures:
        if len(after) < 2 * EDGE or not after[0][field]:
            continue
        first, last = edge(after[:EDGE], field), edge(after[-EDGE:], field)
        growth = (last - first) / first * 100
        growth_ok &= growth < 10
        print(f"memory {label:<17} {first:7.2f} -> {last:7.2f} {unit} ({growth:+.1f} %)")
    if len(after) >= 2:
        print(f"redis keys {after[0]['redis_keys']:.0f} after warm-up -> "
              f"{after[-1]['redis_keys']:.0f} at the end; connected clients "
              f"{after[0]['redis_clients']:.0f} -> {after[-1]['redis_clients']:.0f}")
    census = redis_census(env["REDIS_URL"])
    if warm is not None:
        print("redis keys by kind after warm-up: " + census_line(warm))
    print("redis keys by kind at the end:    " + census_line(census))
    print(f"largest queue lag (lag + pending over both streams): {lag_max}")
    clean = ok and not errors and not any(logged.values()) and growth_ok
    print(f"soak: {'OK' if clean else 'FAILED'} (logs in {stack.var})")
    return 0 if clean else 1


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--conversations", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=120.0, help="seconds")
    parser.add_argument("--pause", type=float, default=2.0,
                        help="seconds between a shopper's message and the agent's reply")
    args = parser.parse_args(argv)
    stack = start_stack(Path(tempfile.mkdtemp(prefix="frontline-soak-")))
    try:
        return asyncio.run(soak(stack, args.conversations, args.minutes, args.warmup,
                                args.pause))
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
