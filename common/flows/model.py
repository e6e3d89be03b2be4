"""Domain objects of a guided troubleshooting flow, built from a validated flow file.

A flow is a small graph: each step either asks the shopper something (a prompt with
quick-reply options) or runs a named step action (e.g. look up the device model) and
branches on its outcome. `next` targets are other step ids or one of the two ends.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Pattern, Tuple

RESOLVED = "resolved"
ESCALATE = "escalate"
ENDS = (RESOLVED, ESCALATE)
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str

    def get(self, language: Optional[str]) -> str:
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class Media:
    kind: str  # "image" or "video"
    url: str
    caption: Optional[Bilingual] = None


@dataclass(frozen=True)
class Option:
    id: str
    label: Bilingual
    next: str
    # affirm/deny intents that stand for this option when the shopper types instead of clicking
    intents: Tuple[str, ...] = ()
    # keywords (substring) and regexes per language for typed answers
    matches: Dict[str, Tuple[str, ...]] = field(default_factory=dict)
    patterns: Dict[str, Tuple[Pattern[str], ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    id: str
    line: int
    prompt: Optional[Bilingual] = None
    media: Optional[Media] = None
    options: Tuple[Option, ...] = ()
    action: Optional[str] = None
    branches: Dict[str, str] = field(default_factory=dict)
    args: Dict[str, object] = field(default_factory=dict)

    @property
    def is_question(self) -> bool:
        return self.action is None

    def option(self, option_id: str) -> Optional[Option]:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Flow:
    id: str
    trigger: str
    title: Bilingual
    start: str
    steps: Dict[str, Step]
    source: str
    ends: Dict[str, Bilingual] = field(default_factory=dict)
    trigger_line: int = 1

    def step(self, step_id: Optional[str]) -> Optional[Step]:
        return self.steps.get(step_id or "")


PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


def fill(text: str, values: Dict[str, str]) -> str:
    """Replace `{name}` placeholders with step-action data; unknown names stay visible."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)
