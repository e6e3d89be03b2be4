"""The inspection rules (handoff/quality/rules.yml or QUALITY_RULES_FILE) and how each one
reads a conversation. Pure: a Conversation in, hits out (unit-tested rule by rule)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import yaml

DEFAULT_FILE = Path(__file__).resolve().parent / "rules.yml"
KINDS = ("phrases", "greeting", "first_reply", "apology", "promise", "pii")
# A full mainland mobile number, an ID card number, a bank card number: agents quote masked
# forms (138****5678), never the whole thing.
PII = {"phone": re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
       "id_card": re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)"),
       "bank_card": re.compile(r"(?<!\d)\d{16,19}(?!\d)"),
       "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")}
NEGATIVE = {"angry", "anxious", "sad", "disappointed"}


@dataclass(frozen=True)
class Said:
    role: str  # shopper | agent | bot
    text: str
    at: Optional[datetime] = None
    emotion: Optional[str] = None  # the analyzer's label of a shopper message


@dataclass
class Conversation:
    messages: List[Said]
    handed_over_at: Optional[datetime] = None
    first_response_at: Optional[datetime] = None
    emotion_peak: Optional[str] = None  # the worst emotion the bot saw before the hand-over
    case_opened: bool = False  # a note, a transfer or a resolution code other than "resolved"


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    weight: int
    label: Dict[str, str]
    roles: Tuple[str, ...] = ("agent",)
    phrases: Tuple[str, ...] = ()
    max_seconds: float = 120.0


@dataclass
class RuleSet:
    rules: List[Rule]
    review_below: int = 80
    sample_percent: int = 10
    source: str = field(default="")


def mask(text: str) -> str:
    """Evidence shown to reviewers never repeats personal data."""
    for pattern in PII.values():
        text = pattern.sub("***", text)
    return text


def _contains(text: str, phrases: Tuple[str, ...]) -> Optional[str]:
    low = text.lower()
    return next((p for p in phrases if p.lower() in low), None)


def check(rule: Rule, conv: Conversation) -> List[Dict[str, Any]]:
    """The hits of one rule: each {rule, evidence, role}."""
    hits: List[Dict[str, Any]] = []

    def hit(evidence: str, role: str = "agent") -> None:
        hits.append({"rule": rule.id, "evidence": mask(evidence)[:200], "role": role})
    agent = [m for m in conv.messages if m.role == "agent"]
    if rule.kind == "phrases":
        for msg in conv.messages:
            if msg.role in rule.roles and (found := _contains(msg.text, rule.phrases)):
                hit(f"{found}: {msg.text}", msg.role)
    elif rule.kind == "greeting":
        if agent and not _contains(agent[0].text, rule.phrases):
            hit(agent[0].text)
    elif rule.kind == "first_reply":
        if conv.handed_over_at and conv.first_response_at:
            waited = (conv.first_response_at - conv.handed_over_at).total_seconds()
            if waited > rule.max_seconds:
                hit(f"{int(waited)} s")
    elif rule.kind == "apology":
        upset = conv.emotion_peak in NEGATIVE or any(
            m.role == "shopper" and m.emotion in NEGATIVE for m in conv.messages)
        if upset and agent and not any(_contains(m.text, rule.phrases) for m in agent):
            hit(agent[0].text)
    elif rule.kind == "promise":
        if not conv.case_opened:
            for msg in agent:
                if found := _contains(msg.text, rule.phrases):
                    hit(f"{found}: {msg.text}")
    elif rule.kind == "pii":
        for msg in conv.messages:
            if msg.role in rule.roles:
                for name, pattern in PII.items():
                    if pattern.search(msg.text):
                        hit(f"{name}: {msg.text}", msg.role)
    return hits


def inspect(rules: RuleSet, conv: Conversation) -> Tuple[int, List[Dict[str, Any]]]:
    """(score 0-100, hits): each hit takes its rule's weight off."""
    hits: List[Dict[str, Any]] = []
    weights = {r.id: r.weight for r in rules.rules}
    for rule in rules.rules:
        hits.extend(check(rule, conv))
    return max(0, 100 - sum(weights[h["rule"]] for h in hits)), hits


def parse(data: Dict[str, Any], source: str = "") -> RuleSet:
    rules = []
    for raw in data.get("rules") or []:
        if raw.get("kind") not in KINDS:
            raise ValueError(f"{source}: rule {raw.get('id')}: kind must be one of {KINDS}")
        rules.append(Rule(str(raw["id"]), raw["kind"], int(raw.get("weight", 10)),
                          dict(raw.get("label") or {"zh": raw["id"], "en": raw["id"]}),
                          tuple(raw.get("roles") or ("agent",)),
                          tuple(str(p) for p in raw.get("phrases") or ()),
                          float(raw.get("max_seconds", 120))))
    return RuleSet(rules, int(data.get("review_below", 80)), int(data.get("sample_percent", 10)),
                   source)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> RuleSet:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}, path)


def load() -> RuleSet:
    path = Path(os.environ.get("QUALITY_RULES_FILE") or DEFAULT_FILE)
    return _load(str(path), path.stat().st_mtime)
