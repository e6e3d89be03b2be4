"""One Rasa session's facts, folded event by event: what the metrics need to classify a contact.

The same fold serves the read model (event by event, from the stream, into a
`ConversationSession` row: handoff.conversations.record) and
`handoff.metrics.sources.classify` (a list of events), so a contact means the same thing
whichever way its events came.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Protocol

from handoff.conversations.tables import ConversationSession
from handoff.surveys import csat_score

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_ACTIONS = {"action_handoff", "action_offer_human_for_emotion"}
# Intents that say nothing about what the shopper came for.
GLUE = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "nlu_fallback",
        "out_of_scope", "csat_score", "inform", "cancel", "send_image", "request_human",
        "emotion_escalation"}
# Not an act of the bot answering: waiting for the shopper, or opening the next session.
NOT_ANSWERS = {"action_listen", "action_session_start"}


class SessionLike(Protocol):
    started_at: float
    last_at: float
    channel: str
    language: Optional[str]
    customer: Optional[str]
    shopper_turns: int
    last_user_at: Optional[float]
    intents: Dict[str, int]
    fallbacks: int
    handed_off: bool
    csat: Optional[int]
    loop_open: bool
    issue: Optional[str]
    last_intent: Optional[str]
    last_action: Optional[str]


@dataclass
class SessionFacts:
    """The same facts as a `ConversationSession` row, outside the database."""
    started_at: float
    last_at: float
    channel: str = "unknown"
    language: Optional[str] = None
    customer: Optional[str] = None
    shopper_turns: int = 0
    last_user_at: Optional[float] = None
    intents: Dict[str, int] = field(default_factory=dict)
    fallbacks: int = 0
    handed_off: bool = False
    csat: Optional[int] = None
    loop_open: bool = False
    issue: Optional[str] = None
    last_intent: Optional[str] = None
    last_action: Optional[str] = None


def intent_of(event: Dict[str, Any]) -> Optional[str]:
    intent = (event.get("parse_data") or {}).get("intent") or {}
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name)[:128] if name else None


def language_of(event: Dict[str, Any]) -> Optional[str]:
    lang = (event.get("parse_data") or {}).get("language")
    lang = lang.get("name") if isinstance(lang, dict) else lang
    return lang if lang in ("zh", "en") else None


def apply(s: SessionLike, kind: str, at: float, intent: Optional[str], action: Optional[str],
          data: Dict[str, Any]) -> None:
    """Fold one event (Rasa's type name, timestamp, intent, action, the event's JSON) in."""
    s.last_at = at if s.last_at is None else max(s.last_at, at)
    if kind == "user":
        s.shopper_turns = (s.shopper_turns or 0) + 1
        if s.channel in (None, "unknown") and data.get("input_channel"):
            s.channel = str(data["input_channel"])[:32]
        s.language = s.language or language_of(data)
        s.last_user_at, s.last_action, s.last_intent = at, None, intent
        if intent:
            counts = dict(s.intents or {})
            counts[intent] = counts.get(intent, 0) + 1
            s.intents = counts  # a new dict: the JSON column sees the change
        if intent == FALLBACK_INTENT:
            s.fallbacks = (s.fallbacks or 0) + 1
        if s.issue is None and intent and intent not in GLUE:
            s.issue = intent
        if intent == "csat_score":
            s.csat = csat_score(json.dumps(data))
    elif kind == "action" and action:
        s.handed_off = bool(s.handed_off) or action in HANDOFF_ACTIONS
        if action not in NOT_ANSWERS and s.last_user_at is not None and at >= s.last_user_at:
            s.last_action = action[:64]
    elif kind == "slot":
        if data.get("name") == "customer_id" and data.get("value"):
            s.customer = str(data["value"])[:255]
        elif data.get("name") == "language" and data.get("value") in ("zh", "en"):
            s.language = data["value"]
    elif kind == "active_loop":
        s.loop_open = bool(data.get("name"))


def new_row(sender: str, at: float) -> ConversationSession:
    return ConversationSession(sender_id=sender, started_at=at, last_at=at, channel="unknown",
                               shopper_turns=0, intents={}, fallbacks=0, handed_off=False,
                               loop_open=False)
