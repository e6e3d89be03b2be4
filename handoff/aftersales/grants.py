"""Compensation grants: requested by an agent, granted at once within the agent's authority,
else held for a supervisor's approval; every grant is an audit row and, once granted, an
entry of the shop outbox written in the same transaction."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handoff.aftersales import shop_out
from handoff.aftersales.authority import APPROVAL, GRANT, Counts, Matrix
from handoff.aftersales.models import GrantRow
from handoff.db import Agent
from common.ticket import utcnow
from handoff.store import Conflict, Forbidden, get_row, iso

LIVE = ("pending", "granted")  # what counts against the per-order and per-month limits


def parse_amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValueError("amount must be a number")
    if not amount.is_finite() or amount <= 0 or amount > Decimal("100000"):
        raise ValueError("amount must be between 0.01 and 100000")
    return amount


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def counts(db: Session, kind: str, order_id: str, customer_id: str,
           exclude: Optional[int] = None, now: Optional[datetime] = None) -> Counts:
    base = [GrantRow.kind == kind, GrantRow.status.in_(LIVE)]
    if exclude is not None:
        base.append(GrantRow.id != exclude)
    on_order = db.execute(select(func.count(GrantRow.id)).where(
        GrantRow.order_id == order_id, *base)).scalar_one()
    this_month = db.execute(select(func.count(GrantRow.id)).where(
        GrantRow.customer_id == customer_id,
        GrantRow.requested_at >= month_start(now or utcnow()), *base)).scalar_one()
    return Counts(order=int(on_order), customer_month=int(this_month))


def grant_view(row: GrantRow) -> Dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "reason": row.reason, "amount": str(row.amount),
            "customer_id": row.customer_id, "order_id": row.order_id,
            "ticket_id": row.ticket_id, "case_id": row.case_id, "note": row.note,
            "status": row.status, "requested_by": row.requested_by,
            "requester_level": row.requester_level, "requested_at": iso(row.requested_at),
            "limit_reason": row.limit_reason, "decided_by": row.decided_by,
            "decided_at": iso(row.decided_at), "decision_note": row.decision_note,
            "shop_key": row.shop_key}


def _send(db: Session, row: GrantRow) -> None:
    row.shop_key = shop_out.enqueue_grant(db, grant_view(row))


def request(db: Session, matrix: Matrix, agent: Agent, *, kind: str, reason: str,
            amount: Decimal, customer_id: str, order_id: str, note: str = "",
            ticket_id: Optional[int] = None, case_id: Optional[int] = None) -> GrantRow:
    level = matrix.level_of(agent.role, agent.level)
    decision = matrix.decide(level, reason, kind, amount,
                             counts(db, kind, order_id, customer_id))
    if decision.outcome not in (GRANT, APPROVAL):
        raise Forbidden(f"beyond every limit: {decision.why}")
    now = utcnow()
    row = GrantRow(kind=kind, reason=reason, amount=amount, customer_id=customer_id,
                   order_id=order_id, ticket_id=ticket_id, case_id=case_id,
                   note=(note or "")[:4000], requested_by=agent.username,
                   requester_level=level, requested_at=now,
                   status="granted" if decision.outcome == GRANT else "pending",
                   limit_reason=decision.why or None)
    if decision.outcome == GRANT:
        row.decided_by, row.decided_at = agent.username, now
    db.add(row)
    db.flush()
    if row.status == "granted":
        _send(db, row)
    return row


def decide(db: Session, matrix: Matrix, supervisor: Agent, grant_id: int, approve: bool,
           note: str = "") -> GrantRow:
    if supervisor.role != "supervisor":
        raise Forbidden("only supervisors approve compensation")
    row = get_row(db, GrantRow, grant_id, "grant", with_for_update=True)
    if row.status != "pending":
        raise Conflict(f"grant {grant_id} is already {row.status}")
    if row.requested_by == supervisor.username:
        raise Forbidden("a request is approved by another supervisor")
    if approve:
        level = matrix.level_of(supervisor.role, supervisor.level)
        ok, why = matrix.within(level, row.reason, row.kind, Decimal(row.amount),
                                counts(db, row.kind, row.order_id, row.customer_id,
                                       exclude=row.id))
        if not ok:
            raise Forbidden(f"beyond your authority: {why}")
    row.status = "granted" if approve else "rejected"
    row.decided_by, row.decided_at = supervisor.username, utcnow()
    row.decision_note = (note or "")[:4000] or None
    db.flush()
    if approve:
        _send(db, row)
    return row


def pending(db: Session) -> List[GrantRow]:
    return list(db.execute(select(GrantRow).where(GrantRow.status == "pending")
                           .order_by(GrantRow.requested_at)).scalars())


def for_customer(db: Session, customer_id: str, limit: int = 50) -> List[GrantRow]:
    return list(db.execute(select(GrantRow).where(GrantRow.customer_id == customer_id)
                           .order_by(GrantRow.id.desc()).limit(limit)).scalars())
