"""GET /api/stats/metrics and its CSV on the running service (PostgreSQL), and the
post-chat surveys that feed NPS and CES."""
from __future__ import annotations

import csv
import io

import pytest

from handoff import store, survey_flow, surveys
from handoff.db import TicketRow
from handoff.metrics import compute
from tests.integration.handoff_support import (pg_url, prefix, rasa_stub,  # noqa: F401
                                               sample_ticket, stack)

pytestmark = pytest.mark.integration


async def test_supervisors_get_every_metric_computed_from_the_tickets(stack):
    stack.agent("boss", role="supervisor")
    stack.agent("ann")
    boss, ann = await stack.login("boss"), await stack.login("ann")
    status, empty = await stack.call("GET", "/api/stats/metrics?days=7", headers=boss)
    assert status == 200
    for name in ("fcr", "containment", "transfer_rate", "first_response_s", "aht_s",
                 "csat_bot", "csat_human", "nps", "ces"):
        assert name in empty and empty[name] is None, name

    _, placed = await stack.hand_off(sample_ticket())
    tid = placed["ticket_id"]
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=ann)
    await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann,
                     json={"text": "您好,我来帮您查", "client_id": "m1"})
    await stack.call("POST", f"/api/tickets/{tid}/resolve", headers=ann, json={})

    def rate(db):
        row = db.get(TicketRow, tid)
        store.set_csat(db, row, 4, source="test")
        items = survey_flow.after_csat(db, row)
        items += survey_flow.on_answer(db, row.conversation_id, "9")
        items += survey_flow.on_answer(db, row.conversation_id, "8")  # 8 > CES max 7: ignored
        items += survey_flow.on_answer(db, row.conversation_id, "6")
        return items
    items = await stack.service.db(rate)
    config = surveys.load()
    assert [i["text"] for i in items] == [config.after(None).ask("zh"),
                                          config.after("nps").ask("zh"), config.thanks["zh"]]

    status, report = await stack.call("GET", "/api/stats/metrics?days=1", headers=boss)
    assert status == 200 and report["tickets"] == 1 and report["contacts"] == 1
    assert report["transfer_rate"] == 1.0 and report["csat_human"] == 4.0
    assert report["nps"] == 100.0 and report["ces"] == 6.0
    assert report["first_response_s"] is not None and report["first_response_s"] >= 0
    assert report["aht_s"] is not None and report["aht_s"] >= 0
    assert [row["key"] for row in report["by_agent"]] == ["ann"]
    assert report["assist"] == {"used": 0, "by_kind": {}, "agent_messages": 1,
                                "per_agent_message": 0.0}
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/assist/used", headers=ann,
                                 json={"kind": "faq", "ref": "shipping_fee"})
    assert status == 201
    assert (await stack.call("POST", f"/api/tickets/{tid}/assist/used", headers=ann,
                             json={"kind": "nope", "ref": "x"}))[0] == 400
    _, report = await stack.call("GET", "/api/stats/metrics?days=1", headers=boss)
    assert report["assist"]["used"] == 1 and report["assist"]["by_kind"] == {"faq": 1}
    assert report["by_channel"][0]["key"] == "socketio"

    status, text = await stack.call("GET", "/api/stats/metrics.csv?days=1", headers=boss)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["scope", "key", *compute.METRIC_NAMES]
    assert rows[1][0] == "total" and ["agent", "ann"] == rows[2][:2]


async def test_only_supervisors_with_a_sane_period(stack):
    stack.agent("ann")
    stack.agent("boss", role="supervisor")
    ann, boss = await stack.login("ann"), await stack.login("boss")
    assert (await stack.call("GET", "/api/stats/metrics"))[0] == 401
    assert (await stack.call("GET", "/api/stats/metrics", headers=ann))[0] == 403
    assert (await stack.call("GET", "/api/stats/metrics.csv", headers=ann))[0] == 403
    for days in ("0", "400", "x"):
        assert (await stack.call("GET", f"/api/stats/metrics?days={days}",
                                 headers=boss))[0] == 400
