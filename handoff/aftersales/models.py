"""Tables of after-sales work (migration 0008): cases and their history, grants, customer notes."""
from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Integer, Numeric, String, Text

from common.ticket import utcnow
from handoff.db import Base
from handoff.utc import UTCDateTime

TZ = UTCDateTime()


class CaseRow(Base):
    __tablename__ = "handoff_cases"
    id = Column(Integer, primary_key=True)
    # The bot's case number (AS2026…) or one made for an agent's case: what the shopper quotes.
    case_ref = Column(String(32), nullable=False, unique=True)
    kind = Column(String(32), nullable=False)
    department = Column(String(32), nullable=False, index=True)
    status = Column(String(24), nullable=False, index=True, default="open")
    priority = Column(String(8), nullable=False, default="normal")
    customer_id = Column(String(64), nullable=True, index=True)
    order_id = Column(String(32), nullable=True, index=True)
    # Where progress is told: the conversation (and its channel) the case came from.
    conversation_id = Column(String(255), nullable=True, index=True)
    channel = Column(String(32), nullable=True)
    language = Column(String(8), nullable=False, default="zh")
    description = Column(Text, nullable=False, default="")
    photo_url = Column(String(500), nullable=True)
    opened_by = Column(String(64), nullable=False)  # "bot" or an agent's username
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True)
    assignee_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    due_at = Column(TZ, nullable=False, index=True)  # the resolution SLA
    created_at = Column(TZ, nullable=False, default=utcnow)
    updated_at = Column(TZ, nullable=False, default=utcnow)
    resolved_at = Column(TZ, nullable=True)


class CaseEvent(Base):
    __tablename__ = "handoff_case_events"
    id = Column(Integer, primary_key=True)
    case_id = Column(Integer, ForeignKey("handoff_cases.id"), nullable=False, index=True)
    kind = Column(String(24), nullable=False)  # opened status department note notified grant
    actor = Column(String(64), nullable=False, default="system")
    data = Column(JSON, nullable=False, default=dict)
    created_at = Column(TZ, nullable=False, default=utcnow)


class GrantRow(Base):
    """A compensation: the audit record (who, when, reason, amount, approval) and its state.

    pending (awaiting a supervisor) -> granted (sent to the shop) | rejected
    """
    __tablename__ = "handoff_grants"
    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)  # coupon | refund | reship
    reason = Column(String(32), nullable=False)
    amount = Column(Numeric(10, 2), nullable=False)
    customer_id = Column(String(64), nullable=False, index=True)
    order_id = Column(String(32), nullable=False, index=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True)
    case_id = Column(Integer, ForeignKey("handoff_cases.id"), nullable=True)
    note = Column(Text, nullable=False, default="")
    status = Column(String(16), nullable=False, index=True)
    requested_by = Column(String(64), nullable=False)
    requester_level = Column(String(16), nullable=False)
    requested_at = Column(TZ, nullable=False, default=utcnow)
    limit_reason = Column(Text, nullable=True)  # why it needed approval
    decided_by = Column(String(64), nullable=True)
    decided_at = Column(TZ, nullable=True)
    decision_note = Column(Text, nullable=True)
    # The idempotency key of the shop outbox entry, once sent.
    shop_key = Column(String(64), nullable=True, unique=True)


class CustomerNote(Base):
    """A note an agent leaves for the next agent who serves this customer."""
    __tablename__ = "handoff_customer_notes"
    id = Column(Integer, primary_key=True)
    customer_id = Column(String(64), nullable=False, index=True)
    author = Column(String(64), nullable=False)
    text = Column(Text, nullable=False)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=True)
    created_at = Column(TZ, nullable=False, default=utcnow)
