"""Every text exists in Chinese and English with the same placeholders, and every key the code,
the templates and the page scripts ask for exists in its catalogue."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Set

import pytest

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
