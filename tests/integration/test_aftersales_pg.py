"""After-sales work on real PostgreSQL and Redis: cases from the bot (HTTP and the intake
stream), worked by agents with the shopper told of progress; compensation within authority,
supervisor approvals and the shop outbox; the customer 360 of a ticket."""
from __future__ import annotations

import json
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, text, update

from common.shop.outbox import HANDOFF_OUTBOX
from common import signing as security
from handoff.aftersales.models import CaseRow
from handoff.db import Agent, make_engine, make_sessionmaker
from common.ticket import utcnow
from tests.integration.handoff_support import (TOKEN, make_broker, pg_url,  # noqa: F401
                                               prefix, rasa_stub, sample_ticket, signed, stack)

pytestmark = pytest.mark.integration


def case_body(**overrides):
    body = {"case_ref": f"AS20261129{uuid.uuid4().int % 10**6:06d}", "kind": "not_received",
            "priority": "high", "customer_id": "C1", "order_id": "E202611180042",
            "conversation_id": f"conv-{uuid.uuid4().hex[:8]}", "channel": "socketio",
            "language": "en", "description": "says the parcel never came"}
    body.update(overrides)
    return body


async def bot_post(stack, path, payload, secret=TOKEN):
    raw = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **security.sign(secret, "POST", path, raw)}
    return await stack.call("POST", path, headers=headers, data=raw)


def set_level(stack, username, level):
    engine = make_engine(stack.settings.resolved_db_url)
    with make_sessionmaker(engine).begin() as db:
        db.execute(update(Agent).where(Agent.username == username).values(level=level))
    engine.dispose()


def outbox_rows(stack):
    engine = make_engine(stack.settings.resolved_db_url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(HANDOFF_OUTBOX))]
    engine.dispose()
    return rows


async def test_bot_case_is_worked_and_the_shopper_hears_progress(stack, rasa_stub):
    stack.agent("ann")
    ann = await stack.login("ann")
    body = case_body()
    status, case = await bot_post(stack, "/api/bot/cases", body)
    assert status == 201, case
    assert case["department"] == "logistics" and case["status"] == "open"
    assert case["opened_by"] == "bot" and not case["overdue"]
    # high priority: half of not_received's 72 hours
    opened = utcnow()
    due = case["due_at"]
    from datetime import datetime
    hours = (datetime.fromisoformat(due) - opened).total_seconds() / 3600
    assert 35.5 < hours <= 36
    again, same = await bot_post(stack, "/api/bot/cases", body)  # a retried delivery
    assert again == 200 and same["id"] == case["id"]
    assert (await bot_post(stack, "/api/bot/cases", body, secret="forged"))[0] == 403

    status, changed = await stack.call("POST", f"/api/cases/{case['id']}", headers=ann, json={
        "status": "waiting_carrier", "note": "asked SF to trace it"})
    assert status == 200 and changed["status"] == "waiting_carrier"
    cid = body["conversation_id"]
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(cid))
    said = rasa_stub.bot_texts(cid)[0]
    assert body["case_ref"] in said and "waiting for the carrier" in said
    assert "asked SF to trace it" in said

    # department change and a note: history, no message to the shopper
    status, _ = await stack.call("POST", f"/api/cases/{case['id']}", headers=ann,
                                 json={"department": "finance", "note": "refund likely"})
    assert status == 200
    status, _ = await stack.call("POST", f"/api/cases/{case['id']}/notes", headers=ann,
                                 json={"text": "customer called again"})
    assert status == 201
    status, detail = await stack.call("GET", f"/api/cases/{case['id']}", headers=ann)
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds == ["opened", "status", "department", "note"]
    assert detail["department"] == "finance"
    assert detail["events"][1]["actor"] == "ann"
    await stack.call("POST", f"/api/cases/{case['id']}", headers=ann,
                     json={"status": "resolved", "note": ""})
    await rasa_stub.wait_for(lambda: len(rasa_stub.bot_texts(cid)) == 2)
    assert "resolved" in rasa_stub.bot_texts(cid)[1]

    # bad input: clear errors, nothing changed
    for payload in ({"status": "lost"}, {"department": "marketing"}, {"status": 3}):
        assert (await stack.call("POST", f"/api/cases/{case['id']}", headers=ann,
                                 json=payload))[0] == 400
    assert (await stack.call("POST", "/api/cases/999999", headers=ann,
                             json={"status": "open"}))[0] == 404
    assert (await stack.call("GET", "/api/cases")) [0] == 401


