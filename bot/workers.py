"""How many Rasa processes (Sanic workers) share this server's port.

Rasa forks SANIC_WORKERS processes (scripts.stack sets it from RASA_WORKERS). What several
processes must share (the widget's socket.io emits, the event broker's order of a
conversation's events) is set up only when there is more than one.
"""
from __future__ import annotations

import os


def worker_count() -> int:
    try:
        return max(1, int(os.environ.get("SANIC_WORKERS") or 1))
    except ValueError:
        return 1  # Rasa falls back to one worker too
