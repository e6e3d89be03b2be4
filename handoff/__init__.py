"""Frontline's handoff service: warm-transfer tickets, queues, SLA and the live relay."""
