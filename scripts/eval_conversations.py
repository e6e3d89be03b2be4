"""Play the conversation set (tests/conversations/) and report pass rates per category and language.

    python -m scripts.eval_conversations                 # starts its own stack (make eval-conversations)
    python -m scripts.eval_conversations --rasa-url http://127.0.0.1:5005 --token TOKEN
                                                         # against a running stack (make demo prints the token)
    python -m scripts.eval_conversations --only cancel   # one category, or ids containing a word

Writes reports/conversations/report.md and results.json. Exit code 1 when a language is below
--min-rate (95 % by default).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List

from scripts.conversations import orders as demo, report, spec
from scripts.conversations.fresh_stack import fresh_stack
from scripts.conversations.play import Result, Target, play_all
from scripts.stack import ROOT

SET = ROOT / "tests" / "conversations"


def run(target: Target, conversations: List[spec.Conversation], workers: int) -> List[Result]:
    allocation = demo.allocate(conversations, demo.demo_orders())
    return play_all(target, conversations, allocation, workers)


def main(argv: List[str] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, default=SET)
    parser.add_argument("--only", help="a category, or a word in the conversation ids")
    parser.add_argument("--rasa-url", help="a running stack's Rasa; default: start one")
    parser.add_argument("--token", default="", help="that Rasa's auth token (RASA_TOKEN)")
    parser.add_argument("--embedded", action="store_true", help="own stack on SQLite + embedded Redis")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "conversations")
    parser.add_argument("--min-rate", type=float, default=95.0)
    args = parser.parse_args(argv)

    conversations = spec.load(args.set, args.only)
    started = time.monotonic()
    if args.rasa_url:
        results = run(Target(args.rasa_url.rstrip("/"), args.token), conversations, args.workers)
    else:
        with fresh_stack(args.embedded) as stack:
            started = time.monotonic()
            results = run(Target(stack.rasa_url, stack.rasa_token), conversations, args.workers)
    elapsed = time.monotonic() - started
    report.write(results, args.out)
    text = report.render(results)
    print(text)
    print(f"{len(results)} conversations in {elapsed:.0f} s; report in {args.out}/report.md")
    low = [lang for lang, (ok, n) in report.rates(results, "language").items()
           if report.pct(ok, n) < args.min_rate]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
