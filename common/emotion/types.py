"""Domain objects of the emotion analysis (per message and per conversation)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List

LABELS = ("angry", "anxious", "sad", "neutral", "happy")
NEGATIVE_LABELS = frozenset({"angry", "anxious", "sad"})
RISK_FLAGS = (
    "complaint_threat",
    "consumer_association_12315",
    "bad_review",
    "refund_demand",
    "chargeback",
    "legal_threat",
    "competitor",
)


@dataclass
class EmotionResult:
    label: str = "neutral"
    negative: bool = False
    score: float = 0.0  # how strongly the message shows `label`, 0..1
    cues: List[str] = field(default_factory=list)  # the phrases/signals that moved the verdict
    risk_flags: List[str] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


@dataclass
class EmotionSummary:
    current: Dict[str, Any]  # the last message's emotion dict
    peak: Dict[str, Any]  # the most strongly negative message (or the strongest if none negative)
    trajectory: List[str]  # label per message, oldest first
    negative_share: float
    cues: List[str]
    risk_flags: List[str]
    messages: int = 0
    trend: str = "steady"  # "worsening", "improving" or "steady"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)
