"""Supervisor features and UI languages of the console, in headless Chromium: the dashboard
over a chosen period (tickets + the conversations' read model), reassign, all queues, the
English UI from Accept-Language and the language switch; screenshots at 1280 px and 768 px."""
from __future__ import annotations

import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.integration.console_support import (browser, console_server, login,  # noqa: F401
                                               new_page, shot, ticket_for, wait_until)

pytestmark = pytest.mark.integration


def user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_dashboard_figures_for_a_period(console_server, browser):
    srv = console_server
    boss, agent = user("sue"), user("ian")
    srv.agent(boss, role="supervisor", name="Sue Chen")
    srv.agent(agent, queues=("general",))
    handed = ticket_for(trigger="complaint")
    srv.hand_off(handed)
    for n in range(3):  # three bot-only conversations, one of them rated 4
        srv.tracker_event(f"bot-{n}-{uuid.uuid4().hex[:4]}", "order_status", "我的快递到哪了")
    rated = f"bot-rated-{uuid.uuid4().hex[:4]}"
    srv.tracker_event(rated, "faq/shipping_fee", "包邮吗")
    srv.tracker_event(rated, "csat_score", "4", [{"entity": "csat_value", "value": "4"}])
    srv.tracker_event(rated, "nlu_fallback", "<i>你们家猫粮有货吗</i>")
    srv.tracker_event(handed.conversation_id, "complain", "我要投诉")
    srv.tracker_event("last-year", "greet", "你好", at=time.time() - 400 * 86400)

    page = new_page(browser, locale="en-US")
    login(page, srv.url, boss)
    page.wait_for_url("**/console/queue")
    assert "Waiting" in page.inner_text("main")  # English from Accept-Language
    page.click("text=Dashboard")
    page.wait_for_url("**/console/dashboard")
    conversations = int(page.inner_text("#kpi-conversations .value"))
    assert conversations >= 5  # every conversation with a user message in the period
    assert "%" in page.inner_text("#kpi-bot-resolution .value")
    assert "complained" in page.inner_text("#by-reason")
    csat = page.inner_text("#csat")
    assert "Bot only" in csat and "4" in csat
    assert "order status" in page.inner_text("#top-intents")
    assert "<i>你们家猫粮有货吗</i>" in page.inner_text("#top-fallbacks")  # as text
    assert page.locator("#top-fallbacks i").count() == 0
    shot(page, "console-dashboard-1280")
    page.set_viewport_size({"width": 768, "height": 1024})
    shot(page, "console-dashboard-768")

    # a period with nothing in it
    page.fill("#from", "2020-01-01")
    page.fill("#to", "2020-01-02")
    page.click("form.period button")
    page.wait_for_url("**from=2020-01-01**")
    assert page.inner_text("#kpi-conversations .value") == "0"
    assert page.inner_text("#kpi-handoffs .value") == "0"

    # agents do not see the dashboard
    other = new_page(browser)
    login(other, srv.url, agent)
    other.wait_for_url("**/console/queue")
    assert other.locator("text=数据看板").count() == 0
    assert other.goto(f"{srv.url}/console/dashboard").status == 403
    page.context.close()
    other.context.close()


def test_supervisor_sees_all_queues_and_reassigns(console_server, browser):
    srv = console_server
    boss, first, second = user("tom"), user("amy"), user("ben")
    srv.agent(boss, role="supervisor", name="Tom Zhao")
    srv.agent(first, queues=("logistics",), name="Amy Sun")
    second_id = srv.agent(second, queues=("logistics",), name="Ben He")
    logistics = ticket_for()
    placed = srv.hand_off(logistics)
    tech = srv.hand_off(ticket_for(top_intent={"name": "troubleshoot_router", "confidence": 0.9},
                                   intent_history=[]))
    assert tech["queue"] == "tech_support"

    amy = new_page(browser)
    login(amy, srv.url, first)
    amy.wait_for_url("**/console/queue")
    amy.locator(f'#waiting tr[data-id="{placed["ticket_id"]}"] button.claim').click()
    amy.wait_for_url(f"**/console/tickets/{placed['ticket_id']}")

    sup = new_page(browser)
    login(sup, srv.url, boss)
    sup.wait_for_url("**/console/queue")
    sup.locator(f'#waiting tr[data-id="{tech["ticket_id"]}"]').wait_for()  # every queue
    sup.locator(f'#mine tr[data-id="{placed["ticket_id"]}"]').wait_for()  # in progress
    shot(sup, "console-queue-supervisor-1280")
    sup.set_viewport_size({"width": 768, "height": 1024})
    shot(sup, "console-queue-768")
    sup.set_viewport_size({"width": 1280, "height": 860})
    sup.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    sup.select_option("#reassign-agent", str(second_id))
    sup.click("#reassign")
    expect(sup.locator("#assignee")).to_contain_text("Ben He")
    expect(amy.locator("#send")).to_be_disabled()  # Amy's page learns it live

    ben = new_page(browser)
    login(ben, srv.url, second)
    ben.goto(f"{srv.url}/console/tickets/{placed['ticket_id']}")
    expect(ben.locator("#send")).to_be_enabled()
    ben.fill("#reply", "您好,我是 Ben,接手您的问题。")
    ben.click("#send")
    wait_until(lambda: any("接手您的问题" in t for t in srv.relayed(logistics.conversation_id)),
               what="Ben's reply relayed")
    for page in (amy, sup, ben):
        page.context.close()


def test_language_switch_and_tablet_login(console_server, browser):
    srv = console_server
    page = new_page(browser, width=768, height=1024, locale="en-GB")
    page.goto(f"{srv.url}/console/login")
    assert page.inner_text("#login-button") == "Log in"
    page.click("a.lang-switch")
    assert page.inner_text("#login-button") == "登录"
    page.goto(f"{srv.url}/console/login")  # the choice sticks to the session
    assert page.inner_text("#login-button") == "登录"
    shot(page, "console-login-768")
    page.context.close()
