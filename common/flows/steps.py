"""The step actions a flow file may name (`action: lookup_device_model`): their contract.

Each declares its outcomes (the keys a step's `branches` must cover), the values it provides to
later prompts (`{device_model}`), and the `args` it accepts, so the validator can check a
designer's file where the flows are read (the Rasa server's policy, the action server, `make
validate`) without the code that runs them (actions.flows.step_actions, one per name here).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class StepSpec:
    name: str
    outcomes: Tuple[str, ...]
    provides: Tuple[str, ...] = ()
    args: Tuple[str, ...] = ()


STEPS: Dict[str, StepSpec] = {spec.name: spec for spec in (
    StepSpec("lookup_device_model", outcomes=("found", "not_found"),
             provides=("device_model", "device_order"), args=("keywords",)),
)}
