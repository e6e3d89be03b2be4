"""Build the warm-transfer Ticket (common.ticket) from a Rasa tracker.

Pure functions over the tracker's events and slots; the order context, customer card and
emotion summary come from the store (through lookups the caller passes, which degrade to
"unknown" when the store fails, so a handoff never breaks because a helper did) and from the
per-message emotions the emotion component left in parse_data (common.emotion).
"""
from __future__ import annotations

import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional

from common.emotion.summary import summarize
from common.ticket import (TRIGGERS, CustomerCard, EmotionSummaryRef, FlowStep, IntentRecord,
                           OrderContextRef, Ticket, TranscriptEntry, mask_phone, shopper_text)

GLUE_INTENTS = {"greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "inform",
                "request_human", "complain", "nlu_fallback", "csat_score", "out_of_scope"}
TRIGGER_BY_INTENT = {"request_human": "request_human", "complain": "complaint",
                     "nlu_fallback": "fallback"}
NEGATIVE = {"angry", "anxious", "sad"}
MAX_TRANSCRIPT = 200

OrderLookup = Callable[[str], Optional[Dict[str, Any]]]
CustomerLookup = Callable[[Optional[str]], Optional[Dict[str, Any]]]


def user_events(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    return [e for e in events if e.get("event") == "user"]


# uuid5 namespace of handoff ids: one id per shopper turn (below)
HANDOFF_NAMESPACE = uuid.UUID("5b0f8f3e-7c1a-4d5e-9a43-0f6c2d8e9b17")


def turn_handoff_id(sender_id: str, events: Iterable[Dict[str, Any]]) -> str:
    """The handoff's idempotency key: the same for every run of the hand-over within one shopper
    turn. An action call cut off by a dying action server is sent again (to another replica, by
    the load balancer, or by Rasa); the second run must find the first one's ticket, not open a
    second ticket for the same words."""
    users = user_events(events)
    if not users:
        return uuid.uuid4().hex
    last = users[-1]
    turn = last.get("message_id") or repr(last.get("timestamp"))
    return uuid.uuid5(HANDOFF_NAMESPACE, f"{sender_id}\x1f{turn}").hex


def intent_history(events: Iterable[Dict[str, Any]]) -> List[IntentRecord]:
    history = []
    for event in user_events(events):
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name"):
            history.append(IntentRecord(name=intent["name"],
                                        confidence=round(float(intent.get("confidence") or 0), 4),
                                        text=event.get("text") or "", at=event.get("timestamp")))
    return history


def top_intent(history: List[IntentRecord]) -> Optional[IntentRecord]:
    """The latest intent that says what the problem is (not 'human please' or 'yes')."""
    for record in reversed(history):
        if record.name not in GLUE_INTENTS:
            return record
    return history[-1] if history else None


def entities(events: Iterable[Dict[str, Any]], slots: Dict[str, Any]) -> Dict[str, Any]:
    found: Dict[str, Any] = {}
    for event in user_events(events):
        for ent in (event.get("parse_data") or {}).get("entities") or []:
            if ent.get("entity") and ent.get("entity") != "language":
                found[ent["entity"]] = ent.get("value")
    for name in ("order_id", "tracking_no", "phone", "product", "device_model"):
        if slots.get(name):
            found[name] = slots[name]
    if found.get("phone"):  # agents see a masked number; the customer card links the account
        found["phone"] = mask_phone(str(found["phone"]))
    return found


def emotions(events: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Per-message emotion from parse_data (the emotion pipeline component). Not analysed here:
    loading the analyzer in the action server would cost seconds on the first handoff."""
    return [(e.get("parse_data") or {}).get("emotion") for e in user_events(events)
            if (e.get("parse_data") or {}).get("emotion")]


def summarize_emotion(per_message: List[Dict[str, Any]]) -> Optional[EmotionSummaryRef]:
    if not per_message:
        return None
    data = summarize(per_message).to_dict()
    # the emotion summary gives current/peak as per-message dicts: the ticket keeps labels up front
    # and the full dicts (score, cues) in extra.
    label = {k: (v.get("label") if isinstance(v, dict) else v)
             for k, v in data.items() if k in ("current", "peak")}
    ref = EmotionSummaryRef(**{k: v for k, v in data.items()
                               if k in EmotionSummaryRef.__dataclass_fields__
                               and k not in ("current", "peak", "extra")}, **label)
    ref.extra = {k: v for k, v in data.items() if k not in EmotionSummaryRef.__dataclass_fields__}
    ref.extra.update({f"{k}_detail": v for k, v in data.items()
                      if k in ("current", "peak") and isinstance(v, dict)})
    return ref


def flow_steps(record: Any, language: str) -> List[FlowStep]:
    steps = []
    for item in record or []:
        if not isinstance(item, dict):
            continue
        prompt = item.get("prompt")
        if isinstance(prompt, dict):
            prompt = prompt.get(language) or prompt.get("zh") or ""
        steps.append(FlowStep(flow=str(item.get("flow") or ""), step=str(item.get("step") or ""),
                              prompt=str(prompt or ""), answer=str(item.get("answer") or ""),
                              at=item.get("at")))
    return steps


def transcript(events: Iterable[Dict[str, Any]]) -> List[TranscriptEntry]:
    entries = []
    for event in events:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            entries.append(TranscriptEntry(
                role="shopper", text=shopper_text(event), at=event.get("timestamp"),
                intent=(parse.get("intent") or {}).get("name"),
                emotion=(parse.get("emotion") or {}).get("label")))
        elif kind == "bot" and event.get("text"):
            meta = (event.get("metadata") or {}).get("handoff") or {}
            entries.append(TranscriptEntry(role=meta.get("role") or "bot", text=event["text"],
                                           at=event.get("timestamp")))
    return entries[-MAX_TRANSCRIPT:]


def order_ref(data: Optional[Dict[str, Any]], language: str) -> Optional[OrderContextRef]:
    """Map actions.store's OrderContext dict onto the ticket's reference shape."""
    if not data:
        return None
    last = data.get("last_event")
    items = []
    for item in data.get("items") or []:
        item = dict(item)
        item.setdefault("name", item.get(f"name_{language}") or item.get("name_zh"))
        item.setdefault("qty", item.get("quantity"))
        items.append(item)
    if isinstance(last, dict):
        last_text = " ".join(x for x in (last.get("place"), last.get("description")) if x)
        last_at = last.get("at")
    else:
        last_text, last_at = last, data.get("last_event_at")
    ref = OrderContextRef(
        order_id=str(data.get("order_id")), status=data.get("status"), items=items,
        amount=data.get("amount"), carrier=data.get("carrier"), tracking_no=data.get("tracking_no"),
        last_event=last_text, last_event_at=last_at,
        hours_stale=data.get("hours_stale", data.get("hours_since_last_event")),
        refund_status=data.get("refund_status"))
    known = set(OrderContextRef.__dataclass_fields__) | {"last_event", "hours_since_last_event"}
    ref.extra = {k: v for k, v in data.items() if k not in known}
    return ref


def decide_trigger(slot_value: Optional[str], history: List[IntentRecord],
                   per_message: List[Dict[str, Any]]) -> str:
    if slot_value in TRIGGERS:
        return str(slot_value)
    latest = history[-1].name if history else None
    if latest in TRIGGER_BY_INTENT:
        return TRIGGER_BY_INTENT[latest]
    if per_message and per_message[-1].get("negative") and per_message[-1].get("label") in NEGATIVE:
        return "negative_emotion"
    return "request_human"


def build_ticket(events: List[Dict[str, Any]], slots: Dict[str, Any], sender_id: str,
                 channel: Optional[str], order_lookup: OrderLookup,
                 customer_lookup: CustomerLookup) -> Ticket:
    language = slots.get("language") or "zh"
    history = intent_history(events)
    per_message = emotions(events)
    ents = entities(events, slots)
    snapshot = slots.get("order_context") if isinstance(slots.get("order_context"), dict) else None
    order_id = ents.get("order_id") or (snapshot or {}).get("order_id")
    found = order_lookup(str(order_id)) if order_id else None
    if found is None and snapshot and snapshot.get("order_id") == order_id:
        found = snapshot  # the store is unreachable: the actions' last snapshot still helps
    order = order_ref(found, language)
    customer_id = slots.get("customer_id") or (order.extra.get("customer_id") if order else None)
    customer_data = customer_lookup(customer_id)
    ticket = Ticket(
        conversation_id=sender_id, handoff_id=turn_handoff_id(sender_id, events), trigger=decide_trigger(slots.get("handoff_trigger"), history,
                                                          per_message),
        language=language, channel=channel or "unknown", top_intent=top_intent(history),
        intent_history=history, entities=ents,
        customer=CustomerCard(**customer_data) if customer_data else None, order=order,
        emotion=summarize_emotion(per_message),
        flow_steps=flow_steps(slots.get("flow_record"), language), transcript=transcript(events))
    if order is not None:
        # The agent should know whether the shopper proved this order is theirs.
        ticket.order.extra["verified"] = bool(
            (slots.get("customer_id") and order.extra.get("customer_id") == slots.get("customer_id"))
            or order.order_id in (slots.get("verified_orders") or []))
    return ticket
