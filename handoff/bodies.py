"""Request bodies of the handoff API, declared once as pydantic models.

A route names its body model in the route table (handoff.routes); the `bodies` middleware
(handoff.access) validates every request against it before the handler runs, and the OpenAPI
document (handoff.openapi) takes its schemas from the same models. Handlers read the result with
`body_of(request)` and never check fields by hand.

Strings are strict (a number is not a string) and stripped; unknown keys are ignored.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional

from aiohttp import web
from pydantic import BaseModel, Field, StrictInt, StrictStr, constr, validator

from common.ticket import TRIGGERS
from handoff.quality.store import VERDICTS

MAX_TEXT = 4000  # an agent's message or note
MAX_FIELD = 200  # username / password: the console form cuts at the same length
MAX_QUESTION = 500
LANGUAGES = ("zh", "en")
MAX_TITLE, MAX_ARTICLE, MAX_TAGS = 200, 20000, 20
ASSIST_KINDS = ("kb", "faq", "policy", "phrase")

BODY = "handoff.body"  # request key of the validated body


def text(max_length: int = MAX_TEXT) -> Any:
    """A non-empty string (after stripping) of at most `max_length` characters."""
    return constr(strict=True, strip_whitespace=True, min_length=1, max_length=max_length)


class Body(BaseModel):
    class Config:
        extra = "ignore"
        anystr_strip_whitespace = False


def body_of(request: web.Request) -> Any:
    """The validated body of the matched route (its model instance)."""
    return request[BODY]


# -- the bot's ticket ----------------------------------------------------------------------
# Nested parts are lenient: the ticket keeps whatever the bot knows (common.ticket keeps
# unknown keys in `extra`); only what the service relies on is enforced.
class Loose(Body):
    class Config:
        extra = "allow"


class Intent(Loose):
    name: StrictStr
    confidence: Optional[float] = None
    text: Optional[str] = None
    at: Optional[float] = None


class OrderContext(Loose):
    order_id: str
    status: Optional[str] = None
    items: Optional[List[Dict[str, Any]]] = None
    amount: Optional[float] = None
    carrier: Optional[str] = None
    tracking_no: Optional[str] = None
    last_event: Optional[str] = None
    last_event_at: Optional[Any] = None
    hours_stale: Optional[float] = None
    refund_status: Optional[str] = None
    extra: Optional[Dict[str, Any]] = None


class EmotionSummary(Loose):
    current: Optional[str] = None
    peak: Optional[str] = None
    trajectory: Optional[List[Any]] = None
    negative_share: Optional[float] = None
    cues: Optional[List[str]] = None
    risk_flags: Optional[List[str]] = None
    extra: Optional[Dict[str, Any]] = None


class CustomerCard(Loose):
    customer_id: Optional[str] = None
    name: Optional[str] = None
    masked_phone: Optional[str] = None
    tier: Optional[str] = None
    identities: Optional[List[Dict[str, Any]]] = None
    extra: Optional[Dict[str, Any]] = None


class FlowStep(Loose):
    flow: str
    step: str
    prompt: Optional[str] = None
    answer: Optional[str] = None
    at: Optional[Any] = None


class TranscriptEntry(Loose):
    role: str = Field(..., description="shopper, bot, agent or system")
    text: str
    at: Optional[float] = None
    intent: Optional[str] = None
    emotion: Optional[str] = None


class Ticket(Loose):
    """What the bot hands over (common.ticket.Ticket)."""
    handoff_id: Optional[constr(strict=True, min_length=1, max_length=64)] = Field(
        None, description="idempotency key chosen by the bot")
    conversation_id: text(255)
    trigger: Literal[TRIGGERS]  # type: ignore[valid-type]
    language: Optional[str] = None
    channel: Optional[str] = None
    top_intent: Optional[Intent] = None
    intent_history: Optional[List[Intent]] = None
    entities: Optional[Dict[str, Any]] = None
    customer: Optional[CustomerCard] = None
    order: Optional[OrderContext] = None
    emotion: Optional[EmotionSummary] = None
    flow_steps: Optional[List[FlowStep]] = None
    transcript: Optional[List[TranscriptEntry]] = None
    summary: Optional[Dict[str, Any]] = Field(None, description="{zh, en}")
    first_sentence: Optional[Dict[str, Any]] = Field(None, description="{zh, en}")
    decided_at: Optional[float] = Field(None, description="epoch seconds of the bot's decision")


class Typing(Body):
    conversation_id: text(255)


class Receipt(Body):
    """The shopper's widget showed an agent's message (handoff.receipts)."""
    conversation_id: text(255)
    relay_id: constr(strict=True, regex=r"^msg:\d{1,18}$") = Field(
        ..., description="msg:<id> of an agent message, as the relay sent it")


class KbQuestion(Body):
    question: text(MAX_QUESTION)
    language: Optional[Any] = Field(None, description="zh or en (default zh)")
    conversation_id: Optional[Any] = None

    @validator("language", always=True)
    def known_language(cls, value: Any) -> str:
        return value if value in LANGUAGES else "zh"

    @validator("conversation_id")
    def conversation(cls, value: Any) -> Optional[str]:
        return value if isinstance(value, str) else None


# -- agents --------------------------------------------------------------------------------
class Login(Body):
    username: StrictStr
    password: StrictStr = Field(..., format="password")

    @validator("username")
    def short_username(cls, value: str) -> str:
        return value.strip()[:MAX_FIELD]

    @validator("password")
    def short_password(cls, value: str) -> str:
        return value[:MAX_FIELD]


class AgentMessage(Body):
    text: text()
    client_id: Optional[Any] = Field(None, description="retry-safe id chosen by the console")


class Transfer(Body):
    queue: text(64)
    note: text()


class Resolve(Body):
    code: Optional[Any] = Field(None, description="resolution code, default 'resolved'")
    note: Optional[Any] = None

    @validator("code", always=True)
    def short_code(cls, value: Any) -> str:
        return str(value or "resolved")[:32]

    @validator("note", always=True)
    def short_note(cls, value: Any) -> str:
        return str(value or "")[:MAX_TEXT]


class Assign(Body):
    agent_id: StrictInt


class Note(Body):
    text: text()


# -- knowledge base, assist, quality ---------------------------------------------------------
class KbArticleInput(Body):
    title: text(MAX_TITLE)
    body: text(MAX_ARTICLE) = Field(..., description="Markdown")
    language: Literal[LANGUAGES] = "zh"  # type: ignore[valid-type]
    tags: List[text(64)] = Field(default_factory=list, max_items=MAX_TAGS)
    intents: List[text(64)] = Field(default_factory=list, max_items=MAX_TAGS)
    products: List[text(64)] = Field(default_factory=list, max_items=MAX_TAGS)

    @validator("tags", "intents", "products", pre=True)
    def none_is_empty(cls, value: Any) -> Any:
        return value or []


class AssistUsed(Body):
    kind: Literal[ASSIST_KINDS]  # type: ignore[valid-type]
    ref: text(128)
    edited: Optional[Any] = None

    @validator("edited", always=True)
    def flag(cls, value: Any) -> bool:
        return bool(value)


class QualityVerdict(Body):
    verdict: Literal[VERDICTS]  # type: ignore[valid-type]
    note: Optional[StrictStr] = ""

    @validator("note", always=True)
    def no_note(cls, value: Optional[str]) -> str:
        return value or ""

