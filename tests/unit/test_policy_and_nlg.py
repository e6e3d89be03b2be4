import asyncio
import re
from pathlib import Path

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.nlg import ShopPolicyNLG
from common import policy

ROOT = Path(__file__).resolve().parents[2]


def _generate(utter, language, domain=None):
    domain = domain or Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("t", [SlotSet("language", language)], domain.slots)
    return asyncio.run(ShopPolicyNLG(domain=domain).generate(utter, tracker, "rest"))


def test_shipping_fee_answer_uses_threshold_from_policy_file_in_both_languages():
    threshold = policy.get("shipping.free_threshold")
    zh = _generate("utter_faq/shipping_fee", "zh")["text"]
    en = _generate("utter_faq/shipping_fee", "en")["text"]
    assert f"满¥{threshold}包邮" in zh
    assert f"{threshold} or more" in en
    assert "{" not in zh and "{" not in en


def test_changing_the_policy_file_changes_the_answer(tmp_path, monkeypatch):
    data = yaml.safe_load((ROOT / "data" / "shop.yml").read_text(encoding="utf-8"))
    data["shipping"]["free_threshold"] = 123
    custom = tmp_path / "shop.yml"
    custom.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SHOP_POLICY_FILE", str(custom))
    assert "满¥123包邮" in _generate("utter_faq/shipping_fee", "zh")["text"]


def test_bilingual_name_resolves_to_the_shoppers_language():
    assert policy.get("name.zh") in _generate("utter_greet", "zh")["text"]
    assert policy.get("name.en") in _generate("utter_greet", "en")["text"]


def test_every_response_has_a_chinese_default_and_an_english_variant():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        defaults = [v for v in variants if not v.get("condition")]
        english = [v for v in variants if v.get("condition") == [{"type": "slot", "name": "language", "value": "en"}]]
        assert defaults and english, f"{name} needs a zh default and an en variant"
        assert all(re.search(r"[\u4e00-\u9fff]", v["text"]) for v in defaults), name
        assert not any(re.search(r"[\u4e00-\u9fff]", v["text"].replace("转人工", "")) for v in english), name


def test_every_placeholder_in_responses_resolves():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    values = policy.template_values("zh")
    slots = set(domain.get("slots", {}))
    for name, variants in domain["responses"].items():
        for variant in variants:
            for key in re.findall(r"{([^{}]+)}", variant.get("text", "")):
                assert key in values or key in slots, f"{name}: unknown placeholder {key}"


def test_faq_answers_type_no_policy_number():
    """Numbers in FAQ answers come from data/shop.yml, never typed into domain.yml."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    for name, variants in domain["responses"].items():
        if not name.startswith("utter_faq/"):
            continue
        for variant in variants:
            text = re.sub(r"{[^{}]+}", "", variant["text"])
            assert not re.search(r"\d{2,}", text), f"{name} types a number: {text}"
