"""Calls the web widget's channel makes to the handoff service on behalf of a socket: a receipt
(webchat_receipts) or a typing hint (webchat_typing).

Both have one shape: only a socket that really is in the conversation's room may speak for it
(another page cannot confirm or type for a shopper); the call is a JSON POST signed with
HANDOFF_TOKEN (common.signing), runs as a task so the socket.io handler returns at once, and
a failure is logged and dropped (both are hints the service can do without).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Awaitable, Collection, Dict, Optional, Set, Text

import aiohttp

from common import signing
from common.config import service_url, shared_token

logger = logging.getLogger(__name__)


class RoomCalls:
    """Room check, task bookkeeping and one HTTP session for signed calls to the service."""

    def __init__(self, sio: Any, namespace: Optional[Text], timeout: float) -> None:
        self.sio, self.namespace, self.timeout = sio, namespace, timeout
        self.tasks: Set[asyncio.Task] = set()
        self._http: Optional[aiohttp.ClientSession] = None

    def in_room(self, sid: Text, room: str) -> bool:
        try:
            return room in (self.sio.rooms(sid, namespace=self.namespace) or [])
        except (KeyError, ValueError):  # a socket that is already gone
            return False

    def spawn(self, call: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(call)
        self.tasks.add(task)  # keep a reference until it is done
        task.add_done_callback(self.tasks.discard)

    async def post(self, path: str, payload: Dict[str, Any], what: str,
                   quiet: Collection[int] = (200,)) -> bool:
        """POST `payload` signed to the service's `path`; True on 200. An answer outside
        `quiet`, or no answer, is logged as a warning naming `what`."""
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(shared_token(), "POST", path, body)}
        try:
            if self._http is None or self._http.closed:
                self._http = aiohttp.ClientSession()
            async with self._http.post(service_url() + path, data=body, headers=headers,
                                       timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                if resp.status not in quiet:
                    logger.warning("%s: handoff service answered %s", what, resp.status)
                return resp.status == 200
        except Exception as exc:  # the service is down: the chat goes on regardless
            logger.warning("%s could not reach the handoff service: %s", what, exc)
            return False

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        if self._http is not None:
            await self._http.close()
