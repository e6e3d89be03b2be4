"""What a typed answer means for the current step.

Order: the step's own keywords/regexes (both languages: shoppers mix them), then the
affirm/deny intent NLU gave the message. Keywords preceded by a negation (不/没 or
"not") do not count, and a keyword inside a longer keyword of another option loses to it,
so "还是不行" is not read as "行" and "not working" is not read as "working".
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from common.flows.model import Step

_ZH_NEGATION = ("不", "没", "未", "别")
_EN_NEGATION = re.compile(r"(?:\bnot|n't|\bno|\bnever)\s+$", re.I)

Hit = Tuple[int, int, str]  # start, end, option id

# Typed mid-step, these stop the flow whatever the NLU intent (a bare "算了" is a deny example).
CANCEL_WORDS = {"算了", "算了吧", "不弄了", "算了不弄了", "不搞了", "不修了", "stop", "cancel", "quit",
                "never mind", "nevermind", "forget it", "exit"}
_PUNCT = re.compile(r"[\s,.!?;:,。!?;:~…]+")


_CLAUSE = re.compile(r"[,.!?;:,。!?;:~…]+")
_LEADING = re.compile(r"^(oh|ah|ok|okay|no|nah|actually|哎|唉|啊|嗯|好吧|那)\s*", re.I)


def is_cancel(text: Optional[str]) -> bool:
    """"算了" / "stop" alone, or opening a sentence ("forget it, I'll call my ISP",
    "算了,我自己打给运营商"); "stop light is red" is not a stop."""
    lowered = (text or "").lower()
    words = _PUNCT.sub(" ", lowered).strip()
    if words in CANCEL_WORDS or (words.startswith("算了") and len(words) <= 6):
        return True
    clauses = [_LEADING.sub("", c.strip()).strip() for c in _CLAUSE.split(lowered)]
    first = next((c for c in clauses if c), "")  # past a leading "ok," / "actually,"
    return first in CANCEL_WORDS or first.startswith("算了")


def _negated(text: str, start: int, keyword: str) -> bool:
    if keyword[:1] in _ZH_NEGATION or keyword.lower().startswith(("not", "no ")):
        return False
    before = text[:start]
    return before.endswith(_ZH_NEGATION) or bool(_EN_NEGATION.search(before))


def _hits(step: Step, text: str) -> List[Hit]:
    lowered = text.lower()
    hits: List[Hit] = []
    for option in step.options:
        for keywords in option.matches.values():
            for keyword in keywords:
                key = keyword.lower()
                for found in re.finditer(re.escape(key), lowered):
                    if not _negated(lowered, found.start(), key):
                        hits.append((found.start(), found.end(), option.id))
        for patterns in option.patterns.values():
            for pattern in patterns:
                for found in pattern.finditer(text):
                    if found.end() > found.start():
                        hits.append((found.start(), found.end(), option.id))
    return hits


def match_text(step: Step, text: Optional[str], intent: Optional[str]) -> Optional[str]:
    """The option id the shopper's words stand for, or None if it is unclear."""
    text = (text or "").strip()
    if text:
        hits = _hits(step, text)
        # drop hits that sit inside a longer hit of another option
        kept = [h for h in hits if not any(
            o[2] != h[2] and o[0] <= h[0] and h[1] <= o[1] and (o[1] - o[0]) > (h[1] - h[0]) for o in hits)]
        options = {h[2] for h in kept}
        if len(options) == 1:
            return options.pop()
        if len(options) > 1:
            return None  # contradicting words: ask again rather than guess
        if step.option(text.lower()) is not None:  # the shopper typed an option id
            return text.lower()
        for option in step.options:  # or the exact button title
            if text in (option.label.zh, option.label.en):
                return option.id
    if intent:
        for option in step.options:
            if intent in option.intents:
                return option.id
    return None
