"""A shopper message the widget sends again (same message_id) is handled once."""
from __future__ import annotations

import asyncio

import pytest

from bot.channels.webchat_resend import HandledMessages


async def test_a_copy_of_a_handled_message_is_only_acknowledged():
    handled, runs = HandledMessages(None, "t"), []

    async def handle():
        runs.append(1)

    assert await handled.once("web:a", "m1", handle)
    assert not await handled.once("web:a", "m1", handle)  # the answer was lost: sent again
    assert await handled.once("web:b", "m1", handle)  # another conversation's id
    assert await handled.once("web:a", None, handle) and await handled.once("web:a", None, handle)
    assert len(runs) == 4


async def test_a_copy_arriving_while_the_first_runs_waits_for_it():
    handled, gate, runs = HandledMessages(None, "t"), asyncio.Event(), []

    async def slow():
        runs.append(1)
        await gate.wait()

    first = asyncio.ensure_future(handled.once("web:a", "m2", slow))
    await asyncio.sleep(0)
    copy = asyncio.ensure_future(handled.once("web:a", "m2", slow))
    await asyncio.sleep(0.01)
    assert not copy.done()  # not acknowledged before the message is really handled
    gate.set()
    assert await first and not await copy
    assert len(runs) == 1


async def test_a_message_that_failed_is_handled_again():
    handled, runs = HandledMessages(None, "t"), []

    async def broken():
        runs.append(1)
        raise RuntimeError("Rasa could not handle it")

    with pytest.raises(RuntimeError):
        await handled.once("web:a", "m3", broken)

    async def fine():
        runs.append(2)
    assert await handled.once("web:a", "m3", fine)
    assert runs == [1, 2]
