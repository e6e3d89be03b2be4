"""NLU speed benchmark (PRODUCT.md §8): ours vs a stock `rasa init` model, side by side.

(a) in-process: each model loaded with `Agent.load`, warmed up, then the held-out texts
    (tests/nlu_holdout/*.yml, zh + en; optionally --external TSV) parsed one after another.
    Rounds alternate between the models so background load on the shared machine hits both
    alike. Reports messages/s, p50/p95 wall ms, CPU ms per message, intent accuracy, ratio.
(b) end to end: 16 concurrent conversations (asyncio + aiohttp) against a Rasa REST webhook,
    each sending M messages in turn: FAQ + glue questions (both languages), then a mix of
    every held-out intent. Either --rasa-url of a running server, or --stack NAME to start
    scripts.stack.Stack on free loopback ports with that model and stop it afterwards.

  .venv/bin/python bench/nlu_speed.py \
      --models ours=models/frontline.tar.gz stock=/tmp/bench-models/stock.tar.gz \
      [--rounds 3] [--external ../shared/eval/nlu_dev_en_bitext.tsv] \
      [--stack ours --stack stock | --rasa-url http://127.0.0.1:5005] [--concurrency 16 --per-sender 20]

Markdown goes to reports/bench/nlu_speed.md (gitignored) and stdout. Loopback only.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import random
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.eval_nlu import Example, load_holdout, load_tsv, predicted_label  # noqa: E402
from scripts.stack import Ports, Stack, rasa_workers  # noqa: E402

GLUE_INTENTS = {"greet", "goodbye", "thank", "bot_challenge", "out_of_scope"}


# --- statistics ------------------------------------------------------------------
def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile: no interpolation, so p95 is a latency a message really had."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@dataclass
class Run:
    name: str
    latencies_ms: List[float] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0
    correct: int = 0
    errors: int = 0
    concurrency: int = 1
    think_s: float = 0.0

    @property
    def n(self) -> int:
        return len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.n / self.wall_s if self.wall_s else 0.0


def cpu_busy_share(seconds: float = 2.0) -> float:
    """Share of all cores busy over a short idle window: the other load on the machine."""
    def sample() -> Tuple[int, int]:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:]]
        idle = values[3] + values[4]
        return sum(values) - idle, sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return (busy1 - busy0) / max(1, total1 - total0)


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}, Python {platform.python_version()}"


# --- (a) in-process throughput -----------------------------------------------------
def quiet_logs() -> None:
    """Rasa logs every parse through structlog at debug level; timing should not include that."""
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    logging.getLogger().setLevel(logging.WARNING)


async def parse_pass(agent, examples: List[Example], run: Run) -> None:
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for example in examples:
        t0 = time.perf_counter()
        parse = await agent.parse_message(example.text)
        run.latencies_ms.append((time.perf_counter() - t0) * 1000)
        run.correct += predicted_label(parse) == example.intent
    run.wall_s += time.perf_counter() - wall0
    run.cpu_s += time.process_time() - cpu0  # all threads: TF's intra-op pool included


async def in_process(models: Dict[str, Path], examples: List[Example], rounds: int, warmup: int) -> List[Run]:
    from rasa.core.agent import Agent

    agents = {}
    for name, path in models.items():
        started = time.perf_counter()
        agents[name] = Agent.load(str(path))
        print(f">> loaded {name} ({path}) in {time.perf_counter() - started:.1f} s", flush=True)
    quiet_logs()
    warm = examples[:: max(1, len(examples) // max(1, warmup))][:warmup]  # both languages, many lengths
    for name, agent in agents.items():  # first calls trace TF graphs; keep them out of the figures
        for example in warm:
            await agent.parse_message(example.text)
    runs = {name: Run(name) for name in agents}
    for r in range(rounds):
        order = list(agents) if r % 2 == 0 else list(reversed(agents))
        for name in order:
            await parse_pass(agents[name], examples, runs[name])
            print(f">> round {r + 1}/{rounds} {name}: {runs[name].rate:.1f} msg/s so far", flush=True)
    return list(runs.values())


def in_process_markdown(runs: List[Run], per_round: int) -> str:
    lines = ["| model | messages | msg/s | p50 ms | p95 ms | max ms | CPU ms/msg | intent acc. |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        lines.append(f"| {run.name} | {run.n} | {run.rate:.1f} | {pct(run.latencies_ms, 50):.1f} | "
                     f"{pct(run.latencies_ms, 95):.1f} | {max(run.latencies_ms):.1f} | "
                     f"{run.cpu_s / run.n * 1000:.1f} | {run.correct / run.n:.3f} |")
    by_name = {run.name: run for run in runs}
    if "ours" in by_name and "stock" in by_name:
        ours, stock = by_name["ours"], by_name["stock"]
        lines.append("")
        lines.append(f"**Throughput ratio ours/stock: {ours.rate / stock.rate:.2f}×** (target ≥ 5×); "
                     f"CPU-per-message ratio stock/ours: "
                     f"{(stock.cpu_s / stock.n) / (ours.cpu_s / ours.n):.2f}×; "
                     f"p50 ratio stock/ours: {pct(stock.latencies_ms, 50) / pct(ours.latencies_ms, 50):.2f}×.")
    lines.append(f"\n({per_round} texts per round; intent accuracy is over every pass, FAQ scored at `faq/<key>`.)")
    return "\n".join(lines)


# --- (b) end to end over REST --------------------------------------------------------
def e2e_sets(examples: List[Example]) -> Dict[str, List[str]]:
    faq_glue = [e.text for e in examples if e.intent.startswith("faq/") or e.intent in GLUE_INTENTS]
    return {"faq+glue": faq_glue, "mix (all intents)": [e.text for e in examples]}


async def conversation(session, url: str, sender: str, texts: List[str], run: Run, timeout: float,
                       think: float = 0.0, rng: random.Random = random.Random(0),
                       stagger: bool = False) -> None:
    import aiohttp

    for n, text in enumerate(texts):
        if think and n:  # a shopper reads the reply and types: 0.5-1.5 x think seconds
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
        elif think and stagger:  # shoppers arrive at random moments, not in the same millisecond
            await asyncio.sleep(think * rng.uniform(0.0, 1.0))
        t0 = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text},
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as response:
                await response.read()
                ok = response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        run.latencies_ms.append((time.perf_counter() - t0) * 1000)
        run.errors += not ok


async def e2e(rasa_url: str, label: str, texts: List[str], concurrency: int, per_sender: int,
              seed: int, timeout: float, warmup: int, think: float = 0.0,
              stagger: bool = True) -> Run:
    """Closed-loop conversations. With a think time each conversation starts after a random
    pause of up to one think time (stagger), as its later messages come: shoppers do not all
    open the chat in the same millisecond. stagger=False sends every first message at once."""
    import aiohttp

    url = rasa_url.rstrip("/")
    if not url.endswith("/webhooks/rest/webhook"):
        url += "/webhooks/rest/webhook"
    rng = random.Random(seed)
    tag = f"bench-{uuid.uuid4().hex[:10]}"  # fresh trackers on every run
    run = Run(label, concurrency=concurrency, think_s=think)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        warm = Run("warmup")  # first trackers, DB connections, TF traces: not in the figures
        await asyncio.gather(*(conversation(session, url, f"{tag}-warm{i}", rng.sample(texts, warmup), warm, timeout)
                               for i in range(concurrency)))
        scripts = [[rng.choice(texts) for _ in range(per_sender)] for _ in range(concurrency)]
        started = time.perf_counter()
        await asyncio.gather(*(conversation(session, url, f"{tag}-{i}", script, run, timeout, think,
                                            random.Random(seed + i), stagger)
                               for i, script in enumerate(scripts)))
        run.wall_s = time.perf_counter() - started
    return run


def e2e_markdown(rows: List[Tuple[str, Run]]) -> str:
    lines = ["| stack model | messages | concurrent | think s | msg/s | p50 ms | p95 ms | max ms | errors | p95 ≤ 150 ms |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|"]
    for model, run in rows:
        p95 = pct(run.latencies_ms, 95)
        lines.append(f"| {model} | {run.name} ({run.n}) | {run.concurrency} | {run.think_s:g} | {run.rate:.1f} | "
                     f"{pct(run.latencies_ms, 50):.1f} | {p95:.1f} | {max(run.latencies_ms):.1f} | "
                     f"{run.errors} | {'yes' if p95 <= 150 and not run.errors else 'NO'} |")
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def e2e_all(url: str, model: str, examples: List[Example], args) -> List[Tuple[str, Run]]:
    rows = []
    for concurrency in args.concurrency:
        for think in args.think:
            starts = (True, False) if think and args.burst_start else (True,)
            for stagger in starts:
                for label, texts in e2e_sets(examples).items():
                    name = label if stagger or not think else f"{label}, first messages at once"
                    run = await e2e(url, name, texts, concurrency, args.per_sender, args.seed,
                                    args.timeout, args.e2e_warmup, think, stagger)
                    print(f">> e2e {model} c={concurrency} think={think:g} {name}: {run.rate:.1f} msg/s, "
                          f"p95 {pct(run.latencies_ms, 95):.1f} ms, errors {run.errors}", flush=True)
                    rows.append((model, run))
    return rows


PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def pg_database(name: str, create: bool) -> str:
    """A throwaway database on the local PostgreSQL for the tracker, store and handoff tables."""
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        sql = f'CREATE DATABASE "{name}"' if create else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        conn.execute(sa.text(sql))
    engine.dispose()
    return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


RASA_FIGURES: List[str] = []  # per stack: start-up, memory, CPU per message


def _tree(pid: int) -> list:
    import psutil

    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def process_tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its (living) children: Rasa's workers."""
    return sum(sum(p.cpu_times()[:2]) for p in _tree(pid))


