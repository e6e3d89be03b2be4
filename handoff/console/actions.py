"""What the console shows beyond the agents' API: the agents a ticket can be assigned to.

(Assigning itself is the API's: handoff.store.assign, mounted in the console by the route
table as /console/api/tickets/{ticket_id}/reassign.)"""
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
