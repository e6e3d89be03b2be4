"""Request bodies of the after-sales routes, declared as pydantic models like handoff.bodies.

The route table (handoff.routes) names them; the `bodies` middleware validates each request
against them before the handler runs and the OpenAPI document takes its schemas from them.

Case kinds and departments come from handoff/cases.yml, grant kinds and reasons from
handoff/compensation.yml: both are read when the service starts (restart to change them), so
they are checked by validators against the loaded configuration, and the documented enums are
filled in from the same configuration when the schema is built.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Literal, Optional, Type

from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr, constr, validator

from handoff.aftersales.authority import matrix
from handoff.aftersales.config import PRIORITIES, STATUSES, cases_config
from handoff.aftersales.grants import parse_amount
from handoff.bodies import MAX_TEXT, Body, text

MAX_KIND, MAX_REF, MAX_ORDER, MAX_CUSTOMER = 32, 32, 32, 64
MAX_CONVERSATION, MAX_ORDERS = 255, 20
LANGUAGES = ("zh", "en")


def short(max_length: int) -> Any:
    """A string of at most `max_length` characters, stripped (may be empty)."""
    return constr(strict=True, strip_whitespace=True, max_length=max_length)


def _blank_is_none(value: Any) -> Any:
    # Console forms send "" for a field left empty: that means "not given".
    return None if isinstance(value, str) and not value.strip() else value


def _one_of(value: Optional[str], known, what: str) -> Optional[str]:
    if value is not None and value not in known:
        raise ValueError(f"{what} must be one of {tuple(known)}")
    return value


def _enums(**names):
    """schema_extra: each named property gets the enum its configuration allows now."""
    def extra(schema: Dict[str, Any], model: Type[BaseModel]) -> None:
        for name, values in names.items():
            schema["properties"][name]["enum"] = list(values())
    return extra


def _case_kinds():
    return cases_config().kinds


def _departments():
    return cases_config().departments


def _grant_kinds():
    return matrix().kinds


def _grant_reasons():
    return matrix().reasons


# -- agents ----------------------------------------------------------------------------------
class CaseInput(Body):
    """An agent opens a case for the ticket's customer."""
    kind: text(MAX_KIND) = Field(..., description="a kind of handoff/cases.yml")
    description: Optional[short(MAX_TEXT)] = None
    order_id: Optional[short(MAX_ORDER)] = Field(
        None, description="default: the order the ticket is about")
    department: Optional[StrictStr] = Field(None,
                                            description="default: the kind's department")
    priority: Literal[PRIORITIES] = "normal"  # type: ignore[valid-type]

    class Config:
        schema_extra = staticmethod(_enums(kind=_case_kinds, department=_departments))

    _blank = validator("description", "order_id", "department", pre=True,
                       allow_reuse=True)(_blank_is_none)

    @validator("priority", pre=True, always=True)
    def default_priority(cls, value: Any) -> Any:
        return "normal" if _blank_is_none(value) is None else value

    @validator("kind")
    def known_kind(cls, value: str) -> str:
        return _one_of(value, cases_config().kinds, "kind")

    @validator("department")
    def known_department(cls, value: Optional[str]) -> Optional[str]:
        return _one_of(value, cases_config().departments, "department")


class CaseChange(Body):
    """A status and/or department change with a note; the shopper is told of a new status."""
    status: Optional[Literal[STATUSES]] = None  # type: ignore[valid-type]
    department: Optional[StrictStr] = None
    note: Optional[short(MAX_TEXT)] = None
    tell_shopper: StrictBool = Field(True, description="tell the shopper of a status change")

    class Config:
        schema_extra = staticmethod(_enums(department=_departments))

    _blank = validator("status", "department", "note", pre=True, allow_reuse=True)(
        _blank_is_none)

    @validator("department")
    def known_department(cls, value: Optional[str]) -> Optional[str]:
        return _one_of(value, cases_config().departments, "department")

    @validator("note", always=True)
    def no_note(cls, value: Optional[str]) -> str:
        return value or ""


