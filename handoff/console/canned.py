"""Canned replies for agents: the bot's own FAQ answers (common.faq_answers), in both languages,
with the shop's numbers filled from data/shop.yml, so agents and bot never disagree."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

from common.faq_answers import faq_answers, fill

from handoff.texts import TEXTS


@dataclass(frozen=True)
class CannedReply:
    key: str
    title: str
    text: str


def canned_replies(language: str, domain: Optional[Path] = None) -> List[CannedReply]:
    """The FAQ answers in `language` ("zh"/"en"), placeholders filled."""
    raw = faq_answers(domain)
    replies = []
    for key, texts in raw.items():
        text = texts.get(language) or texts.get("zh")
        if text:
            title = TEXTS.label("faq", key, language)
            replies.append(CannedReply(key, title, fill(text, language)))
    return replies


def bundle() -> Dict[str, List[Dict[str, str]]]:
    return {lang: [asdict(r) for r in canned_replies(lang)] for lang in ("zh", "en")}
