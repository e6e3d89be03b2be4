"""Console actions the agents' API does not offer: a supervisor's reassign, and the list of
agents a ticket can go to. Same tables and the same event record as handoff.store."""
from __future__ import annotations

from typing import Any, Dict, List

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff import store
from handoff.db import Agent, TicketRow


def eligible_agents(db: Session, row: TicketRow) -> List[Dict[str, Any]]:
    """Active accounts that work the ticket's queue (supervisors work every queue)."""
    agents = db.execute(select(Agent).where(Agent.is_active.is_(True))
                        .order_by(Agent.display_name)).scalars()
    return [{"id": a.id, "display_name": a.display_name, "username": a.username}
            for a in agents if store.can_see(a, row)]


def reassign(db: Session, supervisor: Agent, ticket_id: int, agent_id: int) -> TicketRow:
    if supervisor.role != "supervisor":
        raise store.Forbidden("only supervisors reassign")
    row = store.get_ticket(db, ticket_id)
    if row.status == "resolved":
        raise store.Conflict("ticket is resolved")
    target = db.get(Agent, agent_id)
    if target is None or not target.is_active:
        raise ValueError("no such agent")
    if not store.can_see(target, row):
        raise ValueError("that agent does not work this queue")
    previous = row.assignee_id
    row.assignee_id = target.id
    if row.status in ("waiting", "transferred"):
        row.status = "assigned"
    store.record(db, row, "reassigned", supervisor.username, from_agent=previous,
                 to_agent=target.id, to_username=target.username)
    return row
