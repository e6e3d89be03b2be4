"""Runs a Rasa InputChannel blueprint in a real Sanic 21.12 server on a free local port.

This is how Rasa mounts channels (``rasa.core.channels.channel.register``), minus the agent: tests
pass their own ``on_new_message`` (fast, slow or failing fakes) and talk HTTP to the server.
"""
from __future__ import annotations

import asyncio
import socket
import uuid
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Optional

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Sanic


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeBot:
    """Records every turn and answers with canned messages, optionally after a delay."""

    def __init__(self, answers: Optional[list[dict[str, Any]]] = None, delay: float = 0.0) -> None:
        self.turns: list[UserMessage] = []
        self.answers = answers if answers is not None else [{"text": "好的 / OK"}]
        self.delay = delay

    async def __call__(self, message: UserMessage) -> None:
        self.turns.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for answer in self.answers:
            await message.output_channel.send_response(message.sender_id, dict(answer))

    @property
    def texts(self) -> list[str]:
        return [t.text for t in self.turns]


@asynccontextmanager
async def serve_channel(channel: InputChannel,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> AsyncIterator[str]:
    """Yields the server's base URL (e.g. http://127.0.0.1:PORT); the channel lives under
    /webhooks/<name>/ exactly as in ``rasa run``."""
    # test_mode keeps Sanic's start-up "touch-up" re-runnable: without it the second server
    # started in one process fails inside TouchUp (Sanic 21.12 rewrites methods in place).
    Sanic.test_mode = True
    app = Sanic(f"channel-test-{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.url_prefix()}")
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True,
                                     access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()
