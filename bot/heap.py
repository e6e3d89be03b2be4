"""The loaded model kept out of Python's full garbage collections.

A Rasa server holds about half a million long-lived objects once TensorFlow, spaCy and the model
are loaded. Every so often (when enough new objects have survived, which a tracker cache makes
common) Python runs a full collection that walks all of them: 200-400 ms on this hardware, with
every conversation in flight stalled behind it. Frozen objects (`gc.freeze`) are not walked. The
model never becomes garbage while it is served, so freezing it loses nothing; when a new model
replaces it, the heap is unfrozen, collected once (the old model goes) and frozen again.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import time

log = logging.getLogger(__name__)


def refreeze() -> None:
    started = time.perf_counter()
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    log.info("heap frozen: %d objects kept out of full collections (%.0f ms)",
             gc.get_freeze_count(), (time.perf_counter() - started) * 1000)


def refreeze_soon() -> bool:
    """Freeze once the code now running (a model load) has finished: on the event loop's next
    turn. False outside a running loop (a script, a test without one)."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return False
    loop.call_soon(refreeze)
    return True
