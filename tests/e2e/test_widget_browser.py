"""The web widget in headless Chromium (Debian's, via Playwright) against the running stack.

The demo shop page embeds the widget, which talks socket.io to Rasa. A shopper asks an FAQ,
clicks a quick reply, reloads and still sees the conversation, asks for a person; a real agent
(handoff service API) answers, the widget shows the agent's name; the agent types in the
console and the widget shows "小李正在输入", the shopper types and the console shows "顾客正在输入";
the unread badge counts while it is closed, the agent resolves, the bot is back and the shopper
rates with the stars.
Screenshots (desktop 1280 px, mobile 390 px) go to reports/screenshots/.
"""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Optional, Tuple

import pytest

from common import policy
from scripts.stack import ROOT, wait_http

playwright_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = ROOT / "reports" / "screenshots"
PASSWORD = "widget e2e agent password"
BOT_TIMEOUT = 30_000  # ms; the first turns of a fresh Rasa can be slow on a busy machine


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def web_url(stack) -> Iterator[str]:
    """The demo page: the stack's web server if it runs one, else `python -m web.serve`."""
    port = stack.ports.web
    proc: Optional[subprocess.Popen] = None
    if "web" not in stack.procs and not _port_open(port):
        proc = subprocess.Popen([sys.executable, "-m", "web.serve", "--port", str(port),
                                 "--rasa-url", stack.rasa_url], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_http(f"{url}/health", 30, "web server", proc)
    yield url
    if proc is not None:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (make test installs it)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def api(method: str, url: str, body: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json",
                                                 **(headers or {})}, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def agent_login(stack) -> Tuple[str, Dict[str, str]]:
    """A new agent 小李: (username, API headers)."""
    username = f"widget-{uuid.uuid4().hex[:6]}"
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", username, "--name", "小李"],
                   cwd=ROOT, env=dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD), check=True,
                   stdout=subprocess.DEVNULL)
    token = api("POST", f"{stack.handoff_url}/api/agents/login",
                {"username": username, "password": PASSWORD})["token"]
    return username, {"Authorization": f"Bearer {token}"}


