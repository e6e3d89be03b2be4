"""Ranked suggested replies for one shopper message of a handoff.

Every source scores its candidates 0..1 for the message: knowledge-base articles by the
search confidence, FAQ answers by how many of the message's words they share, the order's
policy lines by the topics the message touches, canned phrases by their trigger (a negative
message puts the apology first). The best few, in the shopper's language, go to the agent.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from sqlalchemy.orm import Session

from handoff.assist.policy import PolicyLine
from handoff.console.canned import canned_replies
from handoff.kb import search, store as kb_store

PHRASES = Path(__file__).resolve().parent / "phrases.yml"
LIMIT = 6
TOPIC_WORDS = {
    "return": {"退", "退货", "退换", "换货", "无理由", "return", "exchange", "send"},
    "refund": {"退款", "钱", "到账", "退钱", "refund", "money"},
    "shipping": {"运费", "包邮", "邮费", "快递费", "shipping", "delivery", "postage"},
    "warranty": {"保修", "维修", "坏", "坏了", "故障", "warranty", "repair", "broken"},
}


@dataclass(frozen=True)
class Suggestion:
    kind: str  # kb | faq | policy | phrase
    ref: str  # what it came from: article id, FAQ key, policy key, phrase key
    title: str
    text: str
    score: float

    def view(self) -> Dict[str, Any]:
        return asdict(self)


@lru_cache(maxsize=2)
def _phrases(path: str, mtime: float) -> List[Dict[str, Any]]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []


def phrases() -> List[Dict[str, Any]]:
    return _phrases(str(PHRASES), PHRASES.stat().st_mtime)


def _words(text: str) -> set:
    """The message's words, plus the one-character Chinese words that carry a topic on their
    own inside longer words (退 in 退掉, 坏 in 坏掉)."""
    found = set(search.terms(text))
    return found | {ch for term in found for ch in term if ch in "退坏钱"}


def from_phrases(words: set, negative: bool, first: bool, language: str) -> List[Suggestion]:
    out = []
    for phrase in phrases():
        when = phrase.get("when", "always")
        hits = words & set(phrase.get("words") or [])
        if when == "negative" and negative:
            score = 0.95
        elif when == "first" and first:
            score = 0.7
        elif when == "always" and hits:
            score = 0.5
        else:
            continue
        text = phrase.get(language) or phrase.get("zh")
        out.append(Suggestion("phrase", phrase["key"], phrase["key"], text, score))
    return out


def from_policy(lines: List[PolicyLine], words: set) -> List[Suggestion]:
    out = []
    for line in lines:
        if any(words & TOPIC_WORDS.get(topic, set()) for topic in line.topics):
            # the first topic of a line is what it is about; a second one is a side answer
            score = 0.9 if words & TOPIC_WORDS.get(line.topics[0], set()) else 0.6
            out.append(Suggestion("policy", line.key, line.key, line.text, score))
    return out


def from_faq(message_terms: List[str], language: str) -> List[Suggestion]:
    out = []
    for reply in canned_replies(language):
        scored = search.confidence(message_terms, reply.title, [reply.key], reply.text)
        if scored.matched:
            out.append(Suggestion("faq", reply.key, reply.title, reply.text,
                                  round(scored.confidence * 0.85, 3)))
    return out


def from_kb(db: Session, message: str, language: str, public_url: str) -> List[Suggestion]:
    out = []
    for hit in kb_store.find(db, message, language, limit=3):
        view = kb_store.article_view(hit.article, snippet=True)
        out.append(Suggestion("kb", str(hit.article.id), hit.article.title,
                              f"{view['body']} {public_url}{view['url']}",
                              round(hit.confidence, 3)))
    return out


def suggest(db: Session, message: str, language: str, policy_lines: List[PolicyLine],
            negative: bool, first_reply: bool, public_url: str,
            limit: int = LIMIT) -> List[Suggestion]:
    terms = search.terms(message)
    words = _words(message)
    found = (from_kb(db, message, language, public_url) + from_faq(terms, language)
             + from_policy(policy_lines, words)
             + from_phrases(words, negative, first_reply, language))
    best: Dict[str, Suggestion] = {}
    for item in found:
        key = f"{item.kind}:{item.ref}"
        if key not in best or best[key].score < item.score:
            best[key] = item
    ranked = sorted(best.values(), key=lambda s: (-s.score, s.kind, s.ref))
    return ranked[:limit]


def last_shopper_text(messages: List[Any]) -> Optional[str]:
    for msg in reversed(messages):
        if msg.role == "shopper":
            return msg.text
    return None
