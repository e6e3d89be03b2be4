"""Domain objects of a warm transfer (PRODUCT.md §5), shared by the bot side and the service.

The order context and emotion summary are *references*: copies of what actions.store and
bot.emotion produce (their `.to_dict()`), kept as our own dataclasses so the ticket format
does not change when those modules change theirs; unknown keys are preserved in `extra`.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Type, TypeVar

TRIGGERS = ("request_human", "complaint", "flow_unresolved", "fallback", "negative_emotion")
QUEUES = ("logistics", "after_sales", "tech_support", "complaints", "general")
STATUSES = ("waiting", "assigned", "active", "transferred", "resolved")
OPEN_STATUSES = ("waiting", "assigned", "active", "transferred")

T = TypeVar("T")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


IMAGE_PAYLOAD = "/send_image"  # what a channel sends for a picture (bot/channels/wechat/channel.py)


def shopper_text(event: Dict[str, Any]) -> str:
    """A Rasa `user` event as an agent should read it: a picture shows its link, not a payload."""
    text = str(event.get("text") or "")
    image = (event.get("metadata") or {}).get("image_url")
    if image and text.startswith(IMAGE_PAYLOAD):
        return f"[图片 / image] {image}"
    return text


def mask_phone(phone: Optional[str]) -> Optional[str]:
    """138****5678: agents see enough to confirm, not enough to copy."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", str(phone))
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def _build(cls: Type[T], data: Optional[Dict[str, Any]]) -> Optional[T]:
    """Construct a dataclass from a dict, keeping unknown keys in `extra` when it has one."""
    if not data:
        return None
    if not isinstance(data, dict):
        data = data.to_dict() if hasattr(data, "to_dict") else dict(data)
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    known = {k: v for k, v in data.items() if k in names and k != "extra"}
    obj = cls(**known)
    if "extra" in names:
        extra = {k: v for k, v in data.items() if k not in names}
        extra.update(data.get("extra") or {})
        obj.extra = extra  # type: ignore[attr-defined]
    return obj


@dataclass
class IntentRecord:
    name: str
    confidence: float = 0.0
    text: str = ""
    at: Optional[float] = None


@dataclass
class FlowStep:
    flow: str
    step: str
    prompt: str = ""
    answer: str = ""
    at: Optional[Any] = None


@dataclass
class TranscriptEntry:
    role: str  # shopper | bot | agent | system
    text: str
    at: Optional[float] = None
    intent: Optional[str] = None
    emotion: Optional[str] = None


@dataclass
class OrderContextRef:
    order_id: str
    status: Optional[str] = None
    items: List[Dict[str, Any]] = field(default_factory=list)
    amount: Optional[float] = None
    carrier: Optional[str] = None
    tracking_no: Optional[str] = None
    last_event: Optional[str] = None
    last_event_at: Optional[str] = None
    hours_stale: Optional[float] = None
    refund_status: Optional[str] = None
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class EmotionSummaryRef:
    current: Optional[str] = None
    peak: Optional[str] = None
    trajectory: List[Any] = field(default_factory=list)
    negative_share: float = 0.0
    cues: List[str] = field(default_factory=list)
    risk_flags: List[str] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class CustomerCard:
    customer_id: Optional[str] = None
    name: Optional[str] = None
    masked_phone: Optional[str] = None
    tier: str = "regular"
    identities: List[Dict[str, Any]] = field(default_factory=list)
    extra: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Ticket:
    """What the bot hands over; the service adds queue, priority, SLA, status and assignee."""

    conversation_id: str
    trigger: str
    language: str = "zh"
    channel: str = "unknown"
    handoff_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    top_intent: Optional[IntentRecord] = None
    intent_history: List[IntentRecord] = field(default_factory=list)
    entities: Dict[str, Any] = field(default_factory=dict)
    customer: Optional[CustomerCard] = None
    order: Optional[OrderContextRef] = None
    emotion: Optional[EmotionSummaryRef] = None
    flow_steps: List[FlowStep] = field(default_factory=list)
    transcript: List[TranscriptEntry] = field(default_factory=list)
    summary: Dict[str, str] = field(default_factory=dict)  # {"zh": ..., "en": ...}
    first_sentence: Dict[str, str] = field(default_factory=dict)
    decided_at: float = field(default_factory=lambda: utcnow().timestamp())
    # Set by the service.
    id: Optional[int] = None
    queue: Optional[str] = None
    priority: Optional[int] = None
    sla_due_at: Optional[str] = None
    status: Optional[str] = None
    assignee: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> "Ticket":
        if not data.get("conversation_id") or not data.get("trigger"):
            raise ValueError("a ticket needs conversation_id and trigger")
        simple = {
            f.name: data[f.name]
            for f in fields(cls)
            if f.name in data
            and f.name not in ("top_intent", "intent_history", "customer", "order", "emotion",
                               "flow_steps", "transcript")
        }
        ticket = cls(**simple)
        ticket.top_intent = _build(IntentRecord, data.get("top_intent"))
        ticket.intent_history = [_build(IntentRecord, i) for i in data.get("intent_history") or [] if i]
        ticket.customer = _build(CustomerCard, data.get("customer"))
        ticket.order = _build(OrderContextRef, data.get("order"))
        ticket.emotion = _build(EmotionSummaryRef, data.get("emotion"))
        ticket.flow_steps = [_build(FlowStep, s) for s in data.get("flow_steps") or [] if s]
        ticket.transcript = [_build(TranscriptEntry, t) for t in data.get("transcript") or [] if t]
        return ticket


@dataclass
class Placement:
    """What the service tells the bot after accepting a ticket: where the shopper stands."""

    ticket_id: int
    queue: str
    priority: int
    position: int
    expected_wait_minutes: int
    agents_online: int
    open_now: bool
    opens_at: Optional[str] = None  # ISO time when humans are back, when closed
    sla_due_at: Optional[str] = None
    duplicate: bool = False

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)
