"""Check every flow in data/flows/ (called by `make validate`).

Prints `file:line: message` for each problem and exits 1 if there is any, so an editor or
CI can jump to the line. Besides each file's own checks, a flow's trigger intent must be
in domain.yml and some rule in data/stories/ must start the flow for it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Iterable, List, Optional, Set

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common.flows.errors import FlowError  # noqa: E402
from common.flows.loader import load_dir  # noqa: E402

START_ACTION = "action_flow_start"


def domain_intents(domain: Path) -> Set[str]:
    data = yaml.safe_load(domain.read_text(encoding="utf-8")) or {}
    names: Set[str] = set()
    for intent in data.get("intents") or []:
        names.add(next(iter(intent)) if isinstance(intent, dict) else str(intent))
    return names


def routed_intents(stories: Path) -> Set[str]:
    """Intents that some rule answers with action_flow_start."""
    routed: Set[str] = set()
    for path in sorted(stories.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for rule in data.get("rules") or []:
            steps = rule.get("steps") or []
            for first, second in zip(steps, steps[1:]):
                intents = [first.get("intent")] + [o.get("intent") for o in first.get("or") or []]
                if second.get("action") == START_ACTION:
                    routed.update(i for i in intents if i)
    return routed


def check(flows_dir: Path, domain: Optional[Path], stories: Optional[Path]) -> List[FlowError]:
    intents = domain_intents(domain) if domain and domain.exists() else None
    flows, errors = load_dir(flows_dir, known_intents=intents)
    if not flows and not errors:
        errors.append(FlowError(str(flows_dir), 1, "no flow files found"))
    if stories and stories.exists():
        routed = routed_intents(stories)
        for flow in flows.values():
            if flow.trigger not in routed:
                errors.append(FlowError(flow.source, flow.trigger_line, f"no rule in {stories} starts this flow: add a rule "
                                        f"'- intent: {flow.trigger}' -> '- action: {START_ACTION}'"))
    return errors


def main(argv: Optional[Iterable[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=Path, default=ROOT / "data" / "flows")
    parser.add_argument("--domain", type=Path, default=ROOT / "domain.yml")
    parser.add_argument("--stories", type=Path, default=ROOT / "data" / "stories")
    args = parser.parse_args(list(argv) if argv is not None else None)
    errors = check(args.flows, args.domain, args.stories)
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problem(s) in flow files", file=sys.stderr)
        return 1
    print(f"flows OK: {len(list(args.flows.glob('*.y*ml')))} file(s) in {args.flows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
