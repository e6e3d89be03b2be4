"""Recording the bot's events into the read model: what the stream consumer calls.

The handoff service consumes every tracker event the bot's event broker publishes
(bot.broker -> <prefix>:events) and hands them to `ingest_many` (what one shopper message made
the bot publish at once; `ingest` for one event): the sender's
review record and turns (the studio; the dashboard counts the shopper turns) and its current
Rasa session (the metrics' contact). Only masked and placeholder forms of a message are stored
(handoff.conversations.masking), never a phone number or address as typed. An event already
seen (a redelivered stream entry) changes nothing.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set, Tuple

import hashlib
import json
from functools import lru_cache

from sqlalchemy import bindparam, delete, literal_column, select
from sqlalchemy.orm import Session

from handoff.conversations import masking, sessions
from handoff.conversations.sessions import FALLBACK_INTENT, HANDOFF_ACTIONS
from handoff.conversations.tables import (ConversationSession, SeenEvent, StudioConversation,
                                          StudioTurn)
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


# The up-front queries are built once, with bound parameters: building a statement and its
# cache key costs more CPU than running it (a few hundred microseconds per batch).
@lru_cache(maxsize=None)
def _seen_query(with_turns: bool) -> Any:
    """The senders' event keys seen before and turns recorded: the rows of any of them with any
    of their keys (a key of one sender found under another is never asked for by that one)."""
    query = select(literal_column("'k'"), SeenEvent.sender_id, SeenEvent.key).where(
        SeenEvent.sender_id.in_(bindparam("senders", expanding=True)),
        SeenEvent.key.in_(bindparam("keys", expanding=True)))
    if with_turns:
        query = query.union_all(select(
            literal_column("'t'"), StudioTurn.conversation_id, StudioTurn.dedup).where(
            StudioTurn.conversation_id.in_(bindparam("turn_senders", expanding=True)),
            StudioTurn.dedup.in_(bindparam("dedups", expanding=True))))
    return query


@lru_cache(maxsize=None)
def _load_query(want_conv: bool, want_last_turn: bool) -> Any:
    """The current session (the one started last), the review record and the last shopper turn
    (what the bot's actions are noted on: the latest `at`, the later insert on a tie), each
    outer-joined to one anchor row; None for what does not exist."""
    sender = bindparam("sender")
    anchor = select(literal_column("1").label("anchor")).subquery()
    session_id = select(ConversationSession.id).where(
        ConversationSession.sender_id == sender).order_by(
        ConversationSession.started_at.desc()).limit(1).scalar_subquery()
    # the anchor's own column too: the ORM drops a row whose only entity is all NULL
    entities: List[Any] = [anchor.c.anchor, ConversationSession]
    joins: List[Tuple[Any, Any]] = [(ConversationSession, ConversationSession.id == session_id)]
    if want_conv:
        entities.append(StudioConversation)
        joins.append((StudioConversation, StudioConversation.id == sender))
    if want_last_turn:
        turn_id = select(StudioTurn.id).where(
            StudioTurn.conversation_id == sender, StudioTurn.role == "shopper").order_by(
            StudioTurn.at.desc(), StudioTurn.id.desc()).limit(1).scalar_subquery()
        entities.append(StudioTurn)
        joins.append((StudioTurn, StudioTurn.id == turn_id))
    query = select(*entities).select_from(anchor)
    for entity, on in joins:
        query = query.outerjoin(entity, on)
    return query


def ingest(db: Session, event: Dict[str, Any]) -> None:
    """Record one tracker event (call `wanted` first); an event seen before changes nothing.
    One consumer lane per conversation: no race between the check and the insert."""
    ingest_many(db, [event])


def ingest_many(db: Session, events: List[Dict[str, Any]]) -> None:
    """Record events in order, in the caller's transaction: the rows are those `ingest` makes
    event by event, with a few queries per sender instead of a handful per event (the stream
    consumer hands over what one shopper message made the bot publish at once)."""
    lanes: Dict[str, List[Dict[str, Any]]] = {}
    for event in events:
        if wanted(event):
            lanes.setdefault(str(event["sender_id"])[:255], []).append(event)
    # Senders are independent of one another: a sender's queries need not see the rows added
    # for the senders before it, so they are written in one flush (one unit of work, each
    # table's INSERTs together) instead of one per sender. What the caller added before this
    # call is flushed first, so the queries see it (as autoflush would have them).
    db.flush()
    with db.no_autoflush:
        keys = {sender: [event_key(e) for e in lane] for sender, lane in lanes.items()}
        seen = _seen(db, lanes, keys)
        for sender, lane in lanes.items():
            _Lane(db, sender, lane, keys[sender], seen[sender]).record()


def _seen(db: Session, lanes: Dict[str, List[Dict[str, Any]]], keys: Dict[str, List[str]]
          ) -> Dict[str, Tuple[Set[str], Set[str]]]:
    """Every sender's event keys seen before and turns recorded, in one round trip."""
    if not lanes:
        return {}
    dedups = [_dedup(e) for lane in lanes.values() for e in lane if e.get("event") in ("user", "bot")]
    params: Dict[str, Any] = {"senders": list(lanes),
                              "keys": [key for sender_keys in keys.values() for key in sender_keys]}
    if dedups:
        params.update(turn_senders=list(lanes), dedups=dedups)
    seen: Dict[str, Tuple[Set[str], Set[str]]] = {sender: (set(), set()) for sender in lanes}
    for kind, sender, value in db.execute(_seen_query(bool(dedups)), params):
        if sender in seen:
            seen[sender][0 if kind == "k" else 1].add(value)
    return seen


class _Lane:
    """One sender's events in one transaction, with what the transaction already knows of the
    sender (its review record, current session, last shopper turn, keys and turns seen) kept
    here instead of asked of the database again for every event."""

    def __init__(self, db: Session, sender: str, events: List[Dict[str, Any]], keys: List[str],
                 seen: Tuple[Set[str], Set[str]]) -> None:
        self.db, self.sender, self.events, self.keys = db, sender, events, keys
        # Everything asked of the database up front, before the batch adds a row, in two
        # queries (each round trip costs the service more CPU than the rows it returns): the
        # keys and turns seen (`_seen`, asked for every sender of the batch at once) and
        # `_load`. One flush at the commit then writes the batch's rows together.
        kinds = {e.get("event") for e in events}
        self.seen, self.turns = seen
        self.conv: Optional[StudioConversation] = None
        self.session: Optional[ConversationSession] = None
        self.last_turn: Optional[StudioTurn] = None
        self._load(want_conv=bool(kinds & {"user", "bot", "action", "slot"}),
                   want_last_turn="action" in kinds)

    def _load(self, want_conv: bool, want_last_turn: bool) -> None:
        """The sender's review record, current session and last shopper turn: one round trip."""
        row = self.db.execute(_load_query(want_conv, want_last_turn),
                              {"sender": self.sender}).one()
        self.session = row.ConversationSession
        self.conv = row.StudioConversation if want_conv else None
        self.last_turn = row.StudioTurn if want_last_turn else None

    def record(self) -> None:
        with self.db.no_autoflush:
            for event, key in zip(self.events, self.keys):
                if key in self.seen:
                    continue
                self.seen.add(key)  # the broker's outbox may have sent it twice in one batch
                at = float(event.get("timestamp") or 0.0)
                self.db.add(SeenEvent(sender_id=self.sender, key=key, at=at))
                self._session(event, at)
                self._review_record(event, at)

    def _session(self, event: Dict[str, Any], at: float) -> None:
        """Fold the event into the sender's current session (the one started last);
        `session_started` opens the next one (Rasa's `action_session_start` before it is not
        part of either)."""
        kind = str(event.get("event"))
        if kind == "session_started":
            row = sessions.new_row(self.sender, at)
            self.db.add(row)
            if self.session is None or at > self.session.started_at:
                self.session = row
            return
        if self.session is None:  # the stream began mid-session (or the broker lost the start)
            self.session = sessions.new_row(self.sender, at)
            self.db.add(self.session)
        sessions.apply(self.session, kind, at,
                       sessions.intent_of(event) if kind == "user" else None,
                       str(event.get("name") or "") if kind == "action" else None, event)

    def _conversation(self, at: float) -> StudioConversation:
        if self.conv is None:
            self.conv = StudioConversation(id=self.sender, started_at=at, last_at=at,
                                           intents=[], tags=[], channel="unknown")
            self.db.add(self.conv)
        self.conv.last_at = max(self.conv.last_at or at, at)
        return self.conv

    def _review_record(self, event: Dict[str, Any], at: float) -> None:
        """The studio's per-sender record and its turns."""
        kind = event.get("event")
        if kind not in ("user", "bot", "action", "slot"):
            return
        if kind == "slot":
            if event.get("name") == "language" and event.get("value") in ("zh", "en"):
                self._conversation(at).language = event["value"]
            return
        if kind == "action":
            name = str(event.get("name") or "")
            if not name or name in QUIET_ACTIONS:
                return
            conv = self._conversation(at)
            conv.fallback = conv.fallback or name in FALLBACK_ACTIONS
            conv.handed_off = conv.handed_off or name in HANDOFF_ACTIONS
            if name in FLOW_STARTS or name.endswith("_form"):
                conv.flow_open = True
            elif name in FLOW_ENDS_OK:
                conv.flow_open = False
            elif name in FLOW_CANCELS and conv.flow_open:
                conv.flow_open, conv.flow_abandoned = False, True
            turn = self.last_turn
            if turn is not None and name not in (turn.actions or []):
                turn.actions = list(turn.actions or []) + [name[:64]]
            return
        row = _turn(event, at)
        if row.dedup in self.turns:
            return  # seen before (one consumer per conversation: no race)
        self.turns.add(row.dedup)
        self.db.add(row)
        conv = self._conversation(at)
        if row.role == "bot":
            return
        if self.last_turn is None or row.at >= self.last_turn.at:
            self.last_turn = row
        _shopper_turn(conv, event, row)


def forget_seen(db: Session, now: float) -> int:
    """Drop the keys of events too old to be delivered again (the service's sweep)."""
    return db.execute(delete(SeenEvent).where(SeenEvent.at < now - SEEN_KEPT_SECONDS)).rowcount


def _shopper_turn(conv: StudioConversation, event: Dict[str, Any], row: StudioTurn) -> None:
    """What a shopper turn says of the whole conversation."""
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
