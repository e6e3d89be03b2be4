"""After-sales in the console, in headless Chromium: an agent above their limit needs a
supervisor's approval and the supervisor approves it (the grant then goes to the shop
outbox); supervisors see overdue cases and an agent's progress update reaches the shopper."""
from __future__ import annotations

import json
import time
import urllib.request
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from common.shop.outbox import HANDOFF_OUTBOX
from common import signing as security
from handoff.aftersales.models import CaseRow, GrantRow
from handoff.db import make_engine, make_sessionmaker
from common.ticket import utcnow
from tests.integration.console_support import (TOKEN, browser, console_server,  # noqa: F401
                                               login, new_page, shot, ticket_for, wait_until)

pytestmark = pytest.mark.integration


def user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def customer_ticket(customer_id: str):
    return ticket_for(customer={
        "customer_id": customer_id, "name": "Wang Lei", "masked_phone": "138****5678",
        "tier": "gold", "identities": [],
        "orders": [{"order_id": "E202611180042", "status": "shipped", "amount": 1299.0},
                   {"order_id": "E202610010001", "status": "delivered", "amount": 99.0}]})


def db_rows(srv, query):
    engine = make_engine(srv.db_url)
    with make_sessionmaker(engine).begin() as db:
        rows = list(db.execute(query))
    engine.dispose()
    return rows


def bot_case(srv, **fields):
    body = json.dumps(fields).encode()
    headers = {"Content-Type": "application/json",
               **security.sign(TOKEN, "POST", "/api/bot/cases", body)}
    request = urllib.request.Request(f"{srv.url}/api/bot/cases", body, headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def test_agent_above_limit_needs_a_supervisors_approval(console_server, browser):
    srv = console_server
    junior, boss = user("jun"), user("boss")
    srv.agent(junior, name="Jun Li")
    srv.agent(boss, role="supervisor", name="Boss Wu")
    customer = f"C-{uuid.uuid4().hex[:6]}"
    tid = srv.hand_off(customer_ticket(customer))["ticket_id"]

    page = new_page(browser, locale="en-US")
    login(page, srv.url, junior)
    page.wait_for_url("**/console/queue")
    page.goto(f"{srv.url}/console/tickets/{tid}")
    page.wait_for_selector("#c360-orders li .mono")
    assert "E202610010001" in page.inner_text("#c360-orders")
    assert "junior" in page.inner_text("#my-limit")
    page.select_option("#grant-kind", "coupon")
    page.select_option("#grant-reason", "late_delivery")
    page.fill("#grant-amount", "50")
    page.select_option("#grant-order", "E202611180042")
    page.fill("#grant-note", "parcel stuck for five days")
    page.click("#grant-submit")
    page.wait_for_selector("#grant-result:not(.hidden)")
    assert "supervisor" in page.inner_text("#grant-result")
    page.wait_for_selector("#c360-grants .grant-status")
    assert "pending" in page.inner_text("#c360-grants")
    grant = db_rows(srv, select(GrantRow).where(GrantRow.customer_id == customer))[0][0]
    assert grant.status == "pending" and grant.requested_by == junior
    assert not db_rows(srv, select(HANDOFF_OUTBOX).where(
        HANDOFF_OUTBOX.c.idempotency_key == f"grant-{grant.id}"))
    shot(page, "console-grant-pending")
    # a junior cannot open the approvals
    assert page.goto(f"{srv.url}/console/approvals").status == 403

    sup = new_page(browser, locale="en-US")
    login(sup, srv.url, boss)
    sup.wait_for_url("**/console/queue")
    sup.click("#nav-approvals")
    sup.wait_for_url("**/console/approvals")
    row = sup.locator(f"#approval-table tr[data-id='{grant.id}']")
    row.wait_for()
    assert "parcel" not in row.inner_text()  # the note stays in the audit, not needed here
    assert "¥50.00" in row.inner_text() and junior in row.inner_text()
    assert "above the junior limit" in row.inner_text()
    row.locator(".decision-note").fill("customer waited long enough")
    shot(sup, "console-approvals")
    row.locator(".approve").click()
    sup.wait_for_selector("#approval-result:not(.hidden)")
    assert "Approved" in sup.inner_text("#approval-result")
    wait_until(lambda: sup.locator(f"#approval-table tr[data-id='{grant.id}']").count() == 0,
               what="the approved row leaves the list")

    decided = db_rows(srv, select(GrantRow).where(GrantRow.id == grant.id))[0][0]
    assert decided.status == "granted" and decided.decided_by == boss
    assert decided.decision_note == "customer waited long enough"
    sent = db_rows(srv, select(HANDOFF_OUTBOX).where(
        HANDOFF_OUTBOX.c.idempotency_key == f"grant-{grant.id}"))
    assert len(sent) == 1 and sent[0].kind == "coupon" and sent[0].payload["amount"] == "50.00"

    page.goto(f"{srv.url}/console/tickets/{tid}")
    page.wait_for_selector("#c360-grants .grant-status")
    assert "granted" in page.inner_text("#c360-grants")
    page.context.close()
    sup.context.close()


def test_supervisor_sees_overdue_cases_and_progress_reaches_the_shopper(console_server, browser):
    srv = console_server
    boss = user("sue")
    srv.agent(boss, role="supervisor", name="Sue Ma")
    conversation = f"shop-{uuid.uuid4().hex[:8]}"
    ref = f"AS20261129{uuid.uuid4().int % 10**6:06d}"
    case = bot_case(srv, case_ref=ref, kind="not_received", conversation_id=conversation,
                    channel="socketio", language="zh", customer_id="C77",
                    order_id="E202611180042", description="<b>never arrived</b>")
    fresh = bot_case(srv, case_ref=f"AS20261129{uuid.uuid4().int % 10**6:06d}",
                     kind="carrier_inquiry", conversation_id=conversation, language="zh")
    engine = make_engine(srv.db_url)
    with make_sessionmaker(engine).begin() as db:
        db.execute(update(CaseRow).where(CaseRow.id == case["id"])
                   .values(due_at=utcnow() - timedelta(hours=2)))
    engine.dispose()

    page = new_page(browser, locale="en-US")
    login(page, srv.url, boss)
    page.wait_for_url("**/console/queue")
    page.click("#nav-cases")
    page.wait_for_url("**/console/cases")
    table = page.inner_text("#case-table")
    assert ref in table and fresh["case_ref"] not in table  # supervisors start on overdue
    assert "overdue" in table
    page.click(f"text={ref}")
    page.wait_for_url(f"**/console/cases/{case['id']}")
    assert "<b>never arrived</b>" in page.inner_text("#case")  # as text
    assert page.locator("#case b").count() == 0
    page.select_option("#case-new-status", "waiting_carrier")
    page.fill("#case-note", "已联系顺丰核实")
    page.click("#case-save")
    page.wait_for_load_state("load")
    wait_until(lambda: "waiting on carrier" in page.inner_text("#case-status"),
               what="the status shown")
    said = wait_until(lambda: srv.relayed(conversation), what="the shopper's notice")
    assert ref in said[0] and "等待快递公司" in said[0] and "已联系顺丰核实" in said[0]
    assert "waiting_carrier" in page.inner_text("#case-events") or \
        "waiting on carrier" in page.inner_text("#case-events")
    shot(page, "console-case")
    time.sleep(0.2)
    page.context.close()
