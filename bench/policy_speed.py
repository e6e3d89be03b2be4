"""CPU the trained model's policies take per message, with and without bot.speedups.policy_states.

  PYTHONPATH=$PWD .venv/bin/python bench/policy_speed.py [--rounds 3]

Replays the recorded conversations (tests/unit/data/policy_trackers.json.gz, made by
bench/record_policy_trackers.py) as the server lives them: each user message starts from a new
copy of the conversation (the tracker store hands out a copy per message), and at every point
where the server predicted, `processor.predict_next_with_tracker_if_should` runs. Only the
predictions are timed (process CPU). Rounds alternate stock / ours / stock ... in one process.
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rasa.core.agent import Agent  # noqa: E402
from rasa.shared.core.events import ActionExecuted, Event, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from bot.speedups import policy_states  # noqa: E402
from bot.tracker_cache import clone  # noqa: E402

RECORDED = ROOT / "tests" / "unit" / "data" / "policy_trackers.json.gz"


def one_pass(agent: Agent, conversations: Dict[str, List[Dict[str, Any]]]) -> tuple:
    spent, predictions, messages = 0.0, 0, 0
    for name, raw in conversations.items():
        events = [Event.from_parameters(e) for e in raw]
        tracker = DialogueStateTracker(name, agent.domain.slots)
        for index, event in enumerate(events):
            tracker.update(event)
            if isinstance(event, UserUttered):
                tracker = clone(tracker)  # a new tracker per message, as the store gives
                messages += 1
            following = events[index + 1] if index + 1 < len(events) else None
            if isinstance(following, ActionExecuted) and following.action_name != "action_session_start":
                started = time.process_time()
                agent.processor.predict_next_with_tracker_if_should(tracker)
                spent += time.process_time() - started
                predictions += 1
    return spent, predictions, messages


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "frontline.tar.gz")
    parser.add_argument("--rounds", type=int, default=3, help="stock/ours pairs, then stock")
    args = parser.parse_args()
    with gzip.open(RECORDED, "rt", encoding="utf-8") as handle:
        conversations = json.load(handle)
    configure_structlog(logging.INFO)  # as the server: debug events dropped, not printed
    agent = Agent.load(str(args.model))
    policy_states.uninstall()
    one_pass(agent, conversations)  # warm-up
    results: Dict[str, List[float]] = {"stock": [], "ours": []}
    for round_ in range(2 * args.rounds + 1):
        label = "ours" if round_ % 2 else "stock"
        (policy_states.install if label == "ours" else policy_states.uninstall)()
        spent, predictions, messages = one_pass(agent, conversations)
        results[label].append(1000 * spent / messages)
        print(f"{label:5s}: {1000 * spent / messages:6.2f} ms CPU per message "
              f"({predictions} predictions, {messages} messages), load {os.getloadavg()[0]:.1f}",
              flush=True)
    for how, pick in (("best", min), ("mean", lambda v: sum(v) / len(v))):
        stock, ours = pick(results["stock"]), pick(results["ours"])
        print(f"{how} of each: stock {stock:.2f} ms, ours {ours:.2f} ms per message "
              f"({100 * (1 - ours / stock):.0f} % less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