def console_ticket(browser, stack, username: str, ticket_id: int):
    """The agent's console on the ticket's page (Chinese UI), logged in."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(BOT_TIMEOUT)
    page.goto(f"{stack.handoff_url}/console/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-button")
    page.wait_for_url("**/console/queue")
    page.goto(f"{stack.handoff_url}/console/tickets/{ticket_id}")
    page.wait_for_selector("#live-status.on")  # the live socket, or typing events are missed
    return context, page


def wait_ticket(stack, headers: Dict[str, str], conversation_id: str) -> Dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tickets = api("GET", f"{stack.handoff_url}/api/tickets?status=open", headers=headers)
        found = [t for t in tickets["tickets"] if t["conversation_id"] == conversation_id]
        if found:
            return found[0]
        time.sleep(0.3)
    raise AssertionError(f"no ticket for {conversation_id}")


def open_widget(page, url: str) -> None:
    page.goto(url)
    page.click(".flw-launcher")
    page.wait_for_function("window.FrontlineWidget && window.FrontlineWidget.state().connected",
                           timeout=BOT_TIMEOUT)


def say(page, text: str) -> None:
    page.fill(".flw-input", text)
    page.press(".flw-input", "Enter")


# the hand-over reply (accepted: queued, next in line, or no agent online yet); not "客服" alone,
# which the widget's own welcome bubble already says
HANDED_OVER = "已为您转接"


def bot_says(page, pattern: str, selector: str = ".flw-bot .flw-bubble") -> str:
    """Wait until a bot bubble matches `pattern` (a regex); return its text."""
    locator = page.locator(selector).filter(has_text=re.compile(pattern))
    locator.last.wait_for(timeout=BOT_TIMEOUT)
    return locator.last.inner_text()


def test_shopper_faq_quick_reply_history_agent_and_csat(stack, web_url, browser):
    threshold = str(policy.get("shipping.free_threshold"))
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        open_widget(page, web_url)
        assert page.inner_text(".flw-title") == "智能客服小优"

        # An FAQ, answered with the threshold from data/shop.yml.
        say(page, "包邮吗")
        assert page.locator(".flw-user .flw-bubble").last.inner_text() == "包邮吗"
        assert threshold in bot_says(page, "包邮")

        # A quick reply: the button sends its payload and shows its title.
        say(page, "App登录不了怎么办")
        page.locator(".flw-reply", has_text="还是不行").wait_for(timeout=BOT_TIMEOUT)
        page.screenshot(path=str(SHOTS / "widget-desktop-quick-replies.png"))
        page.click(".flw-reply >> text=还是不行")
        assert page.locator(".flw-user .flw-bubble").last.inner_text() == "还是不行"
        bot_says(page, "第 2 步")
        assert page.locator(".flw-reply", has_text="还是不行").count() == 1  # the new step's only

        # Reload: the same session and the whole transcript are still there.
        state = page.evaluate("window.FrontlineWidget.state()")
        bubbles = page.locator(".flw-bubble").count()
        page.reload()
        page.wait_for_function("window.FrontlineWidget && window.FrontlineWidget.state().connected",
                               timeout=BOT_TIMEOUT)
        assert page.evaluate("window.FrontlineWidget.state()")["sessionId"] == state["sessionId"]
        assert page.locator(".flw-bubble").count() == bubbles
        assert threshold in page.locator(".flw-bot .flw-bubble", has_text="包邮").first.inner_text()
        assert state["visitorId"] and len(state["visitorId"]) >= 16

        # Ask for a person; a real agent claims the ticket and answers.
        conversation = state["senderId"]  # the public id: the session key never reaches agents
        assert conversation.startswith("web:") and state["sessionId"] not in conversation
        say(page, "转人工")
        bot_says(page, HANDED_OVER)
        username, headers = agent_login(stack)
        ticket = wait_ticket(stack, headers, conversation)
        assert ticket["channel"] == "socketio"
        api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/claim", headers=headers)
        api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/messages",
            {"text": "您好,我是客服小李,请问有什么可以帮您?"}, headers)
        page.locator(".flw-agent .flw-bubble", has_text="我是客服小李").wait_for(timeout=BOT_TIMEOUT)
        assert page.locator(".flw-agent .flw-sender").last.inner_text() == "小李"
        assert "小李" in page.inner_text(".flw-title")
        assert page.locator(".flw-system-agent", has_text="小李").count() == 1
        assert "flw-agent-mode" in page.get_attribute(".flw-root", "class")
        page.screenshot(path=str(SHOTS / "widget-desktop-agent.png"))

        # Live typing both ways: console reply box -> widget, widget input -> console.
        console, agent_page = console_ticket(browser, stack, username, ticket["id"])
        try:
            agent_page.type("#reply", "马上为您")
            label = page.locator(".flw-typing-label", has_text="小李正在输入")
            label.wait_for(state="visible", timeout=BOT_TIMEOUT)
            assert page.get_attribute(".flw-typing", "aria-label") == "小李正在输入"
            page.screenshot(path=str(SHOTS / "widget-desktop-agent-typing.png"))
            page.type(".flw-input", "还有一个问题")
            agent_page.locator("#typing:not(.hidden)", has_text="顾客正在输入").wait_for()
            page.fill(".flw-input", "")
            agent_page.fill("#reply", "马上为您查询物流。")
            agent_page.press("#reply", "Enter")
            page.locator(".flw-agent .flw-bubble", has_text="马上为您查询物流").wait_for(
                timeout=BOT_TIMEOUT)
            page.wait_for_function(
                "!document.querySelector('.flw-root').classList.contains('flw-is-typing')",
                timeout=BOT_TIMEOUT)
        finally:
            console.close()

        # Closed widget: the next agent message shows up as an unread badge.
        page.click(".flw-close")
        api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/messages",
            {"text": "已为您加急处理,稍后会有短信通知。"}, headers)
        page.locator(".flw-badge", has_text="1").wait_for(state="visible", timeout=BOT_TIMEOUT)
        page.screenshot(path=str(SHOTS / "widget-desktop-unread.png"))
        page.click(".flw-launcher")
        assert page.locator(".flw-badge").is_hidden()

        # The agent resolves: the bot is back and asks for a rating with stars.
        api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/resolve",
            {"code": "resolved"}, headers)
        page.locator(".flw-system-bot").last.wait_for(timeout=BOT_TIMEOUT)
        page.locator(".flw-star").first.wait_for(timeout=BOT_TIMEOUT)
        assert "flw-agent-mode" not in page.get_attribute(".flw-root", "class")
        assert page.inner_text(".flw-title") == "智能客服小优"
        page.screenshot(path=str(SHOTS / "widget-desktop-csat.png"))
        page.click(".flw-star[data-score='5']")
        assert page.locator(".flw-star:disabled").count() == 5
        deadline, detail = time.monotonic() + 30, {}
        while time.monotonic() < deadline:
            detail = api("GET", f"{stack.handoff_url}/api/tickets/{ticket['id']}", headers=headers)
            if detail.get("csat") is not None:
                break
            time.sleep(0.3)
        assert detail.get("csat") == 5
        page.screenshot(path=str(SHOTS / "widget-desktop.png"))
    finally:
        context.close()


def test_mobile_layout_and_english(stack, web_url, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US",
                                  is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(web_url)
        page.screenshot(path=str(SHOTS / "widget-mobile-closed.png"))
        open_widget(page, web_url)
        box = page.locator(".flw-panel").bounding_box()
        assert box["width"] == 390 and box["x"] == 0  # full screen on a phone
        assert page.inner_text(".flw-title") == "智能客服小优"  # a Chinese shop, whatever the browser
        say(page, "Is shipping free?")
        assert str(policy.get("shipping.free_threshold")) in bot_says(page, "[Ss]hipping")
        assert page.inner_text(".flw-title") == "Shop assistant"  # the shopper writes English
        page.screenshot(path=str(SHOTS / "widget-mobile.png"))
    finally:
        context.close()


def test_two_tabs_show_one_conversation_once(stack, web_url, browser):
    """Two tabs of the shop share the widget's storage and its socket.io room: what is typed in
    one appears in the other, and each bot answer is stored once (both tabs receive it)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    first, second = context.new_page(), context.new_page()
    try:
        open_widget(first, web_url)
        second.goto(web_url)  # the panel opens by itself: the first tab left it open
        second.wait_for_function("window.FrontlineWidget && window.FrontlineWidget.state().connected",
                                 timeout=BOT_TIMEOUT)
        assert second.locator(".flw-input").is_visible()
        say(first, "包邮吗")
        for page in (first, second):
            page.locator(".flw-user .flw-bubble", has_text="包邮吗").wait_for(timeout=BOT_TIMEOUT)
            bot_says(page, "包邮")
        say(second, "谢谢")
        for page in (first, second):
            page.locator(".flw-user .flw-bubble", has_text="谢谢").wait_for(timeout=BOT_TIMEOUT)
        # both tabs got the next answer too: by now every earlier copy has been stored
        first.wait_for_function("JSON.parse(localStorage.getItem('frontline:transcript') || '[]')"
                                ".filter(e => e.kind === 'bot').length >= 2", timeout=BOT_TIMEOUT)
        first.reload()
        first.wait_for_function("window.FrontlineWidget && window.FrontlineWidget.state().connected",
                                timeout=BOT_TIMEOUT)
        for page in (first, second):
            assert page.locator(".flw-user .flw-bubble", has_text="包邮吗").count() == 1
            assert page.locator(".flw-bot .flw-bubble", has_text="包邮").count() == 1
        second.screenshot(path=str(SHOTS / "widget-two-tabs.png"))
    finally:
        context.close()


