"""Case repository: opening (idempotent on the case number), status, owner department, notes,
history, and the lists agents and supervisors work from. The caller owns the transaction."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handoff.aftersales.config import PRIORITIES, STATUSES, CaseConfig
from handoff.aftersales.models import CaseEvent, CaseRow
from handoff.db import Agent
from common.ticket import utcnow
from handoff.store import get_row, iso

MAX_TEXT = 4000


def new_ref() -> str:
    return f"AC{utcnow():%Y%m%d}{secrets.randbelow(10**6):06d}"


def record(db: Session, row: CaseRow, kind: str, actor: str, **data: Any) -> CaseEvent:
    event = CaseEvent(case_id=row.id, kind=kind, actor=actor, data=data, created_at=utcnow())
    db.add(event)
    row.updated_at = event.created_at
    db.flush()
    return event


def overdue(row: CaseRow, now: Optional[datetime] = None) -> bool:
    return row.status != "resolved" and row.due_at < (now or utcnow())


def case_view(row: CaseRow, now: Optional[datetime] = None) -> Dict[str, Any]:
    return {"id": row.id, "case_ref": row.case_ref, "kind": row.kind,
            "department": row.department, "status": row.status, "priority": row.priority,
            "customer_id": row.customer_id, "order_id": row.order_id,
            "conversation_id": row.conversation_id, "channel": row.channel,
            "language": row.language, "description": row.description,
            "photo_url": row.photo_url, "opened_by": row.opened_by, "ticket_id": row.ticket_id,
            "due_at": iso(row.due_at), "overdue": overdue(row, now),
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "resolved_at": iso(row.resolved_at)}


def event_view(event: CaseEvent) -> Dict[str, Any]:
    return {"id": event.id, "kind": event.kind, "actor": event.actor, "data": event.data or {},
            "created_at": iso(event.created_at)}


def open_case(db: Session, config: CaseConfig, *, kind: str, opened_by: str,
              case_ref: Optional[str] = None, priority: str = "normal",
              customer_id: Optional[str] = None, order_id: Optional[str] = None,
              conversation_id: Optional[str] = None, channel: Optional[str] = None,
              language: str = "zh", description: str = "", photo_url: Optional[str] = None,
              ticket_id: Optional[int] = None, department: Optional[str] = None
              ) -> Tuple[CaseRow, bool]:
    """(case, created); the same case number twice (a retried delivery) is one case."""
    if not kind or len(kind) > 32:
        raise ValueError("a case needs a kind (at most 32 characters)")
    if priority not in PRIORITIES:
        raise ValueError(f"priority must be one of {PRIORITIES}")
    if department is not None and department not in config.departments:
        raise ValueError(f"department must be one of {tuple(config.departments)}")
    if case_ref:
        found = db.execute(select(CaseRow).where(CaseRow.case_ref == case_ref)).scalar_one_or_none()
        if found is not None:
            return found, False
    now = utcnow()
    row = CaseRow(case_ref=case_ref or new_ref(), kind=kind,
                  department=department or config.department_for(kind), status="open",
                  priority=priority, customer_id=customer_id, order_id=order_id,
                  conversation_id=conversation_id, channel=channel,
                  language=language if language in ("zh", "en") else "zh",
                  description=(description or "")[:MAX_TEXT], photo_url=photo_url,
                  opened_by=opened_by, ticket_id=ticket_id,
                  due_at=config.due_at(kind, priority, now), created_at=now, updated_at=now)
    db.add(row)
    db.flush()
    record(db, row, "opened", opened_by, department=row.department, due_at=iso(row.due_at))
    return row, True


def get_case(db: Session, case_id: int) -> CaseRow:
    return get_row(db, CaseRow, case_id, "case")


def change(db: Session, config: CaseConfig, agent: Agent, case_id: int,
           status: Optional[str] = None, department: Optional[str] = None,
           note: str = "") -> Tuple[CaseRow, Optional[CaseEvent]]:
    """Change status and/or owner department, with an optional note; returns the status event
    when the status changed (the shopper is told of it)."""
    row = get_case(db, case_id)
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    if department is not None and department not in config.departments:
        raise ValueError(f"department must be one of {tuple(config.departments)}")
    note = (note or "").strip()[:MAX_TEXT]
    status_event, moved = None, False
    if department and department != row.department:
        moved = True
        record(db, row, "department", agent.username, from_department=row.department,
               to_department=department, note=note)
        row.department = department
    if status and status != row.status:
        old = row.status
        row.status = status
        row.resolved_at = utcnow() if status == "resolved" else None
        status_event = record(db, row, "status", agent.username, from_status=old,
                              to_status=status, note=note)
    elif note and not moved:  # the department event carries the note otherwise
        record(db, row, "note", agent.username, text=note)
    return row, status_event


def add_note(db: Session, agent: Agent, case_id: int, text: str) -> CaseEvent:
    text = (text or "").strip()
    if not text:
        raise ValueError("a note needs text")
    return record(db, get_case(db, case_id), "note", agent.username, text=text[:MAX_TEXT])


def history(db: Session, case_id: int) -> List[CaseEvent]:
    return list(db.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                           .order_by(CaseEvent.id)).scalars())


def list_cases(db: Session, department: Optional[str] = None, status: Optional[str] = None,
               only_overdue: bool = False, customer_id: Optional[str] = None,
               conversation_id: Optional[str] = None, limit: int = 200) -> List[CaseRow]:
    query = select(CaseRow)
    if department:
        query = query.where(CaseRow.department == department)
    if status == "unresolved" or only_overdue:
        query = query.where(CaseRow.status != "resolved")
    elif status:
        query = query.where(CaseRow.status == status)
    if only_overdue:
        query = query.where(CaseRow.due_at < utcnow())
    if customer_id:
        query = query.where(CaseRow.customer_id == customer_id)
    if conversation_id:
        query = query.where(CaseRow.conversation_id == conversation_id)
    return list(db.execute(query.order_by(CaseRow.due_at, CaseRow.id).limit(limit)).scalars())


def shoppers_cases(db: Session, customer_id: Optional[str], conversation_id: Optional[str],
                   order_ids: Sequence[str] = (), case_ref: Optional[str] = None
                   ) -> List[CaseRow]:
    """The cases a shopper may hear about: of the customer the channel vouched for, of the
    orders they proved in this conversation, or opened in this conversation."""
    mine = []
    if customer_id:
        mine.append(CaseRow.customer_id == customer_id)
    if conversation_id:
        mine.append(CaseRow.conversation_id == conversation_id)
    if order_ids:
        mine.append(CaseRow.order_id.in_(list(order_ids)))
    if not mine:
        return []
    query = select(CaseRow).where(or_(*mine))
    if case_ref:
        query = query.where(CaseRow.case_ref == case_ref)
    return list(db.execute(query.order_by(CaseRow.created_at.desc()).limit(10)).scalars())
