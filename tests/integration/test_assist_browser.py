"""Live assist on the ticket page in headless Chromium: suggestions for each shopper message,
one-click insert then edit, the order's policy card, the emotion indicator following every
message, and the use counted."""
from __future__ import annotations

import time
import uuid

import pytest
import redis as redis_sync
from playwright.sync_api import expect
from sqlalchemy import select

from common import streams
from handoff.db import TicketEvent, make_engine, make_sessionmaker
from tests.integration.console_support import (REDIS_URL, TOKEN, browser, console_server,  # noqa: F401
                                               login, new_page, shot, ticket_for, wait_until)

pytestmark = pytest.mark.integration
ORDER = {"order_id": "E202611180099", "status": "delivered", "amount": 59.0,
         "items": [{"name": "铁观音茶叶", "category": "food", "qty": 1}],
         "extra": {"payment_method": "wechat_pay"}}


def say(srv, conversation_id: str, text: str, label: str, negative: bool) -> None:
    """A shopper's message as Rasa publishes it: parsed, with the analyzer's emotion."""
    event = {"event": "user", "sender_id": conversation_id, "text": text,
             "timestamp": time.time() + 1, "message_id": uuid.uuid4().hex,
             "parse_data": {"intent": {"name": "return_request"}, "emotion": {
                 "label": label, "negative": negative, "score": 0.8, "cues": [], "risk_flags": []}}}
    client = redis_sync.Redis.from_url(REDIS_URL)
    stream = f"{srv.prefix}:events"
    client.xadd(stream, streams.seal(TOKEN, stream, event))  # signed as the bot's broker signs
    client.close()


def test_suggestions_follow_each_shopper_message(console_server, browser):
    srv = console_server
    ann = f"ann-{uuid.uuid4().hex[:6]}"
    srv.agent(ann, queues=("after_sales", "logistics", "general"))
    ticket = ticket_for(order=ORDER, emotion={"current": "neutral", "peak": "neutral"})
    placed = srv.hand_off(ticket)
    page = new_page(browser)
    login(page, srv.url, ann)
    page.wait_for_url("**/console/queue")
    page.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    page.wait_for_selector("#live-status.on")
    # before any message: the policy card for the order, suggestions for the hand-over words
    page.locator("#policy-lines li[data-key='returns.excluded.food']").wait_for()
    assert "不支持7天无理由退货" in page.inner_text("#policy-card")
    wait_until(lambda: page.evaluate("document.body.dataset.assistFor") == "transcript",
               what="suggestions for the transcript")
    page.click("#claim")
    expect(page.locator("#send")).to_be_enabled()

    say(srv, ticket.conversation_id, "茶叶拆开了还能退吗?太气人了", "angry", True)
    page.locator("#transcript .role-shopper", has_text="茶叶拆开了").wait_for()
    expect(page.locator("#emotion-now")).to_have_class("emo emo-angry")
    wait_until(lambda: page.evaluate("document.body.dataset.assistFor") not in (None, "transcript"),
               what="suggestions for the new message")
    items = page.locator("#assist-suggestions li.suggestion")
    first_kinds = [items.nth(i).get_attribute("data-ref") for i in range(2)]
    assert "apology" in first_kinds  # an angry shopper: the apology ranks at the top
    food = page.locator("#assist-suggestions li[data-ref='returns.excluded.food']")
    food.wait_for()
    food.locator("button.insert").click()
    assert "不支持7天无理由退货" in page.input_value("#reply")
    page.fill("#reply", page.input_value("#reply") + " 我帮您登记质量问题。")  # editable
    page.keyboard.press("Enter")
    page.locator("#transcript .role-agent", has_text="登记质量问题").wait_for()
    shot(page, "console-assist-1280")

    say(srv, ticket.conversation_id, "好的,谢谢你", "positive", False)
    expect(page.locator("#emotion-now")).to_have_class("emo emo-positive")

    engine = make_engine(srv.db_url)
    with make_sessionmaker(engine)() as db:
        used = list(db.execute(select(TicketEvent).where(
            TicketEvent.ticket_id == placed["ticket_id"],
            TicketEvent.kind == "assist_used")).scalars())
    engine.dispose()
    assert [(e.data["source"], e.data["ref"]) for e in used] == [("policy", "returns.excluded.food")]


def test_the_review_queue_takes_a_verdict_and_the_ticket_shows_its_hits(console_server, browser):
    srv = console_server
    ann, boss = f"ann-{uuid.uuid4().hex[:6]}", f"boss-{uuid.uuid4().hex[:6]}"
    srv.agent(ann, queues=("after_sales", "logistics", "general"))
    srv.agent(boss, role="supervisor")
    ticket = ticket_for(order=ORDER)
    placed = srv.hand_off(ticket)
    tid = placed["ticket_id"]
    page = new_page(browser)
    login(page, srv.url, ann)
    page.wait_for_url("**/console/queue")
    page.goto(f"{srv.url}/console/tickets/{tid}")
    page.wait_for_selector("#live-status.on")
    page.click("#claim")
    expect(page.locator("#send")).to_be_enabled()
    page.fill("#reply", "这个不关我的事")
    page.keyboard.press("Enter")
    page.locator("#transcript .role-agent", has_text="不关我的事").wait_for()
    page.locator("#quality-hits li[data-rule='forbidden_phrase']").wait_for(state="attached")
    page.locator("#quality-hits li[data-rule='no_greeting']").wait_for(state="attached")
    page.click("#resolve")
    expect(page.locator("#status-badge")).to_have_text("已解决")
    page.context.close()

    page = new_page(browser)
    login(page, srv.url, boss)
    page.wait_for_url("**/console/queue")
    page.click("#nav-quality")
    page.wait_for_url("**/console/quality")
    row = page.locator(f"#quality-table tr[data-id='{tid}']")
    row.wait_for()
    assert int(row.locator(".score").inner_text()) <= 75
    assert "禁用语" in row.inner_text()
    row.locator(".verdict-select").select_option("coach")
    row.locator(".verdict-note").fill("注意用语")
    row.locator("button").click()
    wait_until(lambda: page.locator(f"#quality-table tr[data-id='{tid}']").count() == 0,
               what="the reviewed ticket leaving the pending queue")
    page.select_option("#quality-status", "reviewed")
    page.locator(f"#quality-table tr[data-id='{tid}'] .verdict", has_text="注意用语").wait_for()
    shot(page, "console-quality-1280")
