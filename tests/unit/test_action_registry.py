"""The action server registers every action the domain names, from every subpackage of actions/."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
# A fresh interpreter: rasa-sdk registers Action subclasses globally, and the test session
# defines fakes of its own.
LIST_ACTIONS = (
    "import json; from rasa_sdk.executor import ActionExecutor; "
    "e = ActionExecutor(); e.register_package('actions'); print(json.dumps(sorted(e.actions)))"
)


def domain_actions() -> set:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = set()
    for entry in domain["actions"]:
        names.update(entry if isinstance(entry, dict) else [entry])
    return names


def test_every_domain_action_is_served_by_the_action_server():
    done = subprocess.run([sys.executable, "-c", LIST_ACTIONS], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    served = set(json.loads(done.stdout.strip().splitlines()[-1]))
    missing = domain_actions() - served
    assert not missing, f"domain.yml names actions the action server does not register: {missing}"
    # the subpackages are found too (one action from each)
    assert {"action_handoff", "action_order_submit", "validate_order_form",
            "action_flow_start"} <= served
