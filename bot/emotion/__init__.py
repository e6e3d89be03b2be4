"""Emotion analysis of shoppers' messages (zh + en).

    from bot.emotion import analyze, summarize, should_escalate
    analyze("很不满意!!!").to_dict()  # {"label": "angry", "negative": True, "score": .., "cues": [..], "risk_flags": []}

The results and the conversation summary live in common.emotion: the action server and the
handoff service read them without loading spaCy.
"""
from __future__ import annotations

from bot.emotion.analyzer import analyze
from common.emotion.summary import emotions_from_tracker_events, should_escalate, summarize
from common.emotion.types import LABELS, NEGATIVE_LABELS, RISK_FLAGS, EmotionResult, EmotionSummary

__all__ = [
    "analyze", "summarize", "should_escalate", "emotions_from_tracker_events",
    "EmotionResult", "EmotionSummary", "LABELS", "NEGATIVE_LABELS", "RISK_FLAGS",
]

