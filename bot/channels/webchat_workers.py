"""The web widget's socket.io server when the Rasa server runs several Sanic workers.

A widget's socket (WebSocket) is one connection, so it lives in the worker that accepted it. But
what must reach it may be handled by another worker: an agent's message relayed by the handoff
service (Rasa's HTTP API, `output_channel=latest`), the agent's typing indicator. With more than
one worker, every emit is therefore also published on Redis (python-socketio's Redis manager,
channel `<REDIS_KEY_PREFIX>:socketio`) and each worker delivers it to its own sockets. With one
worker nothing changes (the in-process manager, no Redis round trip).

Sanic forks its workers after the channel is built, so each worker gets its own manager id here
(the manager ignores messages carrying its own id: with the id it was forked with, a worker would
drop every other worker's emits), and listens from its start rather than from its first socket.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Callable, Optional

from socketio import AsyncRedisManager, AsyncServer

from bot.workers import worker_count


def shared_manager() -> Optional[AsyncRedisManager]:
    """A Redis-backed client manager when workers share the port, None (in-process) otherwise."""
    url = os.environ.get("REDIS_URL")
    if worker_count() < 2 or not url:
        return None
    prefix = (os.environ.get("REDIS_KEY_PREFIX") or "frontline").rstrip(":")
    manager = AsyncRedisManager(url, channel=f"{prefix}:socketio")
    os.register_at_fork(after_in_child=lambda: setattr(manager, "host_id", uuid.uuid4().hex))
    return manager


def start_listening(sio: AsyncServer) -> Callable[..., Any]:
    """A listener for `after_server_start`: subscribe this worker at once, so an emit from
    another worker reaches a socket that connected a moment ago."""

    async def listen(app: Any, loop: Any) -> None:  # noqa: ARG001
        if isinstance(sio.manager, AsyncRedisManager) and not sio.manager_initialized:
            sio.manager_initialized = True
            sio.manager.initialize()

    return listen
