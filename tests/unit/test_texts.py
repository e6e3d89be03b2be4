"""Every text exists in Chinese and English with the same placeholders, and every key the code,
the templates and the page scripts ask for exists in its catalogue."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Set

import pytest
import yaml

from actions.texts import TEXTS as ACTIONS
from actions.texts import carrier_name, method_name, status_name, text
from bot.channels.wechat.texts import TEXTS as WECHAT
from common import policy
from common.texts import LANGUAGES, Catalogue, placeholders
from handoff.console.i18n import Translator
from handoff.texts import TEXTS as HANDOFF

ROOT = Path(__file__).resolve().parents[2]


def _sources(folder: str, pattern: str) -> Iterable[Path]:
    return sorted((ROOT / folder).rglob(pattern))


def _keys_used(paths: Iterable[Path], regex: str) -> Set[str]:
    found: Set[str] = set()
    for path in paths:
        found.update(re.findall(regex, path.read_text(encoding="utf-8")))
    return found


def _assert_complete(catalogue: Catalogue) -> None:
    zh, en = (set(catalogue.keys(lang)) for lang in LANGUAGES)
    assert zh == en, f"{catalogue.source}: only in zh {sorted(zh - en)}, only in en {sorted(en - zh)}"
    for key in zh:
        texts = [catalogue.raw(key, lang) for lang in LANGUAGES]
        assert all(t.strip() for t in texts), f"{key} is empty in a language"
        assert placeholders(texts[0]) == placeholders(texts[1]), \
            f"{key}: zh has {sorted(placeholders(texts[0]))}, en has {sorted(placeholders(texts[1]))}"


def test_the_service_catalogue_has_both_languages_with_the_same_placeholders():
    _assert_complete(HANDOFF)
    assert len(list(HANDOFF.keys())) > 200


def test_a_missing_key_fails_the_check():
    broken = Catalogue({"zh": {"a": "{n} 分钟", "b": "好"}, "en": {"a": "{minutes} min"}})
    with pytest.raises(AssertionError, match="only in zh"):
        _assert_complete(broken)
    with pytest.raises(AssertionError, match="placeholder|zh has"):
        _assert_complete(Catalogue({"zh": {"a": "{n} 分钟"}, "en": {"a": "{minutes} min"}}))


def test_every_console_key_in_templates_and_scripts_exists():
    templates = list(_sources("handoff/templates", "*.html"))
    used = _keys_used(templates, r"\bt\(['\"]([a-z_]+)['\"]\s*[,)]")
    used |= _keys_used(_sources("handoff/static", "*.js"), r"\bt\(\"([a-z_]+)\"\s*[,)]")
    used |= _keys_used(_sources("handoff/console", "*.py"), r"message=\"([a-z_]+)\"")
    assert len(used) > 50
    missing = sorted(k for k in used if not HANDOFF.has(f"console.{k}"))
    assert not missing, f"console keys missing from handoff/locale: {missing}"


def test_every_template_table_key_exists():
    macros = {"a": "assist", "k": "kb", "m": "metrics", "q": "quality"}
    missing = []
    for path in _sources("handoff/templates", "*.html"):
        source = path.read_text(encoding="utf-8")
        for macro, group in macros.items():
            if f"_('{group}.' ~ key)" not in source:
                continue
            for key in re.findall(r"\b" + macro + r"\('([a-z_]+)'\)", source):
                if not HANDOFF.has(f"{group}.{key}"):
                    missing.append(f"{path.name}: {group}.{key}")
    assert not missing


def test_every_notice_the_service_sends_exists():
    used = _keys_used(_sources("handoff", "*.py"), r"\b_?notice\(\s*\"([a-z_]+)\"")
    used |= {"sla_breach", "agent_silent"}  # chosen by cause in the watchdog
    assert {"queued_late", "anything_else", "csat_ask", "transferred"} <= used
    assert not sorted(k for k in used if not HANDOFF.has(f"notice.{k}"))


def test_the_translator_reads_the_catalogue():
    zh, en = Translator("zh"), Translator("en")
    assert zh("login") == "登录" and en("login") == "Log in"
    assert en("stale_hours", hours=30) == "not updated for 30 h"
    assert en("no_such_key") == "no_such_key"
    assert zh.label("status", "resolved") == "已解决" and en.label("risk", "12315").startswith("threatens")
    assert en.label("intent", "unknown_intent") == "unknown_intent" and en.label("intent", None) == ""
    bundle = en.bundle()
    assert bundle["strings"]["send"] == "Send"
    assert bundle["labels"]["queue"]["logistics"] == "Logistics"
    assert set(bundle["labels"]) == set(Translator.TABLES)


def test_console_templates_translate_through_gettext():
    from handoff.console.common import environment
    template = environment().from_string("{{ _('kb.title') }} {% trans %}kb.save{% endtrans %}")
    assert template.render(gettext=Translator("zh").gettext) == "知识库 保存"
    assert template.render(gettext=Translator("en").gettext) == "Knowledge base Save"


# --- the action server's catalogue (actions/texts.yml) and domain.yml responses ----------------

def test_the_action_catalogue_has_both_languages_with_the_same_placeholders():
    _assert_complete(ACTIONS)
    assert len(list(ACTIONS.keys())) > 100


def test_every_policy_value_a_text_names_is_in_the_policy_file():
    for lang in LANGUAGES:
        known = set(policy.template_values(lang))
        for key in ACTIONS.keys(lang):
            unknown = {p for p in placeholders(ACTIONS.raw(key, lang)) if p.startswith("shop.")} - known
            assert not unknown, f"{key} ({lang}) names {sorted(unknown)}, not in data/shop.yml"


def test_every_key_the_actions_use_exists():
    code = [p for p in _sources("actions", "*.py")]
    used = _keys_used(code, r"\b(?:ask_)?text\(\s*\"([a-z_.0-9]+)\"")
    used |= _keys_used(code, r"\"(flow\.[a-z_]+)\"")
    slots = _domain()["forms"]["order_form"]["required_slots"]
    used |= {f"reask_{slot}" for slot in slots}  # form_steps: text(f"reask_{slot}")
    used |= {f"reason_{r}" for r in ("no_reason", "quality", "wrong_item")}  # order_asks buttons
    assert {"ask_order_id_none", "handoff.queued", "flow.intro", "emotion.offer", "kb.quote"} <= used
    missing = sorted(k for k in used if not ACTIONS.has(k))
    assert not missing, f"keys missing from actions/texts.yml: {missing}"


def test_labels_fall_back_to_the_code():
    assert status_name("shipped", "zh") == "运输中" and status_name("shipped", "en") == "in transit"
    assert carrier_name("SF", "en") == "SF Express" and method_name("alipay", "zh") == "支付宝"
    assert status_name("mystery", "en") == "mystery"


def test_texts_fill_policy_values_and_the_callers_values():
    days = policy.template_values("en")["shop.returns.no_reason_days"]
    said = text("cancel_too_late", "en", order_id="E202600000001")
    assert said.startswith("Order E202600000001 has already shipped") and f"within {days} days" in said
    assert text("cancel_too_late", "fr", order_id="E1").startswith("订单E1")  # unknown -> Chinese


def _domain() -> dict:
    with open(ROOT / "domain.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def test_every_domain_response_has_a_chinese_and_an_english_variant():
    for name, variants in _domain()["responses"].items():
        default = [v for v in variants if not v.get("condition")]
        english = [v for v in variants if v.get("condition") ==
                   [{"type": "slot", "name": "language", "value": "en"}]]
        assert default and english, f"{name} needs a Chinese default and an English variant"
        for zh, en in zip(default, english):
            assert placeholders(zh["text"]) == placeholders(en["text"]), name
            assert [b["payload"] for b in zh.get("buttons", [])] == \
                [b["payload"] for b in en.get("buttons", [])], name


def test_every_response_the_actions_name_exists():
    used = _keys_used(_sources("actions", "*.py"), r"response=\"(utter_[a-z_/]+)\"")
    used |= _keys_used(_sources("actions", "*.py"), r"\"(utter_[a-z_]+)\"")
    used -= {"utter_action"}  # the metadata field naming a response, not a response
    assert "utter_ask_rephrase" in used
    responses = set(_domain()["responses"])
    responses |= {name.split("/")[0] for name in responses}  # utter_faq answers utter_faq/*
    assert not sorted(r for r in used if r not in responses)


# --- the WeChat channel's own sentences (bot/channels/wechat/texts.yml) -------------------------

def test_the_wechat_catalogue_has_both_languages_with_the_same_placeholders():
    _assert_complete(WECHAT)
    assert {"reply.voice", "reply.unsupported", "reply.error", "button_hint"} <= set(WECHAT.keys())


def test_every_key_the_wechat_channel_uses_exists():
    used = _keys_used(_sources("bot/channels/wechat", "*.py"), r"\bboth\(\s*[\"']([a-z_.]+)[\"']")
    assert {"reply.voice", "reply.error", "label.image"} <= used
    assert not sorted(k for k in used if not WECHAT.has(k))


def test_the_wechat_channel_says_each_sentence_in_both_languages():
    from bot.channels.wechat.channel import UNSUPPORTED_REPLY
    from bot.channels.wechat.render import BUTTON_HINT, render_turn
    assert UNSUPPORTED_REPLY == "\n".join(WECHAT.raw("reply.unsupported", lang) for lang in LANGUAGES)
    assert BUTTON_HINT == f"{WECHAT.raw('button_hint', 'zh')} / {WECHAT.raw('button_hint', 'en')}"
    chunk = render_turn([{"image": "https://shop/p.png"}]).chunks[0]
    assert chunk == f"[{WECHAT.raw('label.image', 'zh')} {WECHAT.raw('label.image', 'en')}] https://shop/p.png"
