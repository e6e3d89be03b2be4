"""Reading the review record: filters, conversation and turn views (always masked)."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.conversations import masking
from handoff.conversations.tables import StudioConversation, StudioTurn

LOW_CSAT = 2
# A flow or form still open after this long was left by the shopper.
ABANDON_SECONDS = 30 * 60
SCAN = 2000


class BadFilter(ValueError):
    pass


def _day(value: str, end: bool = False) -> float:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise BadFilter(f"dates are YYYY-MM-DD, not {value!r}")
    return day.timestamp() + (86400 if end else 0)


def _flag(value: Optional[str], name: str) -> Optional[bool]:
    if value in (None, ""):
        return None
    if value in ("1", "true", "yes"):
        return True
    if value in ("0", "false", "no"):
        return False
    raise BadFilter(f"'{name}' is 1 or 0")


@dataclass
class Filters:
    limit: int = 20
    channel: Optional[str] = None
    language: Optional[str] = None
    since: Optional[float] = None
    until: Optional[float] = None
    intent: Optional[str] = None
    fallback: Optional[bool] = None
    handed_off: Optional[bool] = None
    low_csat: Optional[bool] = None
    abandoned: Optional[bool] = None
    tag: Optional[str] = None
    text: Optional[str] = None

    @classmethod
    def parse(cls, query) -> "Filters":
        try:
            limit = int(query.get("limit") or 20)
        except ValueError:
            raise BadFilter("'limit' is a number")
        if not 1 <= limit <= 200:
            raise BadFilter("'limit' is between 1 and 200")
        return cls(limit=limit, channel=query.get("channel") or None,
                   language=query.get("language") or None,
                   since=_day(query["from"]) if query.get("from") else None,
                   until=_day(query["to"], end=True) if query.get("to") else None,
                   intent=query.get("intent") or None,
                   fallback=_flag(query.get("fallback"), "fallback"),
                   handed_off=_flag(query.get("handed_off"), "handed_off"),
                   low_csat=_flag(query.get("low_csat"), "low_csat"),
                   abandoned=_flag(query.get("abandoned"), "abandoned"),
                   tag=query.get("tag") or None, text=(query.get("q") or "").strip() or None)


def abandoned(conv: StudioConversation, now: float) -> bool:
    return bool(conv.flow_abandoned or (conv.flow_open and now - conv.last_at > ABANDON_SECONDS))


def turn_view(turn: StudioTurn) -> Dict[str, Any]:
    view: Dict[str, Any] = {"id": turn.id, "role": turn.role, "at": turn.at,
                            "text": masking.masked_text(masking.from_lists(turn.pieces))}
    if turn.role == "shopper":
        view.update(intent=turn.intent, confidence=turn.confidence,
                    entities=list(turn.entities or []), emotion=turn.emotion,
                    actions=list(turn.actions or []),
                    correction=({"intent": turn.corrected_intent,
                                 "entities": turn.corrected_entities or [],
                                 "actions": turn.corrected_actions,
                                 "by": turn.corrected_by} if turn.corrected_by else None))
    return view


def conversation_view(conv: StudioConversation, turns: List[StudioTurn], now: float
                      ) -> Dict[str, Any]:
    return {"id": conv.id, "channel": conv.channel, "language": conv.language,
            "started_at": conv.started_at, "last_at": conv.last_at,
            "handed_off": conv.handed_off, "fallback": conv.fallback, "csat": conv.csat,
            "flow_abandoned": abandoned(conv, now), "intents": list(conv.intents or []),
            "tags": list(conv.tags or []), "turns": [turn_view(t) for t in turns]}


def turns_of(db: Session, ids: List[str]) -> Dict[str, List[StudioTurn]]:
    out: Dict[str, List[StudioTurn]] = {i: [] for i in ids}
    if ids:
        for turn in db.execute(select(StudioTurn).where(StudioTurn.conversation_id.in_(ids))
                               .order_by(StudioTurn.at, StudioTurn.id)).scalars():
            out[turn.conversation_id].append(turn)
    return out


def search(db: Session, f: Filters, now: Optional[float] = None) -> List[Dict[str, Any]]:
    now = now or time.time()
    q = select(StudioConversation).where(StudioConversation.shopper_turns > 0)
    if f.channel:
        q = q.where(StudioConversation.channel == f.channel)
    if f.language:
        q = q.where(StudioConversation.language == f.language)
    if f.since is not None:
        q = q.where(StudioConversation.last_at >= f.since)
    if f.until is not None:
        q = q.where(StudioConversation.started_at < f.until)
    if f.fallback is not None:
        q = q.where(StudioConversation.fallback == f.fallback)
    if f.handed_off is not None:
        q = q.where(StudioConversation.handed_off == f.handed_off)
    if f.low_csat:
        q = q.where(StudioConversation.csat <= LOW_CSAT)
    rows = db.execute(q.order_by(StudioConversation.last_at.desc()).limit(SCAN)).scalars().all()
    picked = []
    for conv in rows:  # JSON-list and text filters: in Python, over a bounded scan
        if f.intent and f.intent not in (conv.intents or []):
            continue
        if f.tag and f.tag not in (conv.tags or []):
            continue
        if f.abandoned is not None and abandoned(conv, now) != f.abandoned:
            continue
        picked.append(conv)
        if not f.text and len(picked) >= f.limit:
            break
    turns = turns_of(db, [c.id for c in picked])
    out = []
    for conv in picked:
        view = conversation_view(conv, turns[conv.id], now)
        if f.text and not any(f.text.casefold() in t["text"].casefold() for t in view["turns"]):
            continue
        out.append(view)
        if len(out) >= f.limit:
            break
    return out
