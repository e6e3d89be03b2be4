"""Post-chat surveys (NPS, CES), configured in handoff/surveys.yml (or SURVEYS_FILE).

After a handed-over chat's CSAT, the service asks the first survey; a number in range from
the shopper answers the open question and the next one is asked. Questions go out through
the relay, so every channel gets them in the shopper's language.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import yaml
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session

from common.ticket import utcnow
from handoff.config import PACKAGE_DIR
from handoff.db import Base
from handoff.utc import UTCDateTime

ANSWER_WINDOW = timedelta(hours=1)
_CSAT_DIGIT = re.compile(r"([1-5])")
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*(分|points?|/\s*\d+)?\s*[.!。!]?\s*$", re.I)


class SurveyRow(Base):
    __tablename__ = "handoff_surveys"
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True)
    channel = Column(String(32), nullable=False)
    language = Column(String(8), nullable=False)
    kind = Column(String(8), nullable=False)
    score = Column(Integer, nullable=True)
    asked_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    answered_at = Column(UTCDateTime(), nullable=True)


@dataclass(frozen=True)
class Question:
    kind: str
    low: int
    high: int
    text: Dict[str, str]

    def ask(self, language: str) -> str:
        return self.text.get(language) or self.text["zh"]

    def buttons(self) -> List[Dict[str, str]]:
        return [{"title": str(n), "payload": str(n)} for n in range(self.high, self.low - 1, -1)]


@dataclass(frozen=True)
class SurveyConfig:
    questions: Tuple[Question, ...]
    thanks: Dict[str, str]

    def after(self, kind: Optional[str]) -> Optional[Question]:
        """The question asked after `kind` (None: the first one)."""
        kinds = [q.kind for q in self.questions]
        index = 0 if kind is None else kinds.index(kind) + 1 if kind in kinds else len(kinds)
        return self.questions[index] if index < len(self.questions) else None


def config_path() -> Path:
    return Path(os.environ.get("SURVEYS_FILE") or PACKAGE_DIR / "surveys.yml")


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> SurveyConfig:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not data.get("enabled", True):
        return SurveyConfig((), {})
    questions = tuple(Question(str(q["kind"]), int(q["min"]), int(q["max"]),
                               dict(q["question"])) for q in data.get("surveys") or [])
    if any(q.kind not in ("nps", "ces") for q in questions):
        raise ValueError(f"{path}: survey kinds are nps and ces")
    return SurveyConfig(questions, dict(data.get("thanks") or {}))


def load() -> SurveyConfig:
    path = config_path()
    return _load(str(path), path.stat().st_mtime)


def parse_score(text: Optional[str], question: Question) -> Optional[int]:
    match = _NUMBER.match(text or "")
    if not match:
        return None
    value = int(match.group(1))
    return value if question.low <= value <= question.high else None


def ask(db: Session, conversation_id: str, ticket_id: Optional[int], channel: str,
        language: str, question: Question) -> SurveyRow:
    row = SurveyRow(conversation_id=conversation_id, ticket_id=ticket_id, channel=channel,
                    language=language, kind=question.kind, asked_at=utcnow())
    db.add(row)
    db.flush()
    return row


def pending(db: Session, conversation_id: str) -> Optional[SurveyRow]:
    since = utcnow() - ANSWER_WINDOW
    return db.execute(select(SurveyRow).where(
        SurveyRow.conversation_id == conversation_id, SurveyRow.answered_at.is_(None),
        SurveyRow.asked_at >= since).order_by(SurveyRow.id.desc()).limit(1)).scalar_one_or_none()


def answer(db: Session, conversation_id: str, text: str,
           config: SurveyConfig) -> Optional[Tuple[SurveyRow, Optional[Question]]]:
    """Record the shopper's answer to the open question; returns it and the next question."""
    if not _NUMBER.match(text or ""):  # answers no question (parse_score): no query needed
        return None
    row = pending(db, conversation_id)
    if row is None:
        return None
    question = next((q for q in config.questions if q.kind == row.kind), None)
    score = parse_score(text, question) if question else None
    if score is None:
        return None
    row.score, row.answered_at = score, utcnow()
    return row, config.after(row.kind)


def csat_score(data: str) -> Optional[int]:
    """The 1-5 score a shopper gave in a tracker event (JSON): its csat_value entity or a bare digit."""
    try:
        event = json.loads(data or "{}")
    except json.JSONDecodeError:
        return None
    for ent in (event.get("parse_data") or {}).get("entities") or []:
        if ent.get("entity") == "csat_value":
            match = _CSAT_DIGIT.search(str(ent.get("value")))
            if match:
                return int(match.group(1))
    match = _CSAT_DIGIT.fullmatch(str(event.get("text") or "").strip())
    return int(match.group(1)) if match else None
