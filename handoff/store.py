"""Ticket repository: every state change of a ticket is a row update plus a ticket event.

Plain synchronous functions over a Session (the web layer runs them in a thread); the
caller owns the transaction. Concurrency-sensitive steps (claim) are single conditional
UPDATEs so two agents can never both win, on SQLite and PostgreSQL alike.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Optional, Tuple, Type, TypeVar

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from common.statuses import OPEN, QUEUED, WORKING, TicketStatus
from common.ticket import Placement, Ticket, utcnow
from handoff.db import Agent, Message, TicketEvent, TicketRow
from handoff.queues import configured as configured_queues
from handoff.routing import Routing
from handoff.utc import as_utc


class NotFound(Exception):
    pass


class Conflict(Exception):
    pass


class Forbidden(Exception):
    pass


Row = TypeVar("Row")


def get_row(db: Session, model: Type[Row], row_id: Any, what: str, **options: Any) -> Row:
    """The row of `model` with this id (`options` as for Session.get), else NotFound naming
    `what` and the id."""
    row = db.get(model, row_id, **options)
    if row is None:
        raise NotFound(f"{what} {row_id}")
    return row


def iso(value: Optional[datetime]) -> Optional[str]:
    """Timestamps read back aware and in UTC (handoff.utc.UTCDateTime)."""
    value = as_utc(value)
    return value.isoformat() if value else None


def ticket_view(row: TicketRow, full: bool = False) -> Dict[str, Any]:
    payload = row.payload or {}
    view = {
        "id": row.id, "handoff_id": row.handoff_id, "conversation_id": row.conversation_id,
        "channel": row.channel, "language": row.language, "reason": row.reason,
        "top_intent": row.top_intent, "top_confidence": row.top_confidence,
        "queue": row.queue, "priority": row.priority, "priority_score": row.priority_score,
        "status": row.status, "assignee_id": row.assignee_id, "sla_due_at": iso(row.sla_due_at),
        "escalation_level": row.escalation_level, "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at), "first_response_at": iso(row.first_response_at),
        "resolved_at": iso(row.resolved_at), "resolution_code": row.resolution_code,
        "csat": row.csat, "summary": payload.get("summary") or {},
        "first_sentence": payload.get("first_sentence") or {},
        "customer": payload.get("customer"),
        "emotion": {k: (payload.get("emotion") or {}).get(k) for k in ("current", "peak")},
    }
    if full:
        view["ticket"] = payload
    return view


def message_view(msg: Message) -> Dict[str, Any]:
    return {"id": msg.id, "ticket_id": msg.ticket_id, "conversation_id": msg.conversation_id,
            "role": msg.role, "text": msg.text, "agent_id": msg.agent_id,
            "dedup_key": msg.dedup_key, "created_at": iso(msg.created_at),
            "delivered_at": iso(msg.delivered_at),
            "delivery": msg.delivery or ("queued" if msg.role == "agent" else None),
            "delivery_reason": msg.delivery_reason}


def event_view(ev: TicketEvent) -> Dict[str, Any]:
    return {"id": ev.id, "ticket_id": ev.ticket_id, "kind": ev.kind, "actor": ev.actor,
            "data": ev.data or {}, "created_at": iso(ev.created_at)}


def record(db: Session, row: TicketRow, kind: str, actor: str, **data: Any) -> TicketEvent:
    ev = TicketEvent(ticket_id=row.id, kind=kind, actor=actor, data=data, created_at=utcnow())
    db.add(ev)
    row.updated_at = ev.created_at
    return ev


def get_ticket(db: Session, ticket_id: int) -> TicketRow:
    return get_row(db, TicketRow, ticket_id, "ticket")


def can_see(agent: Agent, row: TicketRow) -> bool:
    return agent.role == "supervisor" or row.queue in (agent.queues or [])


def visible_ticket(db: Session, agent: Agent, ticket_id: int) -> TicketRow:
    row = get_ticket(db, ticket_id)
    if not can_see(agent, row):
        raise Forbidden("not your queue")
    return row


def position(db: Session, row: TicketRow) -> int:
    """1-based place in its queue: more urgent tickets and older equals go first."""
    ahead = db.execute(select(func.count(TicketRow.id)).where(
        TicketRow.queue == row.queue, TicketRow.status.in_(QUEUED),
        TicketRow.id != row.id,
        or_(TicketRow.priority < row.priority,
            and_(TicketRow.priority == row.priority, TicketRow.id < row.id)))).scalar_one()
    return int(ahead) + 1


def create_ticket(db: Session, ticket: Ticket, routing: Routing, agents_online: int,
                  now: Optional[datetime] = None) -> Tuple[TicketRow, Placement]:
    """Store a handoff (idempotent on handoff_id) and say where the shopper stands."""
    now = now or utcnow()
    existing = db.execute(select(TicketRow).where(TicketRow.handoff_id == ticket.handoff_id)
                          ).scalar_one_or_none()
    if existing is not None:
        return existing, placement(db, existing, routing, agents_online, now, duplicate=True)
    queue = routing.queue_for(ticket)
    waiting = db.execute(select(func.count(TicketRow.id)).where(
        TicketRow.queue == queue, TicketRow.status.in_(QUEUED))).scalar_one()
    score = routing.priority_score(ticket, routing.expected_wait(int(waiting) + 1, agents_online),
                                   queue)
    level = routing.level_for(score)
    ticket.queue, ticket.priority, ticket.status = queue, level, TicketStatus.WAITING.value
    due = routing.sla_due(now, queue, level)
    ticket.sla_due_at = due.isoformat()
    row = TicketRow(
        handoff_id=ticket.handoff_id, conversation_id=ticket.conversation_id,
        channel=ticket.channel, language=ticket.language, reason=ticket.trigger,
        top_intent=ticket.top_intent.name if ticket.top_intent else None,
        top_confidence=ticket.top_intent.confidence if ticket.top_intent else None,
        queue=queue, priority=level, priority_score=score, status=TicketStatus.WAITING, sla_due_at=due,
        escalation_level=0, created_at=now, updated_at=now, last_shopper_at=now,
        decided_at=ticket.decided_at, payload=ticket.to_dict(),
        customer_id=ticket.customer.customer_id if ticket.customer else None)
    db.add(row)
    db.flush()
    record(db, row, "created", "bot", queue=queue, priority=level, reason=ticket.trigger,
           score=score)
    return row, placement(db, row, routing, agents_online, now)


def placement(db: Session, row: TicketRow, routing: Routing, agents_online: int,
              now: datetime, duplicate: bool = False) -> Placement:
    pos = position(db, row) if row.status in QUEUED else 0
    is_open, opens_at = routing.open_state(now)
    wait = routing.expected_wait(pos, agents_online)
    return Placement(ticket_id=row.id, queue=row.queue, priority=row.priority, position=pos,
                     expected_wait_minutes=int(round(wait)), agents_online=agents_online,
                     open_now=is_open, opens_at=opens_at.isoformat() if opens_at else None,
                     sla_due_at=iso(row.sla_due_at), duplicate=duplicate)


def list_tickets(db: Session, agent: Agent, statuses: Iterable[str] = QUEUED,
                 queue: Optional[str] = None, mine: bool = False) -> List[TicketRow]:
    query = select(TicketRow).where(TicketRow.status.in_(list(statuses)))
    if agent.role != "supervisor":
        query = query.where(TicketRow.queue.in_(list(agent.queues or [])))
    if queue:
        query = query.where(TicketRow.queue == queue)
    if mine:
        query = query.where(TicketRow.assignee_id == agent.id)
    query = query.order_by(TicketRow.priority, TicketRow.sla_due_at, TicketRow.id)
    return list(db.execute(query).scalars())


def claim(db: Session, agent: Agent, ticket_id: int) -> TicketRow:
    row = visible_ticket(db, agent, ticket_id)
    result = db.execute(
        update(TicketRow)
        .where(TicketRow.id == ticket_id, TicketRow.assignee_id.is_(None),
               TicketRow.status.in_(QUEUED))
        .values(status=TicketStatus.ASSIGNED, assignee_id=agent.id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise Conflict("ticket already claimed or closed")
    db.refresh(row)
    record(db, row, "claimed", agent.username, agent_id=agent.id)
    return row


def _assigned_to(agent: Agent, row: TicketRow) -> None:
    if row.status == TicketStatus.RESOLVED:
        raise Conflict("ticket is resolved")
    if row.assignee_id != agent.id and agent.role != "supervisor":
        raise Forbidden("claim the ticket first")


def add_message(db: Session, row: TicketRow, role: str, text: str, dedup_key: str,
                agent_id: Optional[int] = None, at: Optional[datetime] = None
                ) -> Tuple[Message, bool]:
    """Insert once per (ticket, dedup_key): a redelivered message returns the stored one."""
    found = db.execute(select(Message).where(Message.ticket_id == row.id,
                                             Message.dedup_key == dedup_key)).scalar_one_or_none()
    if found is not None:
        return found, False
    msg = Message(ticket_id=row.id, conversation_id=row.conversation_id, role=role, text=text,
                  agent_id=agent_id, dedup_key=dedup_key, created_at=at or utcnow())
    try:
        with db.begin_nested():
            db.add(msg)
    except IntegrityError:  # a concurrent delivery won the race
        found = db.execute(select(Message).where(Message.ticket_id == row.id,
                                                 Message.dedup_key == dedup_key)).scalar_one()
        return found, False
    if role == "shopper":
        row.last_shopper_at = msg.created_at
    return msg, True


def agent_message(db: Session, agent: Agent, ticket_id: int, text: str,
                  client_id: str) -> Tuple[TicketRow, Message, bool]:
    row = visible_ticket(db, agent, ticket_id)
    _assigned_to(agent, row)
    msg, created = add_message(db, row, "agent", text, f"agent:{client_id}", agent.id)
    if created:
        now = msg.created_at
        row.last_agent_at = now
        row.silence_notified_at = None
        if row.first_response_at is None:
            row.first_response_at = now
        if row.status == TicketStatus.ASSIGNED:
            row.status = TicketStatus.ACTIVE
            record(db, row, "status", agent.username, status=TicketStatus.ACTIVE.value)
        row.updated_at = now
    return row, msg, created


def relay_item(db: Session, message_id: int) -> Optional[Dict[str, Any]]:
    """The relay stream entry of a stored agent message (None once it has a final state)."""
    msg = db.get(Message, message_id)
    if msg is None or msg.role != "agent" or msg.delivery is not None:
        return None
    row = db.get(TicketRow, msg.ticket_id)
    agent = db.get(Agent, msg.agent_id) if msg.agent_id else None
    return {"kind": "agent_message", "role": "agent", "text": msg.text,
            "conversation_id": msg.conversation_id, "ticket_id": msg.ticket_id,
            "message_id": msg.id, "agent": agent.display_name if agent else None,
            "channel": row.channel if row else None, "relay_id": f"msg:{msg.id}"}


def relay_handled(db: Session, message_id: Any) -> bool:
    """Whether the relay already recorded an outcome (sent, delivered, failed) for a message."""
    try:
        msg = db.get(Message, int(message_id))
    except (TypeError, ValueError):
        return False
    return msg is not None and msg.delivery not in (None, "queued")


def set_relay_entry(db: Session, message_id: int, entry: str) -> None:
    msg = db.get(Message, message_id)
    if msg is not None and msg.relay_entry is None:
        msg.relay_entry = entry


def unrelayed_agent_messages(db: Session, older_than: float) -> List[int]:
    """Agent messages Redis could not take when they were sent (oldest first)."""
    cutoff = utcnow() - timedelta(seconds=older_than)
    return list(db.execute(select(Message.id).where(
        Message.role == "agent", Message.relay_entry.is_(None), Message.delivery.is_(None),
        Message.created_at < cutoff).order_by(Message.id).limit(200)).scalars())


def unrelayed_before(db: Session, message_id: int) -> List[int]:
    """Agent messages of the same ticket, older than `message_id`, still waiting for Redis
    (oldest first): they must go out before it, or a reply typed during an outage would
    overtake the ones typed before it."""
    ticket_id = db.execute(select(Message.ticket_id).where(Message.id == message_id)).scalar()
    if ticket_id is None:
        return []
    return list(db.execute(select(Message.id).where(
        Message.ticket_id == ticket_id, Message.id < message_id, Message.role == "agent",
        Message.relay_entry.is_(None), Message.delivery.is_(None)).order_by(Message.id)).scalars())


def transfer(db: Session, agent: Agent, ticket_id: int, queue: str, note: str,
             queues: Optional[Iterable[str]] = None) -> TicketRow:
    """`queues`: the service's routing (default: the routing file's queues)."""
    if queue not in (queues if queues is not None else configured_queues()):
        raise ValueError(f"unknown queue {queue}")
    row = visible_ticket(db, agent, ticket_id)
    _assigned_to(agent, row)
    old = row.queue
    row.queue, row.status, row.assignee_id = queue, TicketStatus.TRANSFERRED, None
    record(db, row, "transferred", agent.username, from_queue=old, to_queue=queue, note=note)
    return row


def resolve(db: Session, agent: Agent, ticket_id: int, code: str, note: str = "") -> TicketRow:
    row = visible_ticket(db, agent, ticket_id)
    _assigned_to(agent, row)
    row.status, row.resolved_at, row.resolution_code = TicketStatus.RESOLVED, utcnow(), code
    record(db, row, "resolved", agent.username, code=code, note=note)
    return row


def assign(db: Session, supervisor: Agent, ticket_id: int, agent_id: int) -> TicketRow:
    """A supervisor (re)assigns an open ticket to an agent of its queue."""
    if supervisor.role != "supervisor":
        raise Forbidden("only supervisors assign tickets")
    row = get_ticket(db, ticket_id)
    if row.status == TicketStatus.RESOLVED:
        raise Conflict("ticket is resolved")
    target = db.get(Agent, agent_id)
    if target is None or not target.is_active:
        raise NotFound(f"agent {agent_id}")
    if not can_see(target, row):
        raise ValueError("that agent does not work this ticket's queue")
    old = row.assignee_id
    row.assignee_id = target.id
    if row.status in QUEUED:
        row.status = TicketStatus.ASSIGNED
    record(db, row, "assigned", supervisor.username, from_agent_id=old, to_agent_id=target.id,
           to_username=target.username)
    return row


def list_agents(db: Session) -> List[Agent]:
    return list(db.execute(select(Agent).where(Agent.is_active.is_(True))
                           .order_by(Agent.username)).scalars())


def add_note(db: Session, agent: Agent, ticket_id: int, text: str) -> TicketEvent:
    row = visible_ticket(db, agent, ticket_id)
    return record(db, row, "note", agent.username, text=text)


# Built once (every shopper message asks it): building a statement costs more than running it.
_OPEN_TICKETS = select(TicketRow).where(
    TicketRow.conversation_id.in_(bindparam("conversations", expanding=True)),
    TicketRow.status.in_(OPEN)).order_by(TicketRow.id.desc())


def open_ticket_for(db: Session, conversation_id: str) -> Optional[TicketRow]:
    return open_tickets_for(db, [conversation_id]).get(conversation_id)


def open_tickets_for(db: Session, conversation_ids: Iterable[str]) -> Dict[str, TicketRow]:
    """Each conversation's newest open ticket, in one query (those with none left out)."""
    ids = sorted(set(conversation_ids))
    if not ids:
        return {}
    found: Dict[str, TicketRow] = {}
    for row in db.execute(_OPEN_TICKETS, {"conversations": ids}).scalars():
        found.setdefault(row.conversation_id, row)  # rows come newest first
    return found


