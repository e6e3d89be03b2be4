"""Frontline's own record of conversations for review, fed by the bot's event stream.

The handoff service already consumes every tracker event the bot's event broker publishes
(bot.broker -> <prefix>:events); the studio records the ones a designer reviews there,
instead of reading Rasa's internal `events` table: that table's layout is Rasa's, and a
tracker store may not be SQL at all. Only masked and placeholder forms of a message are
stored (handoff.studio.masking), never a phone number or address as typed.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from sqlalchemy import (JSON, Boolean, Column, Float, Integer, String, Text,
                        UniqueConstraint, select)
from sqlalchemy.orm import Session

from handoff.db import Base
from handoff.studio import masking

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = {"action_default_fallback", "action_fallback"}
HANDOFF_ACTIONS = {"action_handoff", "action_offer_human_for_emotion"}
FLOW_STARTS = {"action_flow_start"}
FLOW_ENDS_OK = {"action_order_submit"}
FLOW_CANCELS = {"action_flow_cancel"}
QUIET_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
MAX_TEXT = 2000


class StudioConversation(Base):
    __tablename__ = "studio_conversations"
    id = Column(String(255), primary_key=True)  # Rasa's sender id
    channel = Column(String(32), nullable=False, default="unknown")
    language = Column(String(8), nullable=True)
    started_at = Column(Float, nullable=False, index=True)
    last_at = Column(Float, nullable=False, index=True)
    shopper_turns = Column(Integer, nullable=False, default=0)
    fallback = Column(Boolean, nullable=False, default=False)
    handed_off = Column(Boolean, nullable=False, default=False)
    csat = Column(Integer, nullable=True)
    flow_open = Column(Boolean, nullable=False, default=False)
    flow_abandoned = Column(Boolean, nullable=False, default=False)
    intents = Column(JSON, nullable=False, default=list)
    tags = Column(JSON, nullable=False, default=list)


class StudioTurn(Base):
    __tablename__ = "studio_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "dedup", name="uq_studio_turns_dedup"),)
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    dedup = Column(String(160), nullable=False)
    at = Column(Float, nullable=False)
    role = Column(String(8), nullable=False)  # shopper | bot
    pieces = Column(JSON, nullable=False, default=list)  # [[masked, safe, entity|null], ...]
    intent = Column(String(128), nullable=True)
    confidence = Column(Float, nullable=True)
    entities = Column(JSON, nullable=False, default=list)  # [{entity, value (masked), ...}]
    emotion = Column(String(16), nullable=True)
    actions = Column(JSON, nullable=False, default=list)  # what the bot did after the turn
    corrected_intent = Column(String(128), nullable=True)
    corrected_entities = Column(JSON, nullable=True)
    corrected_actions = Column(JSON, nullable=True)  # what the bot should have done instead
    corrected_by = Column(String(64), nullable=True)
    note = Column(Text, nullable=True)


def _dedup(event: Dict[str, Any]) -> str:
    return f"{event.get('event')}:{event.get('message_id') or event.get('timestamp')}"[:160]


def _conversation(db: Session, event: Dict[str, Any], at: float) -> StudioConversation:
    sender = str(event["sender_id"])[:255]
    conv = db.get(StudioConversation, sender)
    if conv is None:
        conv = StudioConversation(id=sender, started_at=at, last_at=at, intents=[], tags=[],
                                  channel="unknown")
        db.add(conv)
    conv.last_at = max(conv.last_at or at, at)
    return conv


def _last_shopper_turn(db: Session, conversation_id: str) -> Optional[StudioTurn]:
    return db.execute(select(StudioTurn).where(StudioTurn.conversation_id == conversation_id,
                                               StudioTurn.role == "shopper")
                      .order_by(StudioTurn.at.desc(), StudioTurn.id.desc()).limit(1)
                      ).scalar_one_or_none()


def _entities(pieces: List[masking.Piece], text: str, raw: List[Dict[str, Any]]) -> List[dict]:
    """Predicted entities with their values as the designer may see them (masked)."""
    out = []
    for ent in raw[:20]:
        kind = str(ent.get("entity") or "")[:64]
        value = str(ent.get("value") or "")
        if kind in masking.PERSONAL_ENTITIES or masking.mask_free_text(value) != value:
            value = masking.mask_value(kind, value)
        out.append({"entity": kind, "value": value[:200],
                    "extractor": str(ent.get("extractor") or "")[:64]})
    return out


def wanted(event: Dict[str, Any]) -> bool:
    """Whether the event changes the review record (the rest skip the database)."""
    kind = event.get("event")
    if not event.get("sender_id"):
        return False
    if kind == "slot":
        return event.get("name") == "language"
    if kind == "action":
        return bool(event.get("name")) and event.get("name") not in QUIET_ACTIONS
    return kind in ("user", "bot")


def ingest(db: Session, event: Dict[str, Any]) -> None:
    """Record one tracker event; a redelivered event changes nothing."""
    kind = event.get("event")
    if not event.get("sender_id") or kind not in ("user", "bot", "action", "slot"):
        return
    at = float(event.get("timestamp") or 0.0)
    if kind == "slot":
        if event.get("name") == "language" and event.get("value") in ("zh", "en"):
            _conversation(db, event, at).language = event["value"]
        return
    if kind == "action":
        name = str(event.get("name") or "")
        if not name or name in QUIET_ACTIONS:
            return
        conv = _conversation(db, event, at)
        conv.fallback = conv.fallback or name in FALLBACK_ACTIONS
        conv.handed_off = conv.handed_off or name in HANDOFF_ACTIONS
        if name in FLOW_STARTS or name.endswith("_form"):
            conv.flow_open = True
        elif name in FLOW_ENDS_OK:
            conv.flow_open = False
        elif name in FLOW_CANCELS and conv.flow_open:
            conv.flow_open, conv.flow_abandoned = False, True
        turn = _last_shopper_turn(db, conv.id)
        if turn is not None and name not in (turn.actions or []):
            turn.actions = list(turn.actions or []) + [name[:64]]
        return
    row = _turn(event, at)
    if db.execute(select(StudioTurn.id).where(StudioTurn.conversation_id == row.conversation_id,
                                              StudioTurn.dedup == row.dedup)).first():
        return  # seen before (one consumer per conversation: no race between the two lines)
    db.add(row)
    conv = _conversation(db, event, at)
    if row.role == "bot":
        return
    conv.shopper_turns = (conv.shopper_turns or 0) + 1
    channel = str(event.get("input_channel") or "")
    if channel and conv.channel in (None, "unknown"):
        conv.channel = channel[:32]
    parse = event.get("parse_data") or {}
    lang = (parse.get("language") or {}).get("name") if isinstance(parse.get("language"), dict) \
        else parse.get("language")
    if lang in ("zh", "en") and not conv.language:
        conv.language = lang
    if row.intent:
        if row.intent == FALLBACK_INTENT:
            conv.fallback = True
        if row.intent not in (conv.intents or []):
            conv.intents = list(conv.intents or []) + [row.intent]
        if row.intent == "csat_score":
            conv.csat = _csat(parse) or conv.csat


def _csat(parse: Dict[str, Any]) -> Optional[int]:
    for ent in parse.get("entities") or []:
        if ent.get("entity") == "csat_value" and str(ent.get("value"))[:1] in "12345":
            return int(str(ent.get("value"))[:1])
    return None


def _turn(event: Dict[str, Any], at: float) -> StudioTurn:
    text = str(event.get("text") or "")[:MAX_TEXT]
    base = dict(conversation_id=str(event["sender_id"])[:255], dedup=_dedup(event), at=at)
    if event["event"] == "bot":
        return StudioTurn(role="bot", pieces=[[masking.mask_free_text(text)] * 2 + [None]],
                          entities=[], actions=[], **base)
    parse = event.get("parse_data") or {}
    raw = [e for e in parse.get("entities") or [] if isinstance(e, dict)]
    pieces = masking.split(text, raw)
    intent = parse.get("intent") or {}
    emotion = parse.get("emotion") if isinstance(parse.get("emotion"), dict) else {}
    return StudioTurn(role="shopper", pieces=[p.to_list() for p in pieces],
                      intent=(str(intent.get("name"))[:128] if intent.get("name") else None),
                      confidence=float(intent.get("confidence") or 0.0) if intent else None,
                      entities=_entities(pieces, text, raw),
                      emotion=str(emotion.get("label"))[:16] if emotion.get("label") else None,
                      actions=[], **base)


def set_csat(db: Session, conversation_id: str, score: int) -> None:
    """A rating the handoff service recorded (after a human's help)."""
    conv = db.get(StudioConversation, conversation_id)
    if conv is not None:
        conv.csat = score
