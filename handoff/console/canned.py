"""Canned replies for agents: the bot's own FAQ answers (`utter_faq/*` in domain.yml), in both
languages, with the shop's numbers filled from data/shop.yml, so agents and bot never disagree."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

from bot import policy
from handoff.config import ROOT_DIR
from handoff.texts import TEXTS

DOMAIN = ROOT_DIR / "domain.yml"
PLACEHOLDER = re.compile(r"\{(shop\.[A-Za-z0-9_.]+)\}")


@dataclass(frozen=True)
class CannedReply:
    key: str
    title: str
    text: str


def _variant_language(variant: Dict[str, Any]) -> str:
    for cond in variant.get("condition") or []:
        if cond.get("name") == "language":
            return str(cond.get("value"))
    return "zh"  # the unconditioned variant is the Chinese default


def fill(text: str, language: str) -> str:
    values = policy.template_values(language)
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Dict[str, Dict[str, str]]:
    with open(path, encoding="utf-8") as handle:
        responses = (yaml.safe_load(handle) or {}).get("responses") or {}
    found: Dict[str, Dict[str, str]] = {}
    for name, variants in responses.items():
        if not str(name).startswith("utter_faq/"):
            continue
        key = str(name).split("/", 1)[1]
        for variant in variants or []:
            if isinstance(variant, dict) and variant.get("text"):
                found.setdefault(key, {}).setdefault(_variant_language(variant), variant["text"])
    return found


def canned_replies(language: str, domain: Path = DOMAIN) -> List[CannedReply]:
    """The FAQ answers in `language` ("zh"/"en"), placeholders filled."""
    raw = _load(str(domain), domain.stat().st_mtime)
    replies = []
    for key, texts in raw.items():
        text = texts.get(language) or texts.get("zh")
        if text:
            title = TEXTS.label("faq", key, language)
            replies.append(CannedReply(key, title, fill(text, language)))
    return replies


def bundle() -> Dict[str, List[Dict[str, str]]]:
    return {lang: [asdict(r) for r in canned_replies(lang)] for lang in ("zh", "en")}
