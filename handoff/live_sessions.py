"""Open agent sockets follow their sessions: closed on logout, disabling and rights changes.

A socket is authorised once, at the handshake; afterwards the agent's session can be revoked
(logout, `handoff.accounts disable`/`passwd`, expiry) and their queues or role changed, often by
another process (the accounts CLI). Every few seconds each open socket's session is checked
against the database: an ended session closes the socket (4401), changed queues or role close
it too (4403), and the console reconnects with its current rights or goes to the login page.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable, Dict, Iterable, Tuple

from handoff import agents
from handoff.hub import RIGHTS_CHANGED, SESSION_ENDED, Hub

log = logging.getLogger(__name__)

Lookup = Callable[[Iterable[str]], Awaitable[Dict[str, Tuple[str, frozenset]]]]


async def recheck(hub: Hub, lookup: Lookup) -> int:
    """One pass over the open sockets; returns how many were closed."""
    subs = list(hub.subscribers)
    if not subs:
        return 0
    live = await lookup([s.session for s in subs])
    closed = 0
    for sub in subs:
        state = live.get(sub.session)
        if state is None:
            await hub.close(sub, SESSION_ENDED, "session ended")
        elif state != (sub.role, frozenset(sub.queues)):
            await hub.close(sub, RIGHTS_CHANGED, "queues or role changed")
        else:
            continue
        closed += 1
    return closed


async def recheck_forever(hub: Hub, db: Callable, seconds: float) -> None:
    async def lookup(keys: Iterable[str]) -> Dict[str, Tuple[str, frozenset]]:
        return await db(agents.live_sessions, list(keys))

    while True:
        try:
            await recheck(hub, lookup)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("checking the agents' open sockets failed")
        await asyncio.sleep(seconds)
