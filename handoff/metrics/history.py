"""The facts metrics are computed from, one dataclass per kind."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional

OUTCOMES = ("bot_resolved", "handed_off", "abandoned")


@dataclass(frozen=True)
class Contact:
    """One conversation of a shopper on one channel."""
    conversation_id: str
    customer: str  # the verified customer id when known, else the conversation id
    channel: str
    started_at: datetime
    ended_at: datetime
    # bot_resolved: the bot answered and the shopper left satisfied or silent;
    # handed_off: at least one ticket; abandoned: the shopper left while the bot still
    # owed an answer (a fallback, an unfinished form, an unanswered question of the bot).
    outcome: str
    issue: Optional[str] = None  # the first substantive intent: what "the same issue" means
    resolved: bool = False  # bot_resolved, or every ticket of a handed-off contact resolved
    csat_bot: Optional[int] = None  # a 1-5 rating of a bot-only conversation


@dataclass(frozen=True)
class TicketFact:
    id: int
    conversation_id: str
    channel: str
    queue: str
    reason: str
    agent: Optional[str]
    created_at: datetime
    claimed_at: Optional[datetime] = None
    first_response_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    csat: Optional[int] = None


@dataclass(frozen=True)
class Survey:
    conversation_id: str
    channel: str
    kind: str  # nps (0-10) | ces (1-7, 7 = very easy)
    score: int
    at: datetime


@dataclass
class History:
    contacts: List[Contact] = field(default_factory=list)
    tickets: List[TicketFact] = field(default_factory=list)
    surveys: List[Survey] = field(default_factory=list)