def awaiting_csat(db: Session, conversation_id: str, within: timedelta) -> Optional[TicketRow]:
    """The conversation's ticket resolved recently and not rated yet."""
    since = utcnow() - within
    return db.execute(select(TicketRow).where(
        TicketRow.conversation_id == conversation_id, TicketRow.status == TicketStatus.RESOLVED,
        TicketRow.csat.is_(None), TicketRow.resolved_at >= since)
        .order_by(TicketRow.id.desc()).limit(1)).scalar_one_or_none()


def set_csat(db: Session, row: TicketRow, score: int, source: str) -> None:
    row.csat, row.csat_at = score, utcnow()
    record(db, row, "csat", "shopper", score=score, source=source)


def history(db: Session, ticket_id: int) -> Tuple[List[Message], List[TicketEvent]]:
    msgs = db.execute(select(Message).where(Message.ticket_id == ticket_id)
                      .order_by(Message.id)).scalars()
    evs = db.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                     .order_by(TicketEvent.id)).scalars()
    return list(msgs), list(evs)


def overdue(db: Session, routing: Routing, silence: timedelta, now: Optional[datetime] = None
            ) -> List[Tuple[TicketRow, str]]:
    """Escalate SLA breaches (waiting too long) and silent agents; returns what changed."""
    now = now or utcnow()
    changed: List[Tuple[TicketRow, str]] = []
    breached = db.execute(select(TicketRow).where(
        TicketRow.status.in_(QUEUED), TicketRow.sla_due_at < now,
        TicketRow.escalation_level == 0)).scalars()
    for row in breached:
        old = row.priority
        row.priority, row.escalation_level = routing.escalated(row.priority), 1
        record(db, row, "escalated", "system", cause="sla_breach", from_priority=old,
               to_priority=row.priority)
        changed.append((row, "sla_breach"))
    silent = db.execute(select(TicketRow).where(
        TicketRow.status.in_(WORKING), TicketRow.silence_notified_at.is_(None),
        TicketRow.last_shopper_at.isnot(None), TicketRow.last_shopper_at < now - silence)).scalars()
    for row in silent:
        last_agent = row.last_agent_at
        if last_agent is not None and last_agent >= row.last_shopper_at:
            continue  # the agent answered the shopper's latest message
        row.silence_notified_at = now
        row.escalation_level += 1
        row.priority = routing.escalated(row.priority)
        record(db, row, "escalated", "system", cause="agent_silent",
               waited_seconds=int((now - row.last_shopper_at).total_seconds()))
        changed.append((row, "agent_silent"))
    return changed
