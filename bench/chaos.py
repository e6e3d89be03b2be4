"""Chaos run: live handoffs on web and WeChat while each process is SIGKILLed and restarted.

Starts its own stack (embedded Redis with its append-only file, SQLite, on free ports), opens
handed-over conversations on the web widget's socket.io channel and on WeChat, and keeps
shoppers and agents talking while the handoff service, the action server, the Rasa server and
Redis are killed with SIGKILL and restarted in turn. Then it waits for the dust to settle and
counts, for every message either side sent, whether it arrived exactly once and in order.

  make chaos                                     (full: 4 conversations per channel, 2 rounds)
  .venv/bin/python -m bench.chaos --short        (what `make test` runs: one round)

Exit status 1 on any loss, duplicate or reordering.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import aiohttp
import yaml

from bench.live_handoffs import Agent, Conversation, Tally, WebShopper, WeChatShopper, settle
from common.policy import DEFAULT_PATH as SHOP_POLICY
from scripts.stack import Ports, Stack
from tools.wechat_sim import WeChatSimulator

VICTIMS = ("handoff", "actions", "rasa", "redis")
AGENT = ("chaos-agent", "chaos agent password")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_stack(var: Path) -> Stack:
    """A stack of its own: embedded Redis (AOF) and SQLite in `var`, agents on duty all day."""
    for name in ("REDIS_URL", "TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL", "WECHAT_API_BASE"):
        os.environ.pop(name, None)
    policy = yaml.safe_load(SHOP_POLICY.read_text(encoding="utf-8"))
    policy["hours"].update({"open": "00:00", "close": "24:00"})
    (var / "shop.yml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    os.environ.update(SHOP_POLICY_FILE=str(var / "shop.yml"),
                      HANDOFF_DEMO_AGENT=f"{AGENT[0]}:{AGENT[1]}", BROKER_OUTBOX_DIR=str(var))
    stack = Stack(ports=Ports(**{n: free_port() for n in Ports.__dataclass_fields__}), var=var,
                  quiet=True)
    try:
        stack.start()
    except Exception:
        for name in stack.procs:
            print(f"--- {name}.log ---\n{stack.log_tail(name, 60)}", file=sys.stderr)
        stack.stop()
        raise
    return stack


async def talk(conv: Conversation, stop: asyncio.Event, pause: float) -> None:
    """One shopper message, then one agent reply (WeChat allows 5 replies per shopper message)."""
    while not stop.is_set():
        await conv.shopper_says(time.monotonic() + 300)
        await asyncio.sleep(pause)
        await conv.agent_says(time.monotonic() + 300)
        await asyncio.sleep(pause)


async def chaos(stack: Stack, per_channel: int, rounds: int, down: float, gap: float,
                victims: List[str], log=None) -> Dict[str, Tally]:
    log = log or (lambda text: print(text, flush=True))
    env = stack.env
    sim = WeChatSimulator(f"{stack.rasa_url}/webhooks/wechat/webhook", env["WECHAT_TOKEN"],
                          env.get("WECHAT_APP_ID", ""), env.get("WECHAT_AES_KEY", ""))
    http = aiohttp.ClientSession()
    conversations: List[Conversation] = []
    try:
        for n in range(per_channel):
            for kind in ("web", "wechat"):
                shopper = WebShopper(stack.rasa_url) if kind == "web" else WeChatShopper(sim)
                agent = Agent(http, stack.handoff_url, *AGENT)
                conversations.append(Conversation(shopper, agent, f"{kind}{n}"))
        await asyncio.gather(*(c.open(time.monotonic() + 120) for c in conversations))
        log(f"chaos: {len(conversations)} conversations handed over; traffic starts")
        stop = asyncio.Event()
        traffic = [asyncio.create_task(talk(c, stop, 0.5)) for c in conversations]
        for round_no in range(rounds):
            for victim in victims:
                await asyncio.sleep(gap)
                log(f"chaos: round {round_no + 1}: SIGKILL {victim}")
                stack.kill(victim)
                await asyncio.sleep(down)
                started = time.monotonic()
                await asyncio.to_thread(stack.restart, victim)
                log(f"chaos: {victim} back after {time.monotonic() - started:.0f} s")
        await asyncio.sleep(gap)
        stop.set()
        await asyncio.gather(*traffic)
        log("chaos: traffic stopped; waiting for everything to arrive")
        tallies = await settle(conversations, http, env["WECHAT_API_BASE"], timeout=120)
        copies = sum(getattr(c.shopper, "copies", 0) for c in conversations)
        log(f"chaos: {copies} agent message(s) pushed again to a web shopper after a crash "
            "(same id: the widget shows them once)")
    finally:
        for conv in conversations:
            await conv.shopper.close()
        await http.close()
    return tallies


def report(tallies: Dict[str, Tally]) -> bool:
    for label, tally in tallies.items():
        print(tally.line(label), flush=True)
        if tally.lost_examples:
            print(f"   lost: {', '.join(tally.lost_examples)}", flush=True)
    return all(t.clean for t in tallies.values())


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="one round, 2 conversations each")
    parser.add_argument("--conversations", type=int, default=4, help="per channel")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--down", type=float, default=3.0, help="seconds a process stays dead")
    parser.add_argument("--gap", type=float, default=8.0, help="seconds of traffic between kills")
    parser.add_argument("--victims", default=",".join(VICTIMS))
    args = parser.parse_args(argv)
    if args.short:
        args.conversations, args.rounds, args.gap = 2, 1, 5.0
    var = Path(tempfile.mkdtemp(prefix="frontline-chaos-"))
    stack = start_stack(var)
    try:
        tallies = asyncio.run(chaos(stack, args.conversations, args.rounds, args.down, args.gap,
                                    args.victims.split(",")))
    finally:
        stack.stop()
    ok = report(tallies)
    print(f"chaos: {'OK' if ok else 'FAILED'} (logs in {var})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
