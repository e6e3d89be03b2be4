"""Record real conversations' events for the policy tests (tests/unit/data/policy_trackers.json.gz).

  PYTHONPATH=$PWD .venv/bin/python bench/record_policy_trackers.py [--embedded] [--random 8]

Starts a stack of its own (as `make eval-conversations` does), plays the whole conversation set
(tests/conversations: orders with rejections and FAQ between the form's questions, flows,
handoffs, cancellations, after-sales) plus a few conversations of random held-out messages, and
stores every conversation's events as Rasa's tracker API gives them. The policy tests replay
those events into trackers and compare our prediction speed-ups with Rasa's own code on them.
Parse details the policies never read (the intent ranking, the response selector's) are dropped
to keep the file small.
"""
from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import urllib.request
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.conversations import orders as demo, spec  # noqa: E402
from scripts.conversations.fresh_stack import fresh_stack  # noqa: E402
from scripts.conversations.play import Target, play_all  # noqa: E402
from scripts.eval_nlu import load_holdout  # noqa: E402

OUT = ROOT / "tests" / "unit" / "data" / "policy_trackers.json.gz"


def _http(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _slim(event: Dict[str, Any]) -> Dict[str, Any]:
    parse = event.get("parse_data")
    if isinstance(parse, dict):
        event["parse_data"] = {k: v for k, v in parse.items()
                               if k not in ("intent_ranking", "response_selector")}
    return event


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--embedded", action="store_true", help="SQLite + embedded Redis")
    parser.add_argument("--random", type=int, default=8, help="conversations of random messages")
    parser.add_argument("--per-sender", type=int, default=20)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    conversations = spec.load(ROOT / "tests" / "conversations", None)
    texts = [example.text for example in load_holdout(ROOT / "tests" / "nlu_holdout")]
    rng = random.Random(7)
    recorded: Dict[str, List[Dict[str, Any]]] = {}
    with fresh_stack(args.embedded) as stack:
        target = Target(stack.rasa_url, stack.rasa_token)
        allocation = demo.allocate(conversations, demo.demo_orders())
        results = play_all(target, conversations, allocation, workers=4)
        senders = {c.id: f"rest:conv-{target.run_id}-{c.id}" for c in conversations}
        for n in range(args.random):
            sender = f"rest:random-{target.run_id}-{n}"
            for text in rng.sample(texts, args.per_sender):
                _http(f"{stack.rasa_url}/webhooks/rest/webhook", {"sender": sender, "message": text})
            senders[f"random-{n}"] = sender
        for name, sender in senders.items():
            tracker = _http(f"{stack.rasa_url}/conversations/{sender}/tracker"
                            f"?include_events=ALL&token={stack.rasa_token}")
            recorded[name] = [_slim(e) for e in tracker.get("events") or []]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(args.out, "wt", encoding="utf-8") as handle:
        json.dump(recorded, handle, ensure_ascii=False, sort_keys=True)
    events = sum(len(v) for v in recorded.values())
    ok = sum(r.ok for r in results)
    print(f"{len(recorded)} conversations ({ok}/{len(results)} of the set as expected), "
          f"{events} events -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
