"""Customer 360 on a ticket: the customer's orders, earlier tickets with their CSAT, the
conversations on the customer's other channels, their cases, grants and the notes agents
leave each other.

Orders come from the ticket (the bot copies the customer's orders into it when it hands
over: the handoff service has no access to the shop's store); everything else is this
service's own record, found by customer id and by the conversations of linked identities.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from handoff.aftersales import cases, grants
from handoff.aftersales.models import CustomerNote
from handoff.db import Agent, Message, TicketRow
from common.ticket import utcnow
from handoff.store import iso, visible_ticket

MAX_NOTE = 2000


def customer_of(row: TicketRow) -> Dict[str, Any]:
    return dict((row.payload or {}).get("customer") or {})


def customer_id_of(row: TicketRow) -> Optional[str]:
    return row.customer_id or customer_of(row).get("customer_id")


def orders_of(row: TicketRow) -> List[Dict[str, Any]]:
    customer = customer_of(row)
    orders = list((customer.get("extra") or {}).get("orders") or customer.get("orders") or [])
    current = (row.payload or {}).get("order")
    if current and not any(o.get("order_id") == current.get("order_id") for o in orders):
        orders.insert(0, {k: current.get(k) for k in ("order_id", "status", "amount")})
    return orders


def linked_conversations(row: TicketRow) -> List[Dict[str, Any]]:
    return [i for i in customer_of(row).get("identities") or []
            if isinstance(i, dict) and i.get("conversation_id")]


def _ticket_brief(db: Session, t: TicketRow) -> Dict[str, Any]:
    last = db.execute(select(Message).where(Message.ticket_id == t.id)
                      .order_by(Message.id.desc()).limit(3)).scalars().all()
    transcript = (t.payload or {}).get("transcript") or []
    tail = [{"role": m.role, "text": m.text} for m in reversed(last)] or \
        [{"role": e.get("role"), "text": e.get("text")} for e in transcript[-3:]]
    return {"id": t.id, "conversation_id": t.conversation_id, "channel": t.channel,
            "status": t.status, "reason": t.reason, "queue": t.queue, "csat": t.csat,
            "created_at": iso(t.created_at), "resolved_at": iso(t.resolved_at), "last": tail}


def view(db: Session, agent: Agent, ticket_id: int) -> Dict[str, Any]:
    row = visible_ticket(db, agent, ticket_id)
    cid = customer_id_of(row)
    others: Set[str] = {i["conversation_id"] for i in linked_conversations(row)}
    others.discard(row.conversation_id)
    where = [TicketRow.conversation_id.in_(others)] if others else []
    if cid:
        where.append(TicketRow.customer_id == cid)
    earlier: List[TicketRow] = []
    if where:
        earlier = list(db.execute(select(TicketRow).where(or_(*where), TicketRow.id != row.id)
                                  .order_by(TicketRow.id.desc()).limit(30)).scalars())
    briefs = [_ticket_brief(db, t) for t in earlier]
    channels = [dict(i, tickets=[b for b in briefs if b["conversation_id"] == i["conversation_id"]])
                for i in linked_conversations(row) if i["conversation_id"] != row.conversation_id]
    case_rows = cases.list_cases(db, customer_id=cid) if cid else []
    if not case_rows:
        case_rows = cases.list_cases(db, conversation_id=row.conversation_id)
    notes = db.execute(select(CustomerNote).where(CustomerNote.customer_id == cid)
                       .order_by(CustomerNote.id.desc()).limit(50)).scalars() if cid else []
    now = utcnow()
    return {"ticket_id": row.id, "customer_id": cid, "customer": customer_of(row),
            "orders": orders_of(row), "earlier_tickets": briefs, "other_channels": channels,
            "cases": [cases.case_view(c, now) for c in case_rows],
            "grants": [grants.grant_view(g) for g in grants.for_customer(db, cid)] if cid else [],
            "notes": [note_view(n) for n in notes]}


def note_view(note: CustomerNote) -> Dict[str, Any]:
    return {"id": note.id, "author": note.author, "text": note.text, "ticket_id": note.ticket_id,
            "created_at": iso(note.created_at)}


def add_note(db: Session, agent: Agent, ticket_id: int, text: str) -> CustomerNote:
    row = visible_ticket(db, agent, ticket_id)
    cid = customer_id_of(row)
    if not cid:
        raise ValueError("this ticket's shopper is not identified: no customer to note on")
    text = (text or "").strip()
    if not text:
        raise ValueError("a note needs text")
    note = CustomerNote(customer_id=cid, author=agent.username, text=text[:MAX_NOTE],
                        ticket_id=row.id, created_at=utcnow())
    db.add(note)
    db.flush()
    return note