async def test_case_through_the_intake_stream_when_http_failed(stack):
    stack.agent("bob")
    bob = await stack.login("bob")
    body = case_body(kind="damaged_item", language="zh")
    broker = make_broker(stack.settings.redis_prefix)
    for _ in range(2):  # queued twice (a retry): one case
        broker.publish({"event": "case_opened", "sender_id": body["conversation_id"],
                        "case": body})
    deadline = time.monotonic() + 10
    found = []
    while time.monotonic() < deadline and not found:
        found = (await stack.call("GET", "/api/cases?department=after_sales", headers=bob))[1][
            "cases"]
        found = [c for c in found if c["case_ref"] == body["case_ref"]]
        time.sleep(0.1)
    assert len(found) == 1 and found[0]["kind"] == "damaged_item"


async def test_overdue_cases_and_the_shoppers_lookup(stack):
    stack.agent("sue", role="supervisor")
    sue = await stack.login("sue")
    late = (await bot_post(stack, "/api/bot/cases", case_body(customer_id="C9")))[1]
    fresh = (await bot_post(stack, "/api/bot/cases", case_body(customer_id="C9",
                                                               kind="carrier_inquiry")))[1]
    engine = make_engine(stack.settings.resolved_db_url)
    with make_sessionmaker(engine).begin() as db:
        db.execute(update(CaseRow).where(CaseRow.id == late["id"])
                   .values(due_at=utcnow() - timedelta(hours=1)))
    engine.dispose()
    status, listed = await stack.call("GET", "/api/cases?overdue=1", headers=sue)
    ids = [c["id"] for c in listed["cases"]]
    assert late["id"] in ids and fresh["id"] not in ids
    assert all(c["overdue"] for c in listed["cases"])

    status, mine = await bot_post(stack, "/api/bot/cases/lookup",
                                  {"customer_id": "C9", "language": "zh"})
    assert status == 200 and {c["id"] for c in mine["cases"]} == {late["id"], fresh["id"]}
    assert mine["cases"][0]["status_text"] == "已受理,正在处理"
    status, by_conv = await bot_post(stack, "/api/bot/cases/lookup", {
        "conversation_id": fresh["conversation_id"], "language": "en"})
    assert [c["id"] for c in by_conv["cases"]] == [fresh["id"]]
    status, nobody = await bot_post(stack, "/api/bot/cases/lookup", {"customer_id": "C-other"})
    assert nobody["cases"] == []
    status, none = await bot_post(stack, "/api/bot/cases/lookup", {})
    assert none["cases"] == []
    unsigned = await stack.call("POST", "/api/bot/cases/lookup", json={"customer_id": "C9"})
    assert unsigned[0] == 401


def ticket_with_orders(conversation_id=None, customer_id="C1", identities=()):
    orders = [{"order_id": "E202611180042", "status": "shipped", "amount": 1299.0},
              {"order_id": "E202610010001", "status": "delivered", "amount": 99.0}]
    return sample_ticket(conversation_id, customer={
        "customer_id": customer_id, "name": "王先生", "masked_phone": "138****5678",
        "tier": "gold", "identities": list(identities), "orders": orders})


