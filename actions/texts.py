"""The action server's words: actions/texts.yml, with the shop's policy values as `{shop.<path>}`.

`text(key, language, **values)` for a sentence; `status_name` / `carrier_name` / `method_name`
name a code in the shopper's language (the code itself when the catalogue has no name).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from common import policy
from common.texts import Catalogue, lang_of

TEXTS = Catalogue.from_yaml(Path(__file__).with_name("texts.yml"), defaults=policy.template_values)

__all__ = ["TEXTS", "carrier_name", "lang_of", "method_name", "status_name", "text"]


def text(key: str, language: Any, **values: Any) -> str:
    return TEXTS.text(key, language, **values)


def status_name(status: Any, language: Any) -> str:
    return TEXTS.label("status", status, language)


def carrier_name(code: Any, language: Any) -> str:
    return TEXTS.label("carrier", code, language)


def method_name(code: Any, language: Any) -> str:
    return TEXTS.label("method", code, language)
