"""Cuts of Rasa 3.6's per-message CPU where its extension points do not reach.

Each module replaces one Rasa method and has `install()` / `uninstall()`. Each returns what
Rasa's returns (a test compares the two), but `action_payload`, which leaves the earlier
messages' NLU rankings out of what custom actions are sent. `install()` here installs them all;
it runs when Frontline's graph components load (every model of ours) and when the tracker store
loads (every server of ours), before the first message either way, and is idempotent.

FRONTLINE_SPEEDUPS=off leaves Rasa's own code in place: to measure a stock model on the Rasa
it ships with (bench/nlu_speed.py --plain), or to rule the cuts out when chasing a bug.
"""
from __future__ import annotations

import logging
import os

from bot.speedups import (action_client, action_payload, action_validation, domain_empty,
                          event_types, form_tracker, graph_runner, policy_states, tracker_copy)

_MODULES = (action_client, action_payload, action_validation, domain_empty, event_types,
            form_tracker, graph_runner, policy_states, tracker_copy)


log = logging.getLogger(__name__)


def enabled() -> bool:
    return (os.environ.get("FRONTLINE_SPEEDUPS") or "on").strip().lower() not in (
        "off", "0", "false", "no")


def install() -> None:
    if not enabled():
        log.warning("FRONTLINE_SPEEDUPS=off: Rasa's own per-message code runs (slower)")
        return
    for module in _MODULES:
        module.install()


def uninstall() -> None:
    for module in _MODULES:
        module.uninstall()
