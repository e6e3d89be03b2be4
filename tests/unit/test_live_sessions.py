"""Open agent sockets follow their sessions (handoff.live_sessions), with recorded sockets."""
from __future__ import annotations

from typing import List, Optional

from handoff.hub import RIGHTS_CHANGED, SESSION_ENDED, Hub, Subscriber
from handoff.live_sessions import recheck


class RecordedSocket:
    def __init__(self) -> None:
        self.closed: Optional[int] = None

    async def close(self, code: int, message: bytes = b"") -> None:
        self.closed = code


def subscriber(session: str, queues: List[str], role: str = "agent") -> Subscriber:
    return Subscriber(ws=RecordedSocket(), agent_id=1, role=role, queues=set(queues),  # type: ignore[arg-type]
                      session=session)


async def test_ended_sessions_and_changed_rights_close_their_sockets():
    hub = Hub()
    same, ended, moved, promoted = (subscriber("a", ["general"]), subscriber("b", ["general"]),
                                    subscriber("c", ["general"]), subscriber("d", ["general"]))
    for sub in (same, ended, moved, promoted):
        hub.add(sub)

    async def lookup(keys):
        assert set(keys) == {"a", "b", "c", "d"}
        return {"a": ("agent", frozenset({"general"})), "c": ("agent", frozenset({"logistics"})),
                "d": ("supervisor", frozenset({"general"}))}

    assert await recheck(hub, lookup) == 3
    assert same.ws.closed is None and hub.subscribers == {same}
    assert ended.ws.closed == SESSION_ENDED
    assert moved.ws.closed == RIGHTS_CHANGED and promoted.ws.closed == RIGHTS_CHANGED


async def test_logout_closes_only_that_sessions_sockets():
    hub = Hub()
    mine, other = subscriber("a", ["general"]), subscriber("b", ["general"])
    hub.add(mine)
    hub.add(other)
    assert await hub.close_session("a") == 1
    assert mine.ws.closed == SESSION_ENDED and other.ws.closed is None
