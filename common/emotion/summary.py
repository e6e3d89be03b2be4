"""Conversation-level emotion: summarize() for the warm-transfer ticket, should_escalate() for the rule."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from common.emotion.types import NEGATIVE_LABELS, EmotionResult, EmotionSummary

# A risk flag that alone means "a human now": the shopper threatens to go over our heads.
ESCALATE_FLAGS = frozenset(
    {"complaint_threat", "consumer_association_12315", "bad_review", "chargeback", "legal_threat"}
)
# Flags that escalate only together with a negative message (a calm "我要退款" is a return request).
ESCALATE_IF_NEGATIVE_FLAGS = frozenset({"refund_demand", "competitor"})
STRONG_SCORE = 0.85  # score of a negative message that counts as "strongly negative"

EmotionLike = Union[EmotionResult, Mapping[str, Any]]


def _as_dict(emotion: Optional[EmotionLike]) -> Dict[str, Any]:
    if emotion is None:
        return {}
    if isinstance(emotion, EmotionResult):
        return emotion.to_dict()
    return dict(emotion)


def should_escalate(emotion: Optional[EmotionLike]) -> bool:
    """True when the bot should offer a human at once for this message's emotion.

    Criterion: an escalating risk flag (complaint threat, 12315/consumer association, bad
    review, chargeback, legal threat); or a negative message with a refund demand or a
    competitor mention and at least one emotion cue; or an angry message with score >= 0.85
    and at least one cue. Requiring a cue keeps a calm "我要退款" (which the classifier may
    read as mildly negative) in the normal return flow, and gives the agent the phrase that
    triggered the transfer.
    """
    e = _as_dict(emotion)
    flags = set(e.get("risk_flags") or [])
    if flags & ESCALATE_FLAGS:
        return True
    if not e.get("negative") or not e.get("cues"):
        return False
    if flags & ESCALATE_IF_NEGATIVE_FLAGS:
        return True
    return e.get("label") == "angry" and float(e.get("score") or 0.0) >= STRONG_SCORE


def _severity(e: Mapping[str, Any]) -> float:
    # Negative messages rank above any non-negative one; within, by score.
    return (1.0 + float(e.get("score") or 0.0)) if e.get("negative") else float(e.get("score") or 0.0) * 0.1


def summarize(emotions: Iterable[Optional[EmotionLike]]) -> EmotionSummary:
    """Per-message emotion dicts (oldest first, e.g. from the tracker's user events) -> summary."""
    items: List[Dict[str, Any]] = [_as_dict(e) for e in emotions if e]
    if not items:
        neutral = EmotionResult().to_dict()
        return EmotionSummary(current=neutral, peak=neutral, trajectory=[], negative_share=0.0,
                              cues=[], risk_flags=[], messages=0)
    negatives = [e for e in items if e.get("negative") or e.get("label") in NEGATIVE_LABELS]
    cues: List[str] = []
    flags: List[str] = []
    for e in items:
        cues.extend(c for c in e.get("cues") or [] if c not in cues)
        flags.extend(f for f in e.get("risk_flags") or [] if f not in flags)
    return EmotionSummary(
        current=items[-1],
        peak=max(items, key=_severity),
        trajectory=[str(e.get("label", "neutral")) for e in items],
        negative_share=round(len(negatives) / len(items), 3),
        cues=cues[:20],
        risk_flags=flags,
        messages=len(items),
        trend=_trend(items),
    )


def _trend(items: List[Dict[str, Any]]) -> str:
    if len(items) < 2:
        return "steady"
    signed = [(_severity(e) if e.get("negative") else -float(e.get("score") or 0.0)) for e in items]
    half = max(1, len(signed) // 2)
    early = sum(signed[:half]) / half
    late = sum(signed[half:]) / len(signed[half:])
    if late - early > 0.3:
        return "worsening"
    if early - late > 0.3:
        return "improving"
    return "steady"


def emotions_from_tracker_events(events: Iterable[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    """The emotion dicts of the user events of a tracker (rasa-sdk `tracker.events`)."""
    out = []
    for event in events:
        if event.get("event") == "user":
            emotion = (event.get("parse_data") or {}).get("emotion")
            if emotion:
                out.append(emotion)
    return out
