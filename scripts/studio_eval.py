"""Evaluate models side by side for the designer studio, in one process (`make`-free).

    python -m scripts.studio_eval --model candidate=PATH [--model current=PATH] \
        [--holdout DIR] [--stories FILE] [--endpoints FILE] --out DIR

For each model (loaded once): intent accuracy per language on the held-out split and the
most confused pairs (as scripts.eval_nlu scores them), and `rasa test core` on the test
stories into DIR/core-<name>/. Writes DIR/<name>.json. The handoff service runs this as a
subprocess: it never imports Rasa or the bot itself.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

from scripts.eval_nlu import _quiet_structlog, evaluate, load_holdout, predicted_label


def _load_agent(model: str, endpoints: Optional[str]):
    from rasa.core.agent import Agent
    from rasa.core.utils import AvailableEndpoints

    nlg = AvailableEndpoints.read_endpoints(endpoints).nlg if endpoints else None
    return Agent.load(model, generator=nlg)


async def one(name: str, model: str, holdout: List, stories: Optional[str],
              endpoints: Optional[str], out: Path) -> Dict:
    from rasa.core.test import test as core_test

    agent = _load_agent(model, endpoints)
    _quiet_structlog()
    result: Dict = {"model": model}
    if holdout:
        started = time.perf_counter()
        labels = [predicted_label(await agent.parse_message(e.text)) for e in holdout]
        per_message = (time.perf_counter() - started) / max(1, len(holdout))
        _, data = evaluate("held-out", holdout, labels, per_message)
        result["nlu"] = data["results"]
    if stories:
        core = out / f"core-{name}"
        core.mkdir(parents=True, exist_ok=True)
        await core_test(stories, agent, out_directory=str(core))
        result["core"] = str(core)
    return result


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", action="append", required=True, help="NAME=PATH")
    parser.add_argument("--holdout")
    parser.add_argument("--stories")
    parser.add_argument("--endpoints")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    holdout = load_holdout(Path(args.holdout)) if args.holdout and Path(args.holdout).is_dir() else []
    for spec in args.model:
        name, _, path = spec.partition("=")
        result = asyncio.run(one(name, path, holdout, args.stories, args.endpoints, out))
        (out / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1),
                                          encoding="utf-8")
        print(f"{name}: " + ", ".join(f"{k} {v['accuracy']:.3f}"
                                      for k, v in (result.get("nlu") or {}).items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