class GrantInput(Body):
    """Compensation: granted within the agent's authority, else pending approval."""
    kind: text(MAX_KIND) = Field(..., description="a kind of handoff/compensation.yml")
    reason: text(MAX_KIND) = Field(..., description="a reason of handoff/compensation.yml")
    amount: Decimal = Field(..., description="yuan, 0.01-100000: a number or a decimal string")
    order_id: text(MAX_ORDER) = Field(..., description="one of the customer's orders")
    note: Optional[short(MAX_TEXT)] = None
    case_id: Optional[StrictInt] = Field(None, description="the case it settles")

    class Config:
        schema_extra = staticmethod(_enums(kind=_grant_kinds, reason=_grant_reasons))

    _blank = validator("note", pre=True, allow_reuse=True)(_blank_is_none)

    @validator("kind")
    def known_kind(cls, value: str) -> str:
        return _one_of(value, matrix().kinds, "kind")

    @validator("reason")
    def known_reason(cls, value: str) -> str:
        reasons = matrix().reasons
        return _one_of(value, reasons, "reason") if reasons else value

    @validator("amount", pre=True)
    def money(cls, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError("amount must be a number")
        return parse_amount(value)

    @validator("note", always=True)
    def no_note(cls, value: Optional[str]) -> str:
        return value or ""


class GrantDecision(Body):
    """A supervisor approves or rejects a pending grant."""
    approve: StrictBool
    note: Optional[short(MAX_TEXT)] = None

    @validator("note", always=True)
    def no_note(cls, value: Optional[str]) -> str:
        return value or ""


# -- the bot's calls -----------------------------------------------------------------------
class BotCase(Body):
    """A case the bot opened (actions.handover.cases). The same case may come through the
    intake stream instead (handoff.aftersales.intake): what the bot may leave out is null."""
    case_ref: text(MAX_REF) = Field(..., description="the bot's case number (idempotency key)")
    kind: text(MAX_KIND) = Field(..., description="a kind of handoff/cases.yml; another "
                                 "kind goes to the first department")
    priority: Literal[PRIORITIES] = "normal"  # type: ignore[valid-type]
    customer_id: Optional[short(MAX_CUSTOMER)] = None
    order_id: Optional[short(MAX_ORDER)] = None
    conversation_id: Optional[short(MAX_CONVERSATION)] = None
    channel: Optional[short(32)] = None
    language: Literal[LANGUAGES] = "zh"  # type: ignore[valid-type]
    description: Optional[StrictStr] = Field(None, description="kept up to "
                                             f"{MAX_TEXT} characters")
    photo_url: Optional[short(500)] = None

    @validator("description")
    def cut_description(cls, value: Optional[str]) -> Optional[str]:
        # a long description must not refuse the case: the shopper was promised it
        return value[:MAX_TEXT] if value else value

    @validator("priority", pre=True, always=True)
    def known_priority(cls, value: Any) -> str:
        # the shop's store may know priorities we do not: the case still counts
        return value if value in PRIORITIES else "normal"

    @validator("language", pre=True, always=True)
    def known_language(cls, value: Any) -> str:
        return value if value in LANGUAGES else "zh"


class CaseLookup(Body):
    """The shopper's cases: by the customer the channel verified, the conversation, the
    verified orders or a case number (none given: no cases)."""
    customer_id: Optional[short(MAX_CUSTOMER)] = None
    conversation_id: Optional[short(MAX_CONVERSATION)] = None
    case_ref: Optional[short(MAX_REF)] = None
    order_ids: List[short(MAX_ORDER)] = Field(default_factory=list,
                                              description=f"at most {MAX_ORDERS} are used")
    language: Literal[LANGUAGES] = "zh"  # type: ignore[valid-type]

    _blank = validator("customer_id", "conversation_id", "case_ref", pre=True,
                       allow_reuse=True)(_blank_is_none)

    @validator("order_ids", pre=True)
    def some_orders(cls, value: Any) -> Any:
        return (value or [])[:MAX_ORDERS] if isinstance(value, list) or value is None else value

    @validator("language", pre=True, always=True)
    def known_language(cls, value: Any) -> str:
        return value if value in LANGUAGES else "zh"
