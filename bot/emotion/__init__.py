"""Emotion analysis of shoppers' messages (zh + en).

    from bot.emotion import analyze, summarize, should_escalate
    analyze("很不满意!!!").to_dict()  # {"label": "angry", "negative": True, "score": .., "cues": [..], "risk_flags": []}

Imports are lazy so `bot.emotion.train` and the rasa-sdk action server do not pay for spaCy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from common.emotion.summary import emotions_from_tracker_events, should_escalate, summarize
from common.emotion.types import LABELS, NEGATIVE_LABELS, RISK_FLAGS, EmotionResult, EmotionSummary

if TYPE_CHECKING:  # pragma: no cover
    from bot.emotion.analyzer import analyze

__all__ = [
    "analyze", "summarize", "should_escalate", "emotions_from_tracker_events",
    "EmotionResult", "EmotionSummary", "LABELS", "NEGATIVE_LABELS", "RISK_FLAGS",
]


def __getattr__(name: str) -> Any:
    if name == "analyze":
        from bot.emotion.analyzer import analyze

        return analyze
    raise AttributeError(name)
