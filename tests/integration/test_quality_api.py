"""Quality inspection on the running service (PostgreSQL): rule hits on the ticket, the
review queue of sampled conversations and the reviewer's verdict."""
from __future__ import annotations

import pytest

from tests.integration.handoff_support import (pg_url, prefix, rasa_stub,  # noqa: F401
                                               sample_ticket, stack)

pytestmark = pytest.mark.integration


async def handled(stack, headers, replies, peak="angry"):
    ticket = sample_ticket(emotion={"current": peak, "peak": peak})
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=headers)
    for n, text in enumerate(replies):
        await stack.call("POST", f"/api/tickets/{tid}/messages", headers=headers,
                         json={"text": text, "client_id": f"c{n}"})
    await stack.call("POST", f"/api/tickets/{tid}/resolve", headers=headers, json={})
    return tid


async def test_hits_score_review_queue_and_verdict(stack):
    stack.agent("ann")
    stack.agent("boss", role="supervisor")
    ann, boss = await stack.login("ann"), await stack.login("boss")
    bad = await handled(stack, ann, ["订单号多少", "这个不关我的事,您的手机13812345678对吧"])
    good = await handled(stack, ann, ["您好,非常抱歉让您久等了", "已为您处理好"])

    status, result = await stack.call("GET", f"/api/tickets/{bad}/quality", headers=ann)
    assert status == 200
    rules = {h["rule"] for h in result["hits"]}
    assert rules == {"no_greeting", "forbidden_phrase", "no_apology_to_angry", "personal_data"}
    assert result["score"] == 100 - 5 - 20 - 10 - 20 and result["sampled"] is True
    assert "13812345678" not in str(result["hits"])
    _, fine = await stack.call("GET", f"/api/tickets/{good}/quality?lang=en", headers=ann)
    assert fine["score"] == 100 and fine["hits"] == []

    assert (await stack.call("GET", "/api/quality/reviews", headers=ann))[0] == 403
    status, queue = await stack.call("GET", "/api/quality/reviews", headers=boss)
    assert status == 200 and queue["reviews"][0]["ticket_id"] == bad  # lowest score first
    assert queue["reviews"][0]["ticket"]["id"] == bad
    assert all(r["sampled"] for r in queue["reviews"])

    status, _ = await stack.call("POST", f"/api/quality/reviews/{bad}", headers=boss,
                                 json={"verdict": "maybe"})
    assert status == 400
    assert (await stack.call("POST", f"/api/quality/reviews/{bad}", headers=ann,
                             json={"verdict": "fail"}))[0] == 403
    status, judged = await stack.call("POST", f"/api/quality/reviews/{bad}", headers=boss,
                                      json={"verdict": "coach", "note": "先问候,号码要打码"})
    assert status == 200 and judged["verdict"] == "coach" and judged["reviewer"] == "boss"
    _, pending = await stack.call("GET", "/api/quality/reviews", headers=boss)
    assert bad not in [r["ticket_id"] for r in pending["reviews"]]
    _, done = await stack.call("GET", "/api/quality/reviews?status=reviewed", headers=boss)
    assert [r["ticket_id"] for r in done["reviews"]] == [bad]
    _, detail = await stack.call("GET", f"/api/tickets/{bad}", headers=boss)
    assert any(e["kind"] == "quality_verdict" for e in detail["events"])