async def test_compensation_within_authority_and_by_approval(stack):
    stack.agent("jun")
    stack.agent("sen")
    stack.agent("boss", role="supervisor")
    stack.agent("boss2", role="supervisor")
    set_level(stack, "sen", "senior")
    jun, sen = await stack.login("jun"), await stack.login("sen")
    boss, boss2 = await stack.login("boss"), await stack.login("boss2")
    customer = f"C-{uuid.uuid4().hex[:6]}"
    status, place = await stack.hand_off(ticket_with_orders(customer_id=customer))
    tid = place["ticket_id"]
    grant = {"kind": "coupon", "reason": "late_delivery", "amount": 20,
             "order_id": "E202611180042", "note": "three days late"}

    status, limits = await stack.call("GET", "/api/compensation/limits", headers=jun)
    assert limits["level"] == "junior" and limits["limits"]["*"]["coupon"]["amount"] == "20"

    status, ok = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=jun, json=grant)
    assert status == 201 and ok["status"] == "granted" and ok["decided_by"] == "jun"
    assert ok["shop_key"] == f"grant-{ok['id']}"
    sent = [r for r in outbox_rows(stack) if r["idempotency_key"] == ok["shop_key"]]
    assert len(sent) == 1 and sent[0]["kind"] == "coupon" and sent[0]["status"] == "queued"
    assert sent[0]["payload"]["amount"] == "20.00"

    # a second coupon on the same order: beyond a junior's per-order count -> approval
    status, held = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=jun,
                                    json=dict(grant, amount=10))
    assert status == 201 and held["status"] == "pending" and "limit 1" in held["limit_reason"]
    assert held["shop_key"] is None
    assert not [r for r in outbox_rows(stack) if r["payload"].get("grant_id") == held["id"]]

    # who may decide
    assert (await stack.call("GET", "/api/grants", headers=jun))[0] == 403
    assert (await stack.call("POST", f"/api/grants/{held['id']}/decision", headers=jun,
                             json={"approve": True}))[0] == 403
    assert (await stack.call("POST", f"/api/grants/{held['id']}/decision", headers=boss,
                             json={"approve": "yes"}))[0] == 400
    status, pending = await stack.call("GET", "/api/grants", headers=boss)
    assert held["id"] in [g["id"] for g in pending["grants"]]
    status, approved = await stack.call("POST", f"/api/grants/{held['id']}/decision",
                                        headers=boss, json={"approve": True, "note": "ok"})
    assert status == 200 and approved["status"] == "granted"
    assert approved["decided_by"] == "boss" and approved["requested_by"] == "jun"
    assert [r for r in outbox_rows(stack) if r["idempotency_key"] == f"grant-{held['id']}"]
    assert (await stack.call("POST", f"/api/grants/{held['id']}/decision", headers=boss2,
                             json={"approve": False}))[0] == 409

    # a senior refunds for damage up to 300 at once; 2000.01 is beyond anyone
    status, refund = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=sen, json={
        "kind": "refund", "reason": "damaged_item", "amount": "299.50",
        "order_id": "E202610010001"})
    assert refund["status"] == "granted"
    row = [r for r in outbox_rows(stack) if r["idempotency_key"] == refund["shop_key"]][0]
    assert row["kind"] == "refund_request" and row["payload"]["partial"] is True
    status, beyond = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=sen, json={
        "kind": "refund", "reason": "damaged_item", "amount": 2000.01,
        "order_id": "E202611180042"})
    assert status == 403 and "beyond every limit" in beyond["message"]

    # a supervisor's own request above their limit is refused; rejection is audited
    status, big = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=jun, json={
        "kind": "reship", "reason": "not_received", "amount": 800, "order_id": "E202611180042"})
    assert big["status"] == "pending"
    assert (await stack.call("POST", f"/api/grants/{big['id']}/decision", headers=boss,
                             json={"approve": False, "note": "reship not needed"}))[1][
        "status"] == "rejected"
    status, mine = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=boss, json={
        "kind": "reship", "reason": "not_received", "amount": 900, "order_id": "E202611180042"})
    assert status == 201 and mine["status"] == "granted"  # within the supervisor's own limit

    # bad input
    for payload, code in [(dict(grant, amount="abc"), 400), (dict(grant, amount=-5), 400),
                          (dict(grant, order_id="E999999999999"), 400),
                          (dict(grant, kind="cash"), 400), (dict(grant, reason="whim"), 400)]:
        assert (await stack.call("POST", f"/api/tickets/{tid}/grants", headers=jun,
                                 json=payload))[0] == code, payload


async def test_customer_360_on_the_ticket(stack):
    stack.agent("amy")
    amy = await stack.login("amy")
    customer = f"C-{uuid.uuid4().hex[:6]}"
    wechat_conv = f"oWx{uuid.uuid4().hex[:8]}"
    # an earlier ticket on WeChat, rated 4, and an earlier web ticket of the same customer
    status, first = await stack.hand_off(ticket_with_orders(wechat_conv, customer))
    engine = make_engine(stack.settings.resolved_db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE handoff_tickets SET status='resolved', csat=4, "
                          "channel='wechat' WHERE id=:id"), {"id": first["ticket_id"]})
    engine.dispose()
    identities = [{"channel": "wechat", "id": wechat_conv, "conversation_id": wechat_conv}]
    status, place = await stack.hand_off(ticket_with_orders(None, customer, identities))
    tid = place["ticket_id"]
    case = (await bot_post(stack, "/api/bot/cases", case_body(customer_id=customer)))[1]
    status, note = await stack.call("POST", f"/api/tickets/{tid}/customer/notes", headers=amy,
                                    json={"text": "prefers phone calls after 18:00"})
    assert status == 201
    status, view = await stack.call("GET", f"/api/tickets/{tid}/customer", headers=amy)
    assert status == 200 and view["customer_id"] == customer
    assert [o["order_id"] for o in view["orders"]] == ["E202611180042", "E202610010001"]
    earlier = {t["id"]: t for t in view["earlier_tickets"]}
    assert earlier[first["ticket_id"]]["csat"] == 4
    assert view["other_channels"][0]["channel"] == "wechat"
    assert view["other_channels"][0]["tickets"][0]["id"] == first["ticket_id"]
    assert [c["id"] for c in view["cases"]] == [case["id"]]
    assert view["notes"][0]["text"] == "prefers phone calls after 18:00"
    assert view["notes"][0]["author"] == "amy"
    # an agent opens a case from the ticket: the customer's, owned by its kind's department
    status, opened = await stack.call("POST", f"/api/tickets/{tid}/cases", headers=amy, json={
        "kind": "damaged_item", "description": "lid cracked"})
    assert status == 201 and opened["customer_id"] == customer
    assert opened["department"] == "after_sales" and opened["opened_by"] == "amy"
    assert (await stack.call("POST", f"/api/tickets/{tid}/cases", headers=amy,
                             json={"kind": "nonsense"}))[0] == 400
    # an agent of another queue cannot read it
    stack.agent("tim", queues=("tech_support",))
    tim = await stack.login("tim")
    assert (await stack.call("GET", f"/api/tickets/{tid}/customer", headers=tim))[0] == 403


