"""Name what the bot said: a domain response by its template, an action's text by its key.

Responses from domain.yml carry their name in the bot event's metadata (`utter_action`). The
actions write text from their catalogue (actions/texts.yml); each sentence there becomes a
pattern (its literal words, anything for a placeholder), so a conversation can say "the bot confirmed the cancellation" (`cancelled`)
without depending on wording, numbers or the order's details.
"""
from __future__ import annotations

import re
import string
from functools import lru_cache
from typing import Dict, Iterable, List, Pattern, Tuple

from actions.texts import TEXTS
from common.texts import LANGUAGES

LABEL_GROUPS = {"status", "carrier", "method"}  # names of codes, not sentences
MIN_LITERAL = 6  # shorter templates ("{x}", "已附照片") would match too much to name anything


def _pattern(template: str) -> Tuple[Pattern[str], int]:
    parts, literal = [], 0
    for text, field, _, _ in string.Formatter().parse(template):
        chunk = text.strip()
        if chunk:
            parts.append(re.escape(chunk))
            literal += len(chunk)
        if field is not None:
            parts.append(r".*?")
    return re.compile(r"\s*".join(parts), re.DOTALL), literal


def _tables() -> Iterable[Tuple[str, Dict[str, str]]]:
    for key in TEXTS.keys():
        if key.split(".")[0] not in LABEL_GROUPS:
            yield key, {lang: TEXTS.raw(key, lang) for lang in LANGUAGES}


@lru_cache(maxsize=1)
def catalog() -> List[Tuple[str, Pattern[str]]]:
    found = []
    for key, entry in _tables():
        for template in entry.values():
            pattern, literal = _pattern(template)
            if literal >= MIN_LITERAL:
                found.append((key, pattern))
    return found


def names(message: Dict) -> List[str]:
    """Every name this bot message answers to: its response template, and text keys found in it."""
    found: List[str] = []
    metadata = message.get("metadata") or {}
    template = metadata.get("utter_action") or metadata.get("template_name")
    if template:
        found.append(str(template))
        if "/" in template:  # utter_faq/shipping_fee also answers to utter_faq
            found.append(template.split("/")[0])
    text = str(message.get("text") or "")
    for key, pattern in catalog():
        if key not in found and pattern.search(text):
            found.append(key)
    return found
