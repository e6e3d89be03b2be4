"""The states of a handoff ticket, named once.

    waiting --claim/assign--> assigned --first agent reply--> active --resolve--> resolved
       ^                         |                              |
       +-------- transferred <---+------------ transfer --------+

A str enum: members compare equal to the stored strings, so rows, JSON views and the bot's
copy of a ticket keep plain "waiting", "active", ...
"""
from __future__ import annotations

from enum import Enum
from typing import Tuple


class TicketStatus(str, Enum):
    WAITING = "waiting"
    ASSIGNED = "assigned"
    ACTIVE = "active"
    TRANSFERRED = "transferred"
    RESOLVED = "resolved"

    def __str__(self) -> str:
        return self.value


# Waiting for an agent (in the queue, counted for the shopper's place and the SLA).
QUEUED: Tuple[TicketStatus, ...] = (TicketStatus.WAITING, TicketStatus.TRANSFERRED)
# An agent holds it.
WORKING: Tuple[TicketStatus, ...] = (TicketStatus.ASSIGNED, TicketStatus.ACTIVE)
OPEN: Tuple[TicketStatus, ...] = (TicketStatus.WAITING, TicketStatus.ASSIGNED,
                                  TicketStatus.ACTIVE, TicketStatus.TRANSFERRED)
STATUSES: Tuple[str, ...] = tuple(s.value for s in TicketStatus)
OPEN_STATUSES: Tuple[str, ...] = tuple(s.value for s in OPEN)
