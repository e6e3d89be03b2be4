"""Recording the bot's events into the read model: what the stream consumer calls.

The handoff service consumes every tracker event the bot's event broker publishes
(bot.broker -> <prefix>:events) and hands each one to `ingest` (after `wanted`): the sender's
review record and turns (the studio; the dashboard counts the shopper turns) and its current
Rasa session (the metrics' contact). Only masked and placeholder forms of a message are stored
(handoff.conversations.masking), never a phone number or address as typed. An event already
seen (a redelivered stream entry) changes nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import hashlib
import json

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from handoff.conversations import masking, sessions
from handoff.conversations.sessions import FALLBACK_INTENT, HANDOFF_ACTIONS
from handoff.conversations.tables import SeenEvent, StudioConversation, StudioTurn
from handoff.surveys import csat_score

FALLBACK_ACTIONS = {"action_default_fallback", "action_fallback"}
# How long an event's key is kept against redelivery: far longer than a stream entry stays
# unacknowledged or the broker's outbox holds events while Redis is down.
SEEN_KEPT_SECONDS = 7 * 86400.0
FLOW_STARTS = {"action_flow_start"}
FLOW_ENDS_OK = {"action_order_submit"}
FLOW_CANCELS = {"action_flow_cancel"}
QUIET_ACTIONS = {"action_listen", "action_session_start", "action_extract_slots"}
MAX_TEXT = 2000


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
    """Whether the event changes the read model (the rest skip the database)."""
    kind = event.get("event")
    if not event.get("sender_id"):
        return False
    if kind == "slot":
        return event.get("name") in ("language", "customer_id")
    if kind == "action":
        return bool(event.get("name")) and event.get("name") not in QUIET_ACTIONS
    return kind in ("user", "bot", "session_started", "active_loop")


def event_key(event: Dict[str, Any]) -> str:
    """What the event is: a shopper message by its message id (as the studio's turns), the
    rest by type, time and content. A redelivered entry, or the broker's outbox sending an
    event again under a new entry id, has the same key."""
    if event.get("event") == "user" and event.get("message_id"):
        return f"user:{event['message_id']}"[:200]
    body = json.dumps(event, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(body.encode()).hexdigest()[:32]
    return f"{event.get('event')}:{float(event.get('timestamp') or 0.0)!r}:{digest}"[:200]


def ingest(db: Session, event: Dict[str, Any]) -> None:
    """Record one tracker event (call `wanted` first); an event seen before changes nothing.
    One consumer lane per conversation: no race between the check and the insert."""
    if not wanted(event):
        return
    sender, key = str(event["sender_id"])[:255], event_key(event)
    if db.get(SeenEvent, (sender, key)) is not None:
        return
    at = float(event.get("timestamp") or 0.0)
    db.add(SeenEvent(sender_id=sender, key=key, at=at))
    sessions.record(db, event)
    _review_record(db, event, at)


def forget_seen(db: Session, now: float) -> int:
    """Drop the keys of events too old to be delivered again (the service's sweep)."""
    return db.execute(delete(SeenEvent).where(SeenEvent.at < now - SEEN_KEPT_SECONDS)).rowcount


def _review_record(db: Session, event: Dict[str, Any], at: float) -> None:
    """The studio's per-sender record and its turns."""
    kind = event.get("event")
    if kind not in ("user", "bot", "action", "slot"):
        return
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
            conv.csat = row.score or conv.csat


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
    score = csat_score(json.dumps(event)) if intent.get("name") == "csat_score" else None
    return StudioTurn(role="shopper", pieces=[p.to_list() for p in pieces], score=score,
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