def test_reconnect_backs_off_and_sends_what_was_typed_offline(stack, web_url, browser):
    """The connection drops: the widget says so, retries with growing gaps (1 s doubling,
    ±50 % jitter), keeps what the shopper types, and sends it once the server is back."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    sockets: list = []
    down = {"on": False}
    handshakes: list = []

    def on_socket(ws) -> None:  # proxies to Rasa while up; refuses while down
        if down["on"]:
            ws.close()
            return
        ws.connect_to_server()
        sockets.append(ws)

    def on_polling(route) -> None:
        if "sid=" not in route.request.url:  # a new engine.io handshake: one connection attempt
            handshakes.append(time.monotonic())
        if down["on"]:
            route.abort()
        else:
            route.continue_()

    try:
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), on_socket)
        page.route(re.compile(r".*/socket\.io/.*"), on_polling)
        open_widget(page, web_url)
        say(page, "包邮吗")
        bot_says(page, "包邮")
        down["on"] = True
        handshakes.clear()
        for ws in sockets:
            ws.close()
        page.locator(".flw-status", has_text="正在重连").wait_for(timeout=BOT_TIMEOUT)
        say(page, "谢谢")  # typed while offline: kept, shown as waiting
        assert page.locator(".flw-user.flw-pending .flw-bubble", has_text="谢谢").count() == 1
        deadline = time.monotonic() + 30  # 4 attempts take at most 1.5 + 3 + 6 + 12 s
        while len(handshakes) < 4 and time.monotonic() < deadline:
            page.wait_for_timeout(250)
        assert len(handshakes) >= 4, f"only {len(handshakes)} reconnect attempts in 30 s"
        gaps = [b - a for a, b in zip(handshakes, handshakes[1:])]
        # delays 1, 2, 4, 8 s ±50 %: the gaps between attempts are 1-3 s, 2-6 s, 4-12 s, so the
        # third is always longer than the first: the widget backs off instead of hammering
        assert gaps[2] > gaps[0] and gaps[2] >= 3.9, gaps
        down["on"] = False
        page.locator(".flw-status").wait_for(state="hidden", timeout=BOT_TIMEOUT)
        assert page.locator(".flw-user.flw-pending").count() == 0
        bot_says(page, "不客气|客气|乐意|帮到")
        page.screenshot(path=str(SHOTS / "widget-reconnected.png"))
    finally:
        context.close()


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A valid red PNG, built by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def customer_with_one_recent_delivery(stack) -> int:
    """A seeded customer no other test touches whose only recent order has shipped."""
    from actions.store import session_scope
    from actions.store.db import make_engine
    from actions.store.queries import recent_orders

    engine = make_engine(stack.env["STORE_URL"])
    try:
        with session_scope(engine) as session:
            for n in (3, 4, 5):  # the other e2e tests use C0001, C0002 and C0009
                orders = recent_orders(session, f"C{n:04d}")
                if len(orders) == 1 and orders[0].status in ("shipped", "delivered"):
                    return n
    finally:
        engine.dispose()
    raise AssertionError("the demo seed has no customer with a single shipped order")


def test_damaged_item_photo_sent_from_the_widget(stack, web_url, browser):
    n = customer_with_one_recent_delivery(stack)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    context.add_init_script(f"localStorage.setItem('frontline:visitor_id', '\"web-demo-{n:04d}\"')")
    page = context.new_page()
    try:
        open_widget(page, web_url)
        say(page, "收到的杯子碎了")
        bot_says(page, "直接在这里发给我")
        page.set_input_files(".flw-photo-input", files=[{"name": "broken.png", "mimeType": "image/png",
                                                          "buffer": tiny_png()}])
        bot_says(page, "已附照片")
        picture = page.locator(".flw-user img.flw-image")
        assert picture.count() == 1
        src = picture.get_attribute("src")
        assert "/webhooks/socketio/uploads/" in src
        page.wait_for_function("img => img.complete && img.naturalWidth === 24", arg=picture.element_handle())
        page.screenshot(path=str(SHOTS / "widget-damage-photo.png"))
    finally:
        context.close()


ONCE = "仅显示一次"


def test_unanswered_message_is_sent_again_once_and_agent_reply_is_delivered(stack, web_url,
                                                                            browser):
    """The server's answer to a shopper message is lost with the connection: the widget keeps
    the message and, once reconnected, sends it again with the same id; the server handles an
    id once (one copy in the agent's transcript). The widget confirms the agent's reply, so
    the console shows it as delivered, and a copy of a reply pushed twice is shown once."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    lose = {"answers": False, "dup": False}
    sockets: list = []

    def on_socket(ws) -> None:  # a proxy to Rasa that can lose the server's answers (acks)
        server = ws.connect_to_server()

        def from_server(message) -> None:
            if lose["answers"] and isinstance(message, str) and re.match(r"^43\d+", message):
                return
            ws.send(message)
            if lose["dup"] and isinstance(message, str) and (
                    ONCE in message or json.dumps(ONCE)[1:-1] in message):
                ws.send(message)  # the relay pushed it again after a crash

        server.on_message(from_server)
        ws.on_message(lambda message: server.send(message))
        sockets.append(ws)

    try:
        page.route_web_socket(re.compile(r".*/socket\.io/.*"), on_socket)
        open_widget(page, web_url)
        say(page, "转人工")
        bot_says(page, HANDED_OVER)
        conversation = page.evaluate("window.FrontlineWidget.state().senderId")
        username, headers = agent_login(stack)
        ticket = wait_ticket(stack, headers, conversation)
        api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/claim", headers=headers)

        def transcript() -> list:
            return api("GET", f"{stack.handoff_url}/api/tickets/{ticket['id']}/messages",
                       headers=headers)["messages"]

        def unacked() -> list:
            return json.loads(page.evaluate("localStorage.getItem('frontline:unacked') || '[]'"))

        # the hand-over request's own answer (its socket.io ack) comes once Rasa has finished
        # that turn (pause, save), just after its reply is shown: only the next one's is lost
        page.wait_for_function("JSON.parse(localStorage.getItem('frontline:unacked') || '[]')"
                               ".length === 0", timeout=BOT_TIMEOUT)
        text = f"快递还没到 {uuid.uuid4().hex[:6]}"
        lose["answers"] = True
        say(page, text)
        deadline = time.monotonic() + 60
        while not any(m["text"] == text for m in transcript()) and time.monotonic() < deadline:
            time.sleep(0.3)
        assert any(m["text"] == text for m in transcript()), "the message never arrived"
        page.wait_for_timeout(1000)
        assert [item["payload"] for item in unacked()] == [text]  # no answer: kept
        lose["answers"] = False
        for ws in sockets:
            ws.close()  # the connection drops; the widget reconnects and sends it again
        page.wait_for_function("JSON.parse(localStorage.getItem('frontline:unacked') || '[]')"
                               ".length === 0", timeout=BOT_TIMEOUT)
        assert [m["text"] for m in transcript()].count(text) == 1

        lose["dup"] = True
        reply = api("POST", f"{stack.handoff_url}/api/tickets/{ticket['id']}/messages",
                    {"text": "已为您催件,仅显示一次。"}, headers)
        page.locator(".flw-agent .flw-bubble", has_text="仅显示一次").wait_for(timeout=BOT_TIMEOUT)
        deadline = time.monotonic() + 30
        state = None
        while time.monotonic() < deadline:
            state = next(m["delivery"] for m in transcript() if m["id"] == reply["id"])
            if state == "delivered":
                break
            time.sleep(0.3)
        assert state == "delivered"
        page.wait_for_timeout(500)
        assert page.locator(".flw-agent .flw-bubble", has_text="仅显示一次").count() == 1
    finally:
        context.close()
