"""Where a message's CPU goes end to end: py-spy on Rasa, the action server and the handoff service.

  .venv/bin/python bench/profile_round_trip.py [--model models/frontline.tar.gz] [--per-sender 40]

Starts a stack (scripts.stack: throwaway PostgreSQL database, embedded redis, free loopback
ports), drives 16 closed-loop REST conversations over the held-out texts, and samples the three
processes with py-spy (`record --gil --format raw`, 100 Hz: the thread holding the GIL, so a
thread waiting on the database is not counted). Prints each process's CPU per message and, per
process, the share of samples spent inside the frames that matter (a frame counts once per sample).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from nlu_speed import e2e, e2e_sets, free_port, pg_database  # noqa: E402
from scripts.eval_nlu import load_holdout  # noqa: E402
from scripts.stack import Ports, Stack  # noqa: E402

PY_SPY = Path(sys.executable).parent / "py-spy"
# py-spy frames read "function (path/file.py:line)"; a sample counts for every group one of whose
# substrings appears in its stack
GROUPS = {
    "rasa": {
        "NLU parse (graph)": ["_parse_message_with_graph ("],
        "policies (predict next action)": ["_predict_next_with_tracker (", "predict_next_action ("],
        "custom action call (HTTP to the action server)": ["_action_call_format (", "rasa/utils/endpoints.py"],
        "tracker serialised for the action server": ["_action_call_format ("],
        "tracker store (PostgreSQL)": ["rasa/core/tracker_store.py", "bot/tracker_store.py"],
        "action response validation (jsonschema)": ["_validate_action_result ("],
        "event broker": ["bot/broker.py"],
        "lock store (redis)": ["rasa/core/lock_store.py"],
        "NLG": ["bot/nlg.py", "rasa/core/nlg/"],
    },
    "actions": {
        "rasa_sdk request handling": ["rasa_sdk/endpoint.py"],
        "order actions": ["actions/orders/", "actions/identity/"],
        "flows": ["actions/flows/", "common/flows/"],
        "handoff": ["actions/handover/"],
        "database (SQLAlchemy)": ["sqlalchemy/"],
        "JSON": ["json/", "ujson"],
    },
    "handoff": {
        "read model (events recorded)": ["ingest_many (", "ingest (", "_record_segment ("],
        "shopper message (open ticket, survey)": ["_shopper_message ("],
        "new session (pause check)": ["_keep_paused ("],
        "stream read/ack (Redis)": ["xreadgroup (", "_ack (", "xack ("],
        "entries unsealed (HMAC, JSON)": ["unseal ("],
        "database (SQLAlchemy)": ["sqlalchemy/"],
        "PostgreSQL driver": ["psycopg2"],
        "thread hand-off (asyncio.to_thread)": ["to_thread (", "run_in_executor ("],
        "web requests (aiohttp)": ["aiohttp/web_protocol.py"],
    },
}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far: less sensitive to other load than samples."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_seconds() -> float:
    """CPU time of every PostgreSQL process on the machine (the stack's database is one of its
    databases: on a quiet machine this is the stack's share)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile
    return total


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (not idle, not waiting on I/O), from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


PROCESSES = ("rasa", "actions", "handoff", "redis")


def spent_now(stack) -> Dict[str, float]:
    spent = {name: cpu_seconds(stack.procs[name].pid) for name in PROCESSES}
    spent.update(postgres=postgres_seconds(), machine=machine_busy_seconds())
    return spent


def record(pid: int, out: Path, gil: bool = True) -> subprocess.Popen:
    """py-spy until SIGINT, when it writes what it sampled. With `gil`, only the thread holding
    Python's GIL is sampled: CPU spent in Python, not a thread waiting on PostgreSQL or Redis
    (which would otherwise count as busy)."""
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), *(["--gil"] if gil else []),
                             "--rate", "100", "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(raw: Path, groups: Dict[str, List[str]]) -> List[str]:
    totals: Counter = Counter()
    busy = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        busy += int(count)
        for name, needles in groups.items():
            if any(needle in stack for needle in needles):
                totals[name] += int(count)
    return [f"busy samples: {busy}"] + [f"- {name}: {100 * totals[name] / max(1, busy):.0f} %" for name in groups]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "frontline.tar.gz")
    parser.add_argument("--per-sender", type=int, default=40, help="messages per conversation")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--all-threads", action="store_true",
                        help="sample every thread, also those waiting (default: the GIL holder only)")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    for key in ("REDIS_URL", "TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL"):
        os.environ.pop(key, None)
    database = f"frontline_prof_{uuid.uuid4().hex[:8]}"
    url = pg_database(database, create=True)
    os.environ.update(STORE_URL=url, HANDOFF_DB_URL=url, TRACKER_URL=url.replace("+psycopg2", ""))
    texts = [t for texts in e2e_sets(load_holdout(ROOT / "tests" / "nlu_holdout")).values() for t in texts]
    try:
        with tempfile.TemporaryDirectory(prefix="profile-") as tmp:
            ports = Ports(rasa=free_port(), actions=free_port(), handoff=free_port(), web=free_port(),
                          redis=free_port(), wechat_api=free_port())
            stack = Stack(ports=ports, var=Path(tmp), model=args.model.resolve(), quiet=True,
                          workers=1)  # py-spy follows one process: one Rasa worker
            stack.start()
            try:
                asyncio.run(e2e(stack.rasa_url, "warm-up", texts, 4, 5, 7, 30.0, 0, 0.0))
                cpu = spent_now(stack)
                spies = {name: record(stack.procs[name].pid, args.out / f"profile_{name}.txt",
                                      gil=not args.all_threads)
                         for name in GROUPS}
                run = asyncio.run(e2e(stack.rasa_url, "mix", texts, 16, args.per_sender, 7, 30.0, 2, 0.0))
                cpu = {name: now - cpu[name] for name, now in spent_now(stack).items()}
                for spy in spies.values():
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=60)
            finally:
                stack.stop()
    finally:
        pg_database(database, create=False)
    print(f"load: {run.rate:.1f} msg/s over {run.n} messages, 16 closed-loop conversations; "
          f"load average {os.getloadavg()[0]:.1f}")
    # the machine's busy time includes the load generator, py-spy and anything else running
    print("CPU per message: " + ", ".join(f"{name} {1000 * spent / max(1, run.n):.1f} ms"
                                          for name, spent in cpu.items()))
    for name, groups in GROUPS.items():
        print(f"\n{name} ({args.out / f'profile_{name}.txt'}):")
        print("\n".join(summarise(args.out / f"profile_{name}.txt", groups)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
