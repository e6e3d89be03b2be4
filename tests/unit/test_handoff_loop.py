"""The handoff service runs on uvloop's event loop, as Rasa's and the action server's Sanic do."""
from __future__ import annotations

import asyncio

import uvloop

from handoff.app import use_uvloop


def test_the_service_loop_is_uvloop():
    before = asyncio.get_event_loop_policy()
    try:
        assert use_uvloop()
        loop = asyncio.new_event_loop()
        try:
            assert isinstance(loop, uvloop.Loop)
            assert loop.run_until_complete(asyncio.to_thread(lambda: 41 + 1)) == 42
        finally:
            loop.close()
    finally:
        asyncio.set_event_loop_policy(before)
