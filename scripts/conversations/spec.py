"""The conversation set's YAML: conversations, their turns and what must hold after each."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

LANGUAGES = ("zh", "en")
# What a turn may check; anything else in a turn is a typo and fails loading.
CHECKS = {"intent", "entities", "slots", "actions", "not_actions", "reply", "not_reply",
          "buttons", "says", "not_says", "handoff", "flow", "language", "paused"}
INPUTS = {"say", "click", "note"}


class SpecError(ValueError):
    pass


@dataclass(frozen=True)
class Turn:
    say: Optional[str]            # what the shopper types (or a /payload)
    click: Optional[str]          # a button title from the bot's previous messages
    checks: Dict[str, Any]

    @property
    def shown(self) -> str:
        return f"[button] {self.click}" if self.click else str(self.say)


@dataclass(frozen=True)
class Conversation:
    id: str
    category: str
    language: str
    turns: List[Turn]
    orders: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    source: str = ""


def _turn(raw: Dict[str, Any], where: str) -> Turn:
    unknown = set(raw) - CHECKS - INPUTS
    if unknown:
        raise SpecError(f"{where}: unknown keys {sorted(unknown)}")
    if bool(raw.get("say") is not None) == bool(raw.get("click") is not None):
        raise SpecError(f"{where}: a turn needs exactly one of `say` or `click`")
    checks = {k: v for k, v in raw.items() if k in CHECKS}
    return Turn(say=None if raw.get("say") is None else str(raw["say"]),
                click=raw.get("click"), checks=checks)


def _conversation(raw: Dict[str, Any], source: str) -> Conversation:
    where = f"{source}:{raw.get('id', '?')}"
    for key in ("id", "category", "language", "turns"):
        if key not in raw:
            raise SpecError(f"{where}: missing `{key}`")
    if raw["language"] not in LANGUAGES:
        raise SpecError(f"{where}: language must be one of {LANGUAGES}")
    turns = [_turn(t, f"{where} turn {i + 1}") for i, t in enumerate(raw["turns"])]
    if not turns:
        raise SpecError(f"{where}: no turns")
    return Conversation(id=str(raw["id"]), category=str(raw["category"]),
                        language=raw["language"], turns=turns,
                        orders=dict(raw.get("orders") or {}), source=source)


def load(folder: Path, only: Optional[str] = None) -> List[Conversation]:
    """Every conversation in folder/*.yml (each file a list), ids unique across files."""
    found: List[Conversation] = []
    for path in sorted(folder.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise SpecError(f"{path.name}: expected a list of conversations")
        found += [_conversation(raw, path.name) for raw in data]
    ids = [c.id for c in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SpecError(f"duplicate conversation ids: {duplicates}")
    if only:
        found = [c for c in found if only in c.id or only == c.category]
    return found