def is_error_shape(data, code, *fields):
    """The one JSON error of the API: code, message and the fields at fault, no trace."""
    assert isinstance(data, dict) and data["error"] == code and data["message"], data
    assert set(data) <= {"error", "message", "fields"}
    assert "Traceback" not in json.dumps(data) and "File \"" not in json.dumps(data)
    if fields:
        assert [f["field"] for f in data["fields"]] == list(fields), data
    return True


async def test_bad_bodies_are_refused_by_the_models_and_good_ones_still_work(stack):
    stack.agent("eve")
    stack.agent("max", role="supervisor")
    eve, boss = await stack.login("eve"), await stack.login("max")
    customer = f"C-{uuid.uuid4().hex[:6]}"
    _, place = await stack.hand_off(ticket_with_orders(customer_id=customer))
    tid = place["ticket_id"]
    grant = {"kind": "coupon", "reason": "late_delivery", "amount": "20",
             "order_id": "E202611180042"}

    status, data = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=eve,
                                    json=dict(grant, amount="abc", kind="cash"))
    assert status == 400 and is_error_shape(data, "bad_field", "kind", "amount")
    assert "coupon" in data["message"]  # the kinds compensation.yml allows
    status, data = await stack.call("POST", f"/api/tickets/{tid}/cases", headers=eve,
                                    data=b"{not json")
    assert status == 400 and is_error_shape(data, "bad_json")
    status, data = await stack.call("POST", f"/api/tickets/{tid}/cases", headers=eve,
                                    json={"kind": "refund", "priority": "urgent"})
    assert status == 400 and is_error_shape(data, "bad_field", "priority")
    status, data = await stack.call("POST", f"/api/tickets/{tid}/customer/notes", headers=eve,
                                    json={"text": "x" * 4001})
    assert status == 400 and is_error_shape(data, "bad_field", "text")
    # a signed bot call with a bad body: the same shape, with the bot route's code
    status, data = await bot_post(stack, "/api/bot/cases", {"case_ref": 5, "kind": "refund"})
    assert status == 400 and is_error_shape(data, "bad_case", "case_ref")
    status, data = await bot_post(stack, "/api/bot/cases/lookup", {"order_ids": "E1"})
    assert status == 400 and is_error_shape(data, "bad_body", "order_ids")
    # nothing was stored by the refused calls
    status, view = await stack.call("GET", f"/api/tickets/{tid}/customer", headers=eve)
    assert view["grants"] == [] and view["cases"] == [] and view["notes"] == []

    # the same routes with good bodies (a console form's empty fields mean "not given")
    status, ok = await stack.call("POST", f"/api/tickets/{tid}/grants", headers=eve,
                                  json=dict(grant, note=""))
    assert status == 201 and ok["amount"] == "20.00" and ok["status"] == "granted"
    status, case = await stack.call("POST", f"/api/tickets/{tid}/cases", headers=eve, json={
        "kind": "refund", "description": "", "priority": "", "department": ""})
    assert status == 201 and case["priority"] == "normal" and case["department"] == "finance"
    status, data = await stack.call("POST", f"/api/cases/{case['id']}", headers=eve,
                                    json={"status": "resolved", "tell_shopper": "no"})
    assert status == 400 and is_error_shape(data, "bad_field", "tell_shopper")
    status, changed = await stack.call("POST", f"/api/cases/{case['id']}", headers=eve, json={
        "status": "waiting_shop", "department": "", "note": "", "tell_shopper": False})
    assert status == 200 and changed["status"] == "waiting_shop"
    status, data = await stack.call("POST", f"/api/grants/{ok['id']}/decision", headers=boss,
                                    json={"approve": 1})
    assert status == 400 and is_error_shape(data, "bad_field", "approve")
    status, found = await bot_post(stack, "/api/bot/cases/lookup", {
        "customer_id": customer, "case_ref": None, "order_ids": [], "language": "fr"})
    assert status == 200 and [c["id"] for c in found["cases"]] == [case["id"]]
    assert found["cases"][0]["status_text"] == "正在等待商家处理"  # an unknown language: zh