def process_tree_pss_mb(pid: int) -> float:
    """Memory of a process and its children, pages the forked workers share counted once."""
    return sum(p.memory_full_info().pss for p in _tree(pid)) / 2**20


def e2e_with_stack(model_name: str, model_path: Path, examples: List[Example], args) -> List[Tuple[str, Run]]:
    saved = dict(os.environ)
    for key in ("REDIS_URL", "TRACKER_URL", "STORE_URL", "HANDOFF_DB_URL"):
        os.environ.pop(key, None)  # the stack's embedded redis on its own port: never the shared one
    database = f"frontline_bench_{uuid.uuid4().hex[:8]}"
    # PostgreSQL tracker + store as in production (and as tests/e2e run it)
    url = pg_database(database, create=True)
    os.environ.update(STORE_URL=url, HANDOFF_DB_URL=url, TRACKER_URL=url.replace("+psycopg2", ""))
    os.environ["FRONTLINE_SPEEDUPS"] = "off" if model_name in args.plain else "on"
    with tempfile.TemporaryDirectory(prefix="nlu-speed-") as tmp:
        ports = Ports(rasa=free_port(), actions=free_port(), handoff=free_port(), web=free_port(),
                      redis=free_port(), wechat_api=free_port())
        stack = Stack(ports=ports, var=Path(tmp), model=model_path.resolve(), quiet=True,
                      workers=args.rasa_workers)
        print(f">> starting stack with {model_name} on rasa port {ports.rasa}, "
              f"{stack.workers} Rasa worker(s), "
              f"{'Rasa' if model_name in args.plain else 'Frontline'}'s per-message code", flush=True)
        try:
            started = time.perf_counter()
            stack.start()
            start_s = time.perf_counter() - started
            cpu_before = process_tree_cpu_s(stack.procs["rasa"].pid)
            rows = asyncio.run(e2e_all(stack.rasa_url, f"{model_name} ×{stack.workers}", examples, args))
            messages = sum(run.n for _, run in rows) + len(rows) * args.e2e_warmup * max(args.concurrency)
            cpu_ms = (process_tree_cpu_s(stack.procs["rasa"].pid) - cpu_before) * 1000 / messages
            RASA_FIGURES.append(f"{model_name} ×{stack.workers} worker(s): stack start {start_s:.0f} s "
                                f"(until every worker answers), Rasa memory {process_tree_pss_mb(stack.procs['rasa'].pid):.0f} MB "
                                f"(PSS, all processes), Rasa CPU {cpu_ms:.1f} ms/message (incl. warm-up)")
            print(">> " + RASA_FIGURES[-1], flush=True)
            return rows
        except Exception:
            for name in list(stack.procs):
                print(f"--- {name}.log ---\n{stack.log_tail(name)}", file=sys.stderr)
            raise
        finally:
            stack.stop()
            os.environ.clear()
            os.environ.update(saved)
            pg_database(database, create=False)


