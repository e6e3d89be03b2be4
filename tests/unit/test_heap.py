"""A loaded model is frozen out of full garbage collections, and refrozen after a new one."""
from __future__ import annotations

import asyncio
import gc
import weakref

from bot import heap


class Model:
    pass


def test_a_replaced_model_is_collected_and_the_new_one_frozen():
    gc.unfreeze()
    try:
        old = Model()
        old.cycle = old  # only a full collection frees a cycle
        gone = weakref.ref(old)
        heap.refreeze()
        frozen = gc.get_freeze_count()
        assert frozen > 0
        del old
        gc.collect()
        assert gone() is not None  # frozen: not collected while it is frozen
        heap.refreeze()  # a new model loaded: the old one goes now
        assert gone() is None and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_freezing_waits_for_the_loading_code_to_finish():
    gc.unfreeze()
    try:
        assert heap.refreeze_soon()
        assert gc.get_freeze_count() == 0  # still loading: nothing frozen yet
        await asyncio.sleep(0)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_outside_a_running_loop_nothing_is_scheduled():
    assert heap.refreeze_soon() is False
