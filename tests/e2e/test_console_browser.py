"""The agent console through the whole running stack, in headless Chromium.

A shopper chats over REST and asks for a human -> the transfer appears live in the agent's
queue -> the agent (created with `python -m handoff.accounts add`) logs in, claims, reads the
context, replies -> the reply is in the shopper's Rasa conversation -> the shopper's answer
reaches the console -> transfer with a note -> claim again -> resolve -> the bot resumes.
"""
from __future__ import annotations

import subprocess
import sys
import time
import uuid

from playwright.sync_api import expect

from scripts.stack import ROOT
from tests.integration.console_support import CHROMIUM_ARGS, shot

PASSWORD = "e2e console password"


def _bot_texts(tracker, sender: str) -> list:
    return [e.get("text") or "" for e in tracker(sender)["events"] if e.get("event") == "bot"]


def _wait(predicate, timeout: float = 20.0, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_agent_takes_a_transfer_in_the_browser(stack, chat, tracker):
    from playwright.sync_api import sync_playwright

    agent = f"e2e-console-{uuid.uuid4().hex[:6]}"
    env = dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD)
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", agent, "--name", "小李"],
                   cwd=ROOT, env=env, check=True)
    sender = f"rest:e2e-console-{uuid.uuid4().hex[:8]}"
    base = stack.handoff_url
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 860},
                                   locale="zh-CN").new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{base}/console/login")
        page.fill("#username", agent)
        page.fill("#password", PASSWORD)
        page.click("#login-button")
        try:
            page.wait_for_url("**/console/queue")
        except Exception:
            shot(page, "e2e-console-login-failed")
            raise AssertionError(page.inner_text("body"))
        page.wait_for_selector("#live-status.on")
        before = {r.get_attribute("data-id") for r in page.locator("#waiting tbody tr").all()}

        chat(sender, "我的快递到哪了")
        answer = " ".join(m.get("text") or "" for m in chat(sender, "转人工"))
        assert "人工" in answer, answer

        def new_row():
            ids = {r.get_attribute("data-id") for r in page.locator("#waiting tbody tr").all()}
            return sorted(ids - before)
        ticket_id = _wait(new_row, 30, "the transfer in the queue")[0]  # live, no reload
        assert page.title().startswith("(")  # title badge for a new ticket
        shot(page, "e2e-console-queue")
        page.locator(f'#waiting tr[data-id="{ticket_id}"] button.claim').click()
        page.wait_for_url(f"**/console/tickets/{ticket_id}")
        assert sender in page.inner_text(".customer")
        assert "我的快递到哪了" in page.inner_text("#transcript")
        assert page.inner_text("#summary-text").strip()
        page.click("#use-first")
        assert page.input_value("#reply").strip()
        page.fill("#reply", "您好,我是客服小李,马上帮您查看物流。")
        page.click("#send")
        _wait(lambda: any("马上帮您查看物流" in t for t in _bot_texts(tracker, sender)), 20,
              "the agent's reply in the shopper's conversation")

        chat(sender, "好的,谢谢")  # the paused bot does not answer; the agent sees it
        page.locator("#transcript .role-shopper", has_text="好的,谢谢").wait_for()
        shot(page, "e2e-console-ticket")

        page.select_option("#transfer-queue", "after_sales")
        page.fill("#transfer-note", "顾客还想咨询退货")
        page.click("#transfer")
        page.wait_for_url("**/console/queue")
        page.locator(f'#waiting tr[data-id="{ticket_id}"] button.claim').click()
        page.wait_for_url(f"**/console/tickets/{ticket_id}")
        assert "顾客还想咨询退货" in page.inner_text("#notes")
        expect(page.locator("#resolve")).to_be_enabled()
        page.click("#resolve")
        page.locator("#status-badge", has_text="已解决").wait_for()
        _wait(lambda: any("1-5" in t for t in _bot_texts(tracker, sender)), 20,
              "the bot resumed and asked for CSAT")
        browser.close()
