"""The designer studio in headless Chromium: review a real conversation (masked), annotate a
turn, see the training-file diff, write it; agents without the role are kept out."""
from __future__ import annotations

import time
import uuid

import pytest
import redis as redis_sync
from playwright.sync_api import expect

from common import streams
from tests.integration.console_support import (REDIS_URL, browser, console_server,  # noqa: F401
                                               login, new_page, shot, wait_until)
from tests.integration.handoff_support import TOKEN

pytestmark = pytest.mark.integration
PHONE = "13912345678"


def publish(prefix: str, events: list) -> None:
    client = redis_sync.Redis.from_url(REDIS_URL)
    stream = f"{prefix}:events"
    for event in events:
        client.xadd(stream, streams.seal(TOKEN, stream, event))
    client.close()


def a_conversation(sender: str) -> list:
    now = time.time()

    def said(text, intent, confidence, at):
        return {"event": "user", "sender_id": sender, "text": text, "timestamp": at,
                "message_id": uuid.uuid4().hex, "input_channel": "wechat",
                "parse_data": {"intent": {"name": intent, "confidence": confidence},
                               "entities": [], "emotion": {"label": "neutral"}}}
    return [said("你好", "greet", 0.97, now),
            {"event": "action", "sender_id": sender, "name": "utter_greet", "timestamp": now + .1},
            {"event": "bot", "sender_id": sender, "text": "您好!", "timestamp": now + .2},
            said(f"电话{PHONE}那个单子能开发票不", "nlu_fallback", 0.18, now + 1),
            {"event": "action", "sender_id": sender, "name": "action_default_fallback",
             "timestamp": now + 1.1}]


def test_review_annotate_and_training_file_diff(console_server, browser, studio_project):
    srv = console_server
    designer, agent = f"dee-{uuid.uuid4().hex[:6]}", f"ann-{uuid.uuid4().hex[:6]}"
    srv.agent(designer, role="designer", queues=())
    srv.agent(agent, queues=("general",))
    sender = f"wx-{uuid.uuid4().hex[:8]}"
    publish(srv.prefix, a_conversation(sender))

    page = new_page(browser, locale="en-US")
    login(page, srv.url, designer)
    page.click("#nav-studio")
    page.wait_for_url("**/console/studio")
    page.check("#f-fallback")
    page.fill("#f-q", "invoice")  # nothing in English
    page.click("#f-apply")
    expect(page.locator("#studio-conversations")).to_contain_text("No conversations match")
    page.fill("#f-q", "")
    wait_until(lambda: (page.click("#f-apply"), page.wait_for_timeout(300),
                        page.locator(f'li[data-id="{sender}"]').count())[-1],
               timeout=60, what="the conversation in the list")
    page.click(f'li[data-id="{sender}"]')
    turns = page.locator("#studio-conversation .studio-turn.shopper")
    expect(turns).to_have_count(2)
    fallback = turns.nth(1)
    expect(fallback).to_contain_text("139****5678")  # masked in review
    expect(fallback).to_contain_text("nlu_fallback (0.18)")
    expect(fallback).to_contain_text("action_default_fallback")
    assert PHONE not in page.inner_text("main")

    fallback.locator("summary").click()
    fallback.locator(".correct-intent").fill("faq/invoice")
    fallback.locator(".add-entity").click()
    fallback.locator(".entity-name").fill("phone")
    fallback.locator(".entity-value").fill("139****5678")
    fallback.locator(".save-annotation").click()
    fallback = page.locator("#studio-conversation .studio-turn.shopper").nth(1)
    expect(fallback.locator(".correction")).to_contain_text("faq/invoice")

    page.select_option("#studio-kind", "nlu")
    page.locator("#studio-conversation .pick-turn").nth(0).uncheck()
    page.click("#studio-preview")
    diff = page.locator("#studio-diff")
    expect(diff).to_contain_text("data/nlu/faq.yml")
    line = "+    - 电话[13800001234](phone)那个单子能开发票不"
    expect(diff.locator(".add", has_text="电话")).to_have_text(line)
    assert line[1:] not in (studio_project / "data/nlu/faq.yml").read_text(encoding="utf-8")
    shot(page, "studio-review-diff-1280")
    page.click("#studio-write")
    expect(page.locator("#studio-message")).to_contain_text("Written")
    assert line[1:] in (studio_project / "data/nlu/faq.yml").read_text(encoding="utf-8")

    page.fill("#studio-tags", "invoice, fallback")
    page.click("#studio-save-tags")
    expect(page.locator(f'li[data-id="{sender}"]')).to_contain_text("#invoice")

    # an agent has no studio
    other = new_page(browser, locale="en-US")
    login(other, srv.url, agent)
    other.wait_for_url("**/console/queue")
    assert other.locator("#nav-studio").count() == 0
    response = other.goto(f"{srv.url}/console/studio")
    assert response.status == 403