# --- main ----------------------------------------------------------------------------
def parse_models(items: List[str]) -> Dict[str, Path]:
    models = {}
    for item in items:
        name, _, path = item.partition("=")
        if not path:
            raise SystemExit(f"--models wants NAME=PATH, got {item!r}")
        models[name] = (ROOT / path) if not Path(path).is_absolute() else Path(path)
        if not models[name].exists():
            raise SystemExit(f"model {name}: {models[name]} does not exist")
    return models


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["ours=models/frontline.tar.gz",
                                                         "stock=/tmp/bench-models/stock.tar.gz"])
    parser.add_argument("--external", type=Path, help="extra TSV (intent, lang, text) to parse as well")
    parser.add_argument("--rounds", type=int, default=3, help="in-process passes over the texts per model")
    parser.add_argument("--warmup", type=int, default=100, help="in-process warm-up parses per model")
    parser.add_argument("--limit", type=int, help="evenly spaced subsample of the texts (smoke runs)")
    parser.add_argument("--skip-inprocess", action="store_true")
    parser.add_argument("--rasa-url", help="running Rasa server (REST channel) for part (b)")
    parser.add_argument("--stack", action="append", default=[], metavar="NAME",
                        help="start a stack with model NAME (from --models) for part (b); repeatable")
    parser.add_argument("--plain", action="append", default=[], metavar="NAME",
                        help="the stack of model NAME runs Rasa's own per-message code "
                             "(FRONTLINE_SPEEDUPS=off): a stock model as Rasa ships; repeatable")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16], help="conversations at once")
    parser.add_argument("--think", type=float, nargs="+", default=[0.0],
                        help="mean pause between a conversation's messages, s (0 = closed loop, worst case)")
    parser.add_argument("--per-sender", type=int, default=20, help="messages per conversation")
    parser.add_argument("--burst-start", action="store_true",
                        help="with a think time, also run every conversation's first message at "
                             "the same moment (a burst of new sessions), besides staggered starts")
    parser.add_argument("--rasa-workers", type=int, default=rasa_workers(),
                        help="Rasa worker processes of --stack (default RASA_WORKERS, else 1)")
    parser.add_argument("--e2e-warmup", type=int, default=5, help="warm-up messages per conversation")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench" / "nlu_speed.md")
    args = parser.parse_args()

    models = parse_models(args.models)
    examples = load_holdout(ROOT / "tests" / "nlu_holdout")
    if args.external:
        examples += load_tsv(args.external)
    if args.limit and args.limit < len(examples):
        examples = examples[:: max(1, len(examples) // args.limit)][: args.limit]
    langs = sorted({e.language for e in examples})
    other_load = cpu_busy_share()
    load_before = os.getloadavg()
    sections = ["# NLU speed: ours vs stock `rasa init`\n",
                f"- date: {datetime.now().isoformat(timespec='seconds')}",
                f"- machine: {machine_line()}",
                f"- other load: {other_load:.0%} of all cores busy in a 2 s idle sample before the run; "
                f"load average {load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}",
                "- models: " + ", ".join(f"{n} = `{p}`" for n, p in models.items()),
                f"- texts: {len(examples)} ({', '.join(langs)}){' incl. ' + str(args.external) if args.external else ''}"]

    if not args.skip_inprocess:
        runs = asyncio.run(in_process(models, examples, args.rounds, args.warmup))
        sections += ["\n## (a) In-process NLU, sequential (`Agent.parse_message`)\n",
                     in_process_markdown(runs, len(examples))]

    e2e_rows: List[Tuple[str, Run]] = []
    if args.rasa_url:
        e2e_rows += asyncio.run(e2e_all(args.rasa_url, args.rasa_url, examples, args))
    for name in args.stack:
        if name not in models:
            raise SystemExit(f"--stack {name}: not among --models")
        e2e_rows += e2e_with_stack(name, models[name], examples, args)
    if e2e_rows:
        sections += [f"\n## (b) End to end, REST webhook, concurrent conversations × {args.per_sender} messages\n",
                     e2e_markdown(e2e_rows),
                     "\nLatency = POST to the full bot reply (NLU, policies, actions, tracker and lock "
                     "store). Stack: scripts.stack with a throwaway PostgreSQL database for tracker + store, its "
                     "embedded redis (lock store, event stream), actions, handoff, all on this machine.",
                     *(f"\n- {line}" for line in RASA_FIGURES)]

    load_after = os.getloadavg()
    sections.append(f"\nLoad average after the run: {load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}")
    report = "\n".join(sections) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print("\n" + report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
