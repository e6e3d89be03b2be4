"""Cuts of Rasa 3.6's per-message CPU where its extension points do not reach.

Each module replaces one Rasa method with code that returns what Rasa's returns (a test compares
the two) and has `install()` / `uninstall()`. `install()` here installs them all; it runs when
Frontline's graph components load (every model of ours) and when the tracker store loads (every
server of ours), before the first message either way, and is idempotent.
"""
from __future__ import annotations

from bot.speedups import (action_client, action_validation, domain_empty, graph_runner,
                          policy_states, tracker_copy)

_MODULES = (action_client, action_validation, domain_empty, graph_runner, policy_states, tracker_copy)


def install() -> None:
    for module in _MODULES:
        module.install()


def uninstall() -> None:
    for module in _MODULES:
        module.uninstall()
