"""The agent console in headless Chromium against the handoff service (real Redis, SQLite).

Covers: a new transfer arriving live, claim, context, reply (relayed to Rasa), shopper reply
live, notes, transfer, resolve; a wrong password and the lock-out; an XSS payload shown as
text; a second agent losing the claim race; an agent kept out of another queue's ticket;
CSRF and session checks; the supervisor's dashboard and reassign; both UI languages at
1280 px and 768 px (screenshots in reports/screenshots/).
"""
from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.integration.console_support import (LOCKOUT_ATTEMPTS, PASSWORD, browser,  # noqa: F401
                                               console_server, login, new_page, shot,
                                               ticket_for, wait_until)

pytestmark = pytest.mark.integration


def user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_live_transfer_claim_reply_transfer_resolve(console_server, browser):
    srv = console_server
    ann, bob = user("ann"), user("bob")
    srv.agent(ann, queues=("logistics", "general"), name="Ann Li")
    srv.agent(bob, queues=("after_sales",), name="Bob Wu")
    page = new_page(browser)
    login(page, srv.url, ann)
    page.wait_for_url("**/console/queue")
    page.wait_for_selector("#live-status.on")
    before = page.locator("#waiting tbody tr").count()

    ticket = ticket_for()
    placed = srv.hand_off(ticket)
    assert placed["queue"] == "logistics"
    row = page.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"]')
    row.wait_for()  # arrived over the WebSocket, no reload
    assert page.locator("#waiting tbody tr").count() == before + 1
    wait_until(lambda: re.match(r"^\(1\) ", page.title()), what="title badge")
    assert "王先生" in row.inner_text() and "P" in row.inner_text()
    assert re.search(r"\d+:\d\d", row.locator(".sla").inner_text())  # live SLA countdown
    shot(page, "console-queue-1280")

    row.locator("a.button").click()
    page.wait_for_url(f"**/console/tickets/{placed['ticket_id']}")
    body = page.inner_text("main")
    for expected in ("摘要", "E202611180042", "SF1234567890123", "上海转运中心", "73",
                     "咖啡机", "三天没更新", "138****5678", "gold"):
        assert expected in body, expected
    assert page.locator("#transcript .role-shopper").count() >= 1
    assert page.is_disabled("#send")  # not claimed yet
    page.click("#claim")
    expect(page.locator("#send")).to_be_enabled()
    page.click("#use-first")
    assert page.input_value("#reply") == "您好"
    page.select_option("#canned-select", index=2)  # a FAQ answer, numbers from shop.yml
    assert "¥" in page.input_value("#reply") or "天" in page.input_value("#reply")
    page.fill("#reply", "您好,我是客服 Ann,马上帮您催件。")
    page.keyboard.press("Enter")
    page.locator("#transcript .role-agent", has_text="马上帮您催件").wait_for()
    wait_until(lambda: any("马上帮您催件" in t for t in srv.relayed(ticket.conversation_id)),
               what="the reply relayed to the shopper's conversation")
    page.locator("#transcript .role-agent .tick").first.wait_for()  # delivered tick

    srv.shopper_says(ticket.conversation_id, "好的,请快一点")
    page.locator("#transcript .role-shopper", has_text="请快一点").wait_for()

    page.fill("#note-text", "顾客是金卡会员,已承诺今天回电")
    page.click("#add-note")
    page.locator("#notes li", has_text="已承诺今天回电").wait_for()
    shot(page, "console-ticket-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    shot(page, "console-ticket-768")
    page.set_viewport_size({"width": 1280, "height": 860})

    page.select_option("#transfer-queue", "after_sales")
    page.fill("#transfer-note", "需要售后处理退款")
    page.click("#transfer")
    page.wait_for_url("**/console/queue")

    page2 = new_page(browser)
    login(page2, srv.url, bob)
    page2.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    assert "需要售后处理退款" in page2.inner_text("#notes")  # the transfer note travels along
    assert "马上帮您催件" in page2.inner_text("#transcript")  # and so does the chat
    page2.click("#claim")
    expect(page2.locator("#resolve")).to_be_enabled()
    page2.click("#resolve")
    page2.locator("#status-badge", has_text="已解决").wait_for()
    wait_until(lambda: any(e.get("event") == "resume" for e in
                           srv.rasa.trackers.get(ticket.conversation_id, [])),
               what="the bot resumed")
    page.context.close()
    page2.context.close()


def test_delivery_update_that_overtakes_its_message_is_shown(console_server, browser):
    """The relay can report a delivery before the message reaches the page (the POST's answer
    and the socket's events race; instances fan out in any order): the tick still appears,
    and a late, older state does not replace it."""
    from handoff import store
    from handoff.db import TicketRow

    srv = console_server
    ann = user("ann")
    agent_id = srv.agent(ann, queues=("logistics",))
    placed = srv.hand_off(ticket_for())
    page = new_page(browser)
    login(page, srv.url, ann)
    page.wait_for_url("**/console/queue")
    page.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    page.click("#claim")
    expect(page.locator("#send")).to_be_enabled()
    page.wait_for_selector("#live-status.on")
    svc = srv.service

    def stored(db):
        row = db.get(TicketRow, placed["ticket_id"])
        msg, _ = store.add_message(db, row, "agent", "先到的送达状态", f"agent:{uuid.uuid4().hex}",
                                   agent_id)
        db.flush()
        return store.message_view(msg)

    async def overtaken():
        view = await svc.db(stored)
        queue = "logistics"
        svc.hub.publish({"type": "message.delivered", "message": {**view, "delivery": "sent"}},
                        queue=queue)
        svc.hub.publish({"type": "message.new", "message": view}, queue=queue)  # still "queued"
        svc.hub.publish({"type": "message.delivered", "message": view}, queue=queue)
        return view

    view = srv.run(overtaken())
    item = page.locator(f'#transcript li[data-id="{view["id"]}"]')
    item.wait_for()
    expect(item.locator('.tick[data-delivery="sent"]')).to_be_visible()
    expect(item.locator('[data-delivery="queued"]')).to_have_count(0)
    page.context.close()


def test_wrong_password_then_lock_out(console_server, browser):
    srv = console_server
    name = user("carol")
    srv.agent(name)
    page = new_page(browser)
    login(page, srv.url, name, "not the password")
    assert "用户名或密码错误" in page.inner_text("#login-error")
    assert "/console/login" in page.url
    for _ in range(LOCKOUT_ATTEMPTS - 1):
        login(page, srv.url, name, "still wrong")
    assert "锁定" in page.inner_text("#login-error")
    login(page, srv.url, name, PASSWORD)  # even the right password is refused now
    assert "锁定" in page.inner_text("#login-error")
    shot(page, "console-login-locked")
    page.goto(f"{srv.url}/console/queue")
    assert "/console/login" in page.url  # no session was created
    page.context.close()


def test_xss_payload_is_shown_as_text(console_server, browser):
    srv = console_server
    name = user("dan")
    srv.agent(name)
    payload = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2">'
    ticket = ticket_for(transcript=[{"role": "shopper", "text": payload}],
                        customer={"name": "<b>Mallory</b>", "tier": "gold"},
                        summary={"zh": payload, "en": payload})
    placed = srv.hand_off(ticket)
    page = new_page(browser)
    login(page, srv.url, name)
    page.wait_for_url("**/console/queue")
    page.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"]').wait_for()
    page.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    page.wait_for_selector("#live-status.on")
    srv.shopper_says(ticket.conversation_id, "<script>window.__xss=3</script>live")
    page.locator("#transcript .role-shopper", has_text="live").wait_for()
    assert payload in page.inner_text("#transcript")
    assert "<b>Mallory</b>" in page.inner_text(".ticket-head h1")
    assert "<script>window.__xss=3</script>live" in page.inner_text("#transcript")
    assert page.locator("main img, main script, main b").count() == 0
    assert page.evaluate("window.__xss") is None
    # a picture's link (WeChat / app) opens in a new tab; a javascript: "link" stays text
    srv.shopper_says(ticket.conversation_id, "[图片 / image] https://img.example/9f2c.jpg javascript:alert(1)")
    link = page.locator('#transcript a[href="https://img.example/9f2c.jpg"]')
    link.wait_for()
    assert link.get_attribute("rel") == "noopener noreferrer" and link.get_attribute("target") == "_blank"
    assert page.locator('#transcript a[href^="javascript"]').count() == 0
    page.goto(f"{srv.url}/console/queue")
    page.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"]').wait_for()
    assert page.locator("main img, main b").count() == 0 and page.evaluate("window.__xss") is None
    page.context.close()


def test_second_agent_cannot_claim_a_claimed_ticket(console_server, browser):
    srv = console_server
    first, second = user("erin"), user("finn")
    srv.agent(first)
    srv.agent(second)
    placed = srv.hand_off(ticket_for())
    pages = []
    for name in (first, second):
        page = new_page(browser)
        login(page, srv.url, name)
        page.wait_for_url("**/console/queue")
        page.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"]').wait_for()
        pages.append(page)
    a, b = pages
    b.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")  # b looks, a claims
    a.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"] button.claim').click()
    a.wait_for_url(f"**/console/tickets/{placed['ticket_id']}")
    b.evaluate("document.querySelector('#claim-bar').classList.remove('hidden')")
    b.click("#claim")  # a stale button: the server refuses
    expect(b.locator("#ticket-error")).to_contain_text("已被其他坐席接入")
    expect(b.locator("#send")).to_be_disabled()
    for page in pages:
        page.context.close()


def test_agent_cannot_open_a_ticket_of_another_queue(console_server, browser):
    srv = console_server
    name = user("gina")
    srv.agent(name, queues=("tech_support",))
    placed = srv.hand_off(ticket_for())  # logistics
    page = new_page(browser)
    login(page, srv.url, name)
    page.wait_for_url("**/console/queue")
    assert page.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"]').count() == 0
    response = page.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    assert response.status == 403
    assert "无权查看" in page.inner_text("#error-message")
    assert "E202611180042" not in page.content()
    api = page.context.request.get(f"{srv.url}/console/api/tickets/{placed['ticket_id']}")
    assert api.status == 403
    page.context.close()


def test_session_and_csrf_are_required(console_server, browser):
    srv = console_server
    name = user("hank")
    srv.agent(name)
    placed = srv.hand_off(ticket_for())
    page = new_page(browser)
    page.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    assert "/console/login" in page.url  # no session: to the login page
    anon = page.context.request.get(f"{srv.url}/console/api/tickets")
    assert anon.status == 401
    # a login form posted without the session's CSRF token is refused
    forged = page.context.request.post(f"{srv.url}/console/login",
                                       form={"username": name, "password": PASSWORD,
                                             "_csrf": "guess"},
                                       headers={"Origin": srv.url})
    assert forged.status == 403
    login(page, srv.url, name)
    page.wait_for_url("**/console/queue")
    claim_url = f"{srv.url}/console/api/tickets/{placed['ticket_id']}/claim"
    no_token = page.context.request.post(claim_url, headers={"Origin": srv.url})
    assert no_token.status == 403
    token = page.get_attribute('meta[name="csrf-token"]', "content")
    other_site = page.context.request.post(claim_url, headers={
        "Origin": "http://evil.example", "X-CSRF-Token": token})
    assert other_site.status == 403
    ok = page.context.request.post(claim_url, headers={"Origin": srv.url, "X-CSRF-Token": token})
    assert ok.status == 200
    cookie = [c for c in page.context.cookies() if c["name"] == "frontline_console"][0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert cookie["secure"]  # loopback host in "auto" mode: Secure like https
    page.click("#logout")
    page.wait_for_url("**/console/login**")
    assert page.context.request.get(f"{srv.url}/console/api/tickets").status == 401
    page.context.close()
