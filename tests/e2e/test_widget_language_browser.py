"""The widget's own words (header, status line, placeholder, buttons) in the shop's language and
the shopper's: Chinese on a Chinese shop page even in an English browser, English on an English
page, and English once the shopper writes English, remembered after a reload."""
from __future__ import annotations

import socket
import subprocess
import sys
from typing import Iterator

import pytest

from scripts.stack import ROOT, wait_http
from tests.e2e.test_widget_browser import BOT_TIMEOUT, bot_says, browser, open_widget, say, web_url  # noqa: F401

ZH = {"title": "智能客服小优", "subtitle": "在线 · 通常立即回复", "placeholder": "请输入您的问题…", "send": "发送",
      "launcher": "在线客服", "photo": "发送图片", "close": "收起聊天窗口"}
EN = {"title": "Shop assistant", "subtitle": "Online · replies instantly", "placeholder": "Type your question…",
      "send": "Send", "launcher": "Chat with us", "photo": "Send a picture", "close": "Minimise chat"}
EN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>An English shop</title></head>
<body><h1>Our shop</h1><script>window.FrontlineChat = {socketUrl: %s};</script>
<script src="/widget/frontline-widget.js" async></script></body></html>"""


def words(page) -> dict:
    return {"title": page.inner_text(".flw-title"), "subtitle": page.inner_text(".flw-subtitle"),
            "placeholder": page.get_attribute(".flw-input", "placeholder"),
            "send": page.inner_text(".flw-send"), "launcher": page.inner_text(".flw-launcher-text"),
            "photo": page.get_attribute(".flw-photo", "aria-label"),
            "close": page.get_attribute(".flw-close", "aria-label")}


def test_a_chinese_shop_speaks_chinese_in_an_english_browser_until_the_shopper_writes_english(
        stack, web_url, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(BOT_TIMEOUT)
    try:
        open_widget(page, web_url)
        assert words(page) == ZH
        assert page.get_attribute(".flw-root", "lang") == "zh-CN"
        say(page, "Is shipping free?")
        bot_says(page, "[Ss]hipping")
        assert words(page) == EN
        assert page.get_attribute(".flw-root", "lang") == "en"
        page.reload()
        page.wait_for_selector(".flw-title")
        assert words(page) == EN  # the shopper's language is remembered
        say(page, "请问包邮吗")
        bot_says(page, "包邮")
        assert words(page) == ZH
    finally:
        context.close()


def test_an_english_page_speaks_english_in_a_chinese_browser(shop_without_bot, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(BOT_TIMEOUT)
    page.route(f"{shop_without_bot}/en-shop", lambda route: route.fulfill(
        status=200, content_type="text/html; charset=utf-8", body=EN_PAGE % '"http://127.0.0.1:9"'))
    try:
        page.goto(f"{shop_without_bot}/en-shop")
        page.click(".flw-launcher")
        assert words(page) == EN
        page.locator(".flw-status").wait_for(state="visible")
        assert page.inner_text(".flw-status") == "Connection lost, reconnecting…"
        # an order number says nothing about language: the widget stays English
        say(page, "E202600000001")
        assert words(page) == EN
    finally:
        context.close()


@pytest.fixture
def shop_without_bot() -> Iterator[str]:
    """The demo shop page whose chat server cannot be reached."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port, dead = sock.getsockname()[1], sock.getsockname()[1] + 1
    proc = subprocess.Popen([sys.executable, "-m", "web.serve", "--port", str(port),
                             "--rasa-url", f"http://127.0.0.1:{dead}"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_http(f"http://127.0.0.1:{port}/health", 30, "web server", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)


def test_connection_errors_are_in_the_shops_language(shop_without_bot, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    try:
        page.goto(shop_without_bot)
        page.click(".flw-launcher")
        status = page.locator(".flw-status")
        status.wait_for(state="visible", timeout=BOT_TIMEOUT)
        assert status.inner_text() == "连接已断开,正在重连…"
        assert words(page) == ZH
    finally:
        context.close()
