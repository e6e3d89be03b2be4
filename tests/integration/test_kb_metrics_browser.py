"""The knowledge-base editor and the dashboard's metrics charts in headless Chromium
(handoff service on SQLite, no tracker store: conversations from its read model; real Redis)."""
from __future__ import annotations

import csv
import io
import time
import uuid

import pytest

from tests.integration.console_support import (browser, console_server, login,  # noqa: F401
                                               new_page, shot, ticket_for, wait_until)

pytestmark = pytest.mark.integration


def user(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def test_a_supervisor_writes_edits_and_deletes_an_article(console_server, browser):
    srv = console_server
    boss = user("boss")
    srv.agent(boss, role="supervisor")
    page = new_page(browser)
    login(page, srv.url, boss)
    page.wait_for_url("**/console/queue")
    page.click("#nav-kb")
    page.wait_for_url("**/console/kb")
    page.locator("#kb-articles tr").first.wait_for()  # the designers' files were imported
    assert "食品能否七天无理由退货" in page.inner_text("#kb-articles")

    page.click("#kb-new")
    page.fill("#kb-title", "以旧换新<img src=x onerror=alert(1)>")
    page.select_option("#kb-language", "zh")
    page.fill("#kb-tags", "以旧换新, 回收")
    page.fill("#kb-body", "旧手机可折价200元抵扣新机货款。")
    page.click("#kb-save")
    page.locator("#kb-status", has_text="已保存").wait_for()
    row = page.locator("#kb-articles tr", has_text="以旧换新")
    row.wait_for()
    assert page.locator("#kb-articles img").count() == 0  # a title is text, never markup

    page.fill("#kb-question", "旧手机以旧换新能抵多少钱")
    page.click("#kb-try button")
    page.locator("#kb-hits li.confident", has_text="以旧换新").wait_for()

    page.click("#kb-new")
    row.locator("a").click()
    wait_until(lambda: page.input_value("#kb-title").startswith("以旧换新"),
               what="the article in the editor")
    page.fill("#kb-body", "旧手机可折价300元抵扣新机货款。")
    page.click("#kb-save")
    page.locator("#kb-status", has_text="已保存").wait_for()
    assert "300元" in page.evaluate(f"""async () => (await fetch(
        '/kb/{page.input_value("#kb-id")}')).text()""")  # the shoppers' page follows the edit
    shot(page, "console-kb-1280")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#kb-delete")
    page.locator("#kb-status", has_text="已删除").wait_for()
    wait_until(lambda: "以旧换新" not in page.inner_text("#kb-articles"), what="row removed")


def test_an_agent_cannot_open_the_editor_or_write(console_server, browser):
    srv = console_server
    ann = user("ann")
    srv.agent(ann)
    page = new_page(browser)
    login(page, srv.url, ann)
    page.wait_for_url("**/console/queue")
    assert page.locator("#nav-kb").count() == 0
    response = page.goto(f"{srv.url}/console/kb")
    assert response.status == 403
    result = page.evaluate("""async () => {
        const csrf = document.querySelector('meta[name="csrf-token"]').content;
        const r = await fetch('/console/api/kb/articles', {method: 'POST', headers: {
            'X-CSRF-Token': csrf, 'Content-Type': 'application/json'},
            body: JSON.stringify({title: 't', body: 'b', language: 'zh', tags: []})});
        return r.status; }""")
    assert result == 403


def test_the_dashboard_charts_the_metrics_and_exports_csv(console_server, browser):
    srv = console_server
    boss = user("boss")
    srv.agent(boss, role="supervisor")
    now = time.time()
    # Three bot conversations in the read model: one answered and closed, one abandoned after a
    # fallback, one handed over; plus an unanswered long-tail question for the misses list.
    closed, dropped = f"web-{uuid.uuid4().hex[:6]}", f"web-{uuid.uuid4().hex[:6]}"
    srv.tracker_event(closed, "faq", "包邮吗", at=now - 60)
    srv.tracker_event(closed, "thank", "谢谢", at=now - 50)
    srv.tracker_event(dropped, "nlu_fallback", "blorp", at=now - 40)
    ticket = ticket_for()
    srv.tracker_event(ticket.conversation_id, "request_human", "转人工", at=now - 30)
    srv.hand_off(ticket)

    page = new_page(browser)
    login(page, srv.url, boss)
    page.wait_for_url("**/console/queue")
    page.goto(f"{srv.url}/console/dashboard")
    wait_until(lambda: page.evaluate("document.body.dataset.metricsLoaded") == "30",
               what="the metrics")
    for chart in ("chart-days", "chart-channels", "chart-agents", "chart-reasons"):
        # Chart.js registered a chart on the canvas and drew it at a real size
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{chart}'))"), chart
        assert page.evaluate(f"document.getElementById('{chart}').width") > 100
    served = page.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    assert all(src.startswith(srv.url) for src in served), served  # nothing from a CDN
    transfer = page.inner_text("#metric-transfer_rate .value")
    abandoned = page.inner_text("#metric-abandonment_rate .value")
    containment = page.inner_text("#metric-containment .value")
    assert transfer.endswith("%") and abandoned.endswith("%") and containment.endswith("%")
    data = page.evaluate("""async () => (await fetch('/console/api/metrics?days=30')).json()""")
    assert data["contacts"] >= 3 and data["abandonment_rate"] > 0
    # the abandoned chat is not in containment's denominator, the closed one is contained
    assert 0 < data["containment"] < 1
    # the dashboard's bot-resolution tile no longer counts the abandoned chat as resolved
    assert page.inner_text("#kpi-bot-resolution .value") == containment
    labels = page.evaluate("Chart.getChart(document.getElementById('chart-channels')).data.labels")
    assert labels == [c["key"] for c in data["by_channel"]]

    page.select_option("#metrics-days", "7")
    wait_until(lambda: page.evaluate("document.body.dataset.metricsLoaded") == "7",
               what="the metrics of 7 days")
    assert page.get_attribute("#metrics-csv", "href").endswith("days=7")
    text = page.evaluate("""async () => (await fetch(
        document.getElementById('metrics-csv').href)).text()""")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["scope", "key", "contacts", "tickets"] and rows[1][0] == "total"
    shot(page, "console-dashboard-metrics-1280")
