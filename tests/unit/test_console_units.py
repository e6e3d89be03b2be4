"""Console building blocks without services: language choice, canned replies from the FAQ
answers, safe redirects, labels, cookie Secure decision, and autoescaping."""
from __future__ import annotations

import re

from handoff.console.auth import _loopback
from handoff.console.canned import canned_replies
from handoff.console.common import environment, safe_next
from handoff.console.i18n import Translator, pick_language
from handoff.console.settings import ConsoleSettings


def test_language_from_choice_then_accept_language():
    assert pick_language(None, None, "en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert pick_language(None, None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language(None, None, "fr-FR, en;q=0.5, zh;q=0.7") == "zh"  # by q, not order
    assert pick_language(None, None, "") == "zh"
    assert pick_language("en", None, "zh-CN") == "en"  # the session's choice wins
    assert pick_language("en", "zh", "en") == "zh"  # an explicit switch wins over all
    assert pick_language(None, "xx", "en") == "en"  # unknown values are ignored


def test_canned_replies_are_the_faq_answers_filled_in_both_languages():
    zh, en = canned_replies("zh"), canned_replies("en")
    assert len(zh) == len(en) >= 10
    for reply in zh + en:
        assert not re.search(r"\{shop\.", reply.text), reply  # every placeholder filled
    fee_zh = next(r for r in zh if r.key == "shipping_fee")
    fee_en = next(r for r in en if r.key == "shipping_fee")
    assert "包邮" in fee_zh.text and "free" in fee_en.text
    from common import policy
    threshold = str(policy.get("shipping.free_threshold"))
    assert threshold in fee_zh.text and threshold in fee_en.text


def test_settings_derive_a_32_byte_key_and_defaults():
    settings = ConsoleSettings.from_env({"CONSOLE_SECRET": "s"})
    assert len(settings.secret_key) == 32 and settings.cookie_secure == "auto"
    assert ConsoleSettings.from_env({"CONSOLE_SECRET": "s"}).secret_key == settings.secret_key
    assert ConsoleSettings.from_env({}).secret_key != settings.secret_key  # random per process


def test_redirects_stay_inside_the_console():
    assert safe_next("/console/tickets/3") == "/console/tickets/3"
    for bad in ("https://evil.example/", "//evil.example/console/", "/api/tickets", None,
                "/console\\@evil"):
        assert safe_next(bad) == "/console/queue"


def test_loopback_hosts_get_secure_cookies_over_http():
    assert _loopback("127.0.0.1:5080") and _loopback("localhost:8080") and _loopback("[::1]:80")
    assert not _loopback("192.168.1.20:5080") and not _loopback("shop.example")


def test_labels_and_autoescape():
    t = Translator("en")
    assert t.label("intent", "faq/shipping_fee") == "FAQ: Shipping fee"
    assert t.label("queue", "after_sales") == "After-sales"
    assert t("locked", minutes=15).endswith("15 min.")
    html = environment().from_string("{{ x }}").render(x="<script>alert(1)</script>")
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;"
