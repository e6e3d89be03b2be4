"""The bot's FAQ answers (`utter_faq/*` responses in domain.yml), in both languages, with the
shop's numbers filled from the policy file (common.policy).

The handoff service offers them to agents as canned replies, so agents and bot never disagree;
this module is the one reader of domain.yml outside Rasa. FRONTLINE_DOMAIN_FILE points it at
another domain (a shop's own deployment).
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml

from common import policy

DEFAULT_DOMAIN = Path(__file__).resolve().parent.parent / "domain.yml"
PLACEHOLDER = re.compile(r"\{(shop\.[A-Za-z0-9_.]+)\}")
PREFIX = "utter_faq/"


def domain_file() -> Path:
    return Path(os.environ.get("FRONTLINE_DOMAIN_FILE") or DEFAULT_DOMAIN)


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
        if not str(name).startswith(PREFIX):
            continue
        key = str(name)[len(PREFIX):]
        for variant in variants or []:
            if isinstance(variant, dict) and variant.get("text"):
                found.setdefault(key, {}).setdefault(_variant_language(variant), variant["text"])
    return found


def faq_answers(domain: Optional[Path] = None) -> Dict[str, Dict[str, str]]:
    """{topic: {language: raw text}} as written in the domain; re-read when the file changes."""
    path = domain or domain_file()
    return _load(str(path), path.stat().st_mtime)
