"""The stream consumer tells the handler a lane's entries before handling them one by one, and
acknowledges each entry only after its handler returned: a lane's handled entries together."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

from common import streams
from handoff import bus

SECRET, STREAM = "s3cret", "t:events"


class Acks:
    """The part of Redis the lanes use: acknowledgements, in order."""

    def __init__(self) -> None:
        self.acked: List[str] = []
        self.calls = 0

    async def xack(self, stream: str, group: str, *entry_ids: str) -> None:
        self.acked.extend(entry_ids)
        self.calls += 1


def test_each_lane_is_announced_before_its_entries_are_handled():
    redis, log = Acks(), []  # type: ignore[var-annotated]

    async def handler(entry_id: str, payload: Dict[str, Any], _pending: bool) -> None:
        log.append(("handled", entry_id, list(redis.acked)))
        if payload.get("fail"):
            raise RuntimeError("database away")

    consumer = bus.Consumer(redis, STREAM, "c1", handler, SECRET,  # type: ignore[arg-type]
                            key=lambda p: p["sender_id"],
                            lane_start=lambda items: log.append(("lane", [i for i, _ in items])))
    entries = [(f"{n}-0", streams.seal(SECRET, STREAM, {"sender_id": who, "fail": fail}))
               for n, (who, fail) in enumerate([("kim", False), ("lee", False), ("kim", False),
                                                ("lee", True), ("lee", False)])]
    try:
        asyncio.run(consumer._handle(entries, pending=False))
    except bus.LaneFailed:
        pass
    kim = [e for e in log if e[0] == "lane" and e[1][0] == "0-0"]
    assert kim == [("lane", ["0-0", "2-0"])]  # one announcement per lane, its entries in order
    assert ("lane", ["1-0", "3-0", "4-0"]) in log
    assert log.index(("lane", ["0-0", "2-0"])) < log.index(("handled", "0-0", []))
    # Acknowledged after handling, a lane's entries at once; the failed entry and the one
    # behind it stay pending (to be retried in order), the earlier ones of its lane are
    # acknowledged all the same.
    assert sorted(redis.acked) == ["0-0", "1-0", "2-0"]
    assert redis.calls == 2  # one XACK per lane
    assert ("handled", "2-0", []) in log  # kim's first entry was not acknowledged mid-lane
    assert "4-0" not in [e[1] for e in log if e[0] == "handled"]
