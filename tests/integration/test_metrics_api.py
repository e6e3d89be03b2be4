"""GET /api/stats/metrics and its CSV on the running service (PostgreSQL), the post-chat
surveys that feed NPS and CES, and contacts from the bot's event stream (no tracker store)."""
from __future__ import annotations

import asyncio
import csv
import io
import time
import uuid

import pytest
from sqlalchemy import inspect, select

from handoff import store, survey_flow, surveys
from handoff.conversations.tables import ConversationSession
from handoff.db import TicketRow, make_engine, make_sessionmaker
from handoff.metrics import compute
from tests.integration.handoff_support import (make_broker, pg_url, prefix,  # noqa: F401
                                               rasa_stub, sample_ticket, stack)

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


async def _recorded(stack, last_actions: dict, timeout: float = 60.0) -> None:
    """Wait until the service's stream consumer has folded every sender's last event in.

    A session row appears with its first event; the consumer folds the rest in later reads
    and other senders concurrently, so each sender's own last act is what says it is done."""
    engine = make_engine(stack.settings.resolved_db_url)
    deadline = time.monotonic() + timeout
    seen: dict = {}
    try:
        while time.monotonic() < deadline:
            with make_sessionmaker(engine)() as db:
                seen = dict(db.execute(select(ConversationSession.sender_id,
                                              ConversationSession.last_action).where(
                    ConversationSession.sender_id.in_(list(last_actions)))).all())
            if seen == last_actions:
                return
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()
    raise AssertionError(f"the read model holds {seen}, expected {last_actions}")


def _session(sender: str, at: float, *turns) -> list:
    """Rasa's events of one session as the bot's broker publishes them."""
    events = [{"event": "action", "sender_id": sender, "name": "action_session_start",
               "timestamp": at},
              {"event": "session_started", "sender_id": sender, "timestamp": at + 0.01}]
    for n, (intent, text, action) in enumerate(turns, start=1):
        events.append({"event": "user", "sender_id": sender, "timestamp": at + n,
                       "text": text, "message_id": uuid.uuid4().hex, "input_channel": "socketio",
                       "parse_data": {"intent": {"name": intent, "confidence": 0.9},
                                      "entities": [], "language": "zh"}})
        events.append({"event": "action", "sender_id": sender, "name": action,
                       "timestamp": at + n + 0.5})
    return events


async def test_contacts_come_from_the_bot_stream_without_a_tracker_store(stack, prefix):
    """Bot-only conversations reach the metrics through <prefix>:events and the read model;
    there is no `events` table to read, and events published twice count once."""
    stack.agent("boss", role="supervisor")
    boss = await stack.login("boss")
    now = time.time() - 600
    tag = uuid.uuid4().hex[:6]
    closed, dropped, handed = f"web-a-{tag}", f"web-b-{tag}", f"web-c-{tag}"
    events = (_session(closed, now, ("faq/shipping_fee", "包邮吗", "utter_faq/shipping_fee"),
                       ("thank", "谢谢", "utter_welcome"))
              + _session(dropped, now + 10, ("order_status", "我的快递到哪了", "action_order_status"),
                         ("nlu_fallback", "blorp", "action_default_fallback"))
              + _session(handed, now + 20, ("request_human", "转人工", "action_handoff")))

    async def publish(batch: list, marker: str) -> None:
        broker = make_broker(prefix)
        for event in batch + _session(marker, time.time(), ("greet", "你好", "utter_greet")):
            broker.publish(event)
        assert await asyncio.to_thread(broker.flush, 60)
        await broker.close()
        await _recorded(stack, {closed: "utter_welcome", dropped: "action_default_fallback",
                                handed: "action_handoff", marker: "utter_greet"})

    await publish(events, f"marker-1-{tag}")
    status, _ = await stack.hand_off(sample_ticket(handed))
    assert status in (200, 201)
    await publish(events, f"marker-2-{tag}")  # the same events again (an outbox re-send)

    engine = make_engine(stack.settings.resolved_db_url)
    try:
        assert "events" not in inspect(engine).get_table_names()
        with make_sessionmaker(engine)() as db:
            rows = db.scalars(select(ConversationSession).where(
                ConversationSession.sender_id.in_([closed, dropped, handed]))).all()
    finally:
        engine.dispose()
    assert sorted((r.sender_id, r.shopper_turns) for r in rows) == [
        (closed, 2), (dropped, 2), (handed, 1)]

    status, report = await stack.call("GET", "/api/stats/metrics?days=1", headers=boss)
    assert status == 200
    # three contacts and the two greeting markers (resolved by the bot)
    assert report["contacts"] == 5 and report["tickets"] == 1
    assert report["transfer_rate"] == pytest.approx(1 / 5, abs=1e-3)
    assert report["abandonment_rate"] == pytest.approx(1 / 5, abs=1e-3)
    # resolved by the bot: the thanked chat and the markers (3) over the 4 not abandoned
    assert report["containment"] == pytest.approx(3 / 4, abs=1e-3)
