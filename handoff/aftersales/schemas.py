"""OpenAPI schemas of the after-sales routes' answers (merged into handoff.openapi.SCHEMAS);
their request bodies are documented from their models (handoff.aftersales.bodies)."""
from __future__ import annotations

from handoff.aftersales.config import PRIORITIES, STATUSES
from handoff.openapi_parts import ANY, BOOL, INT, STR, TIME, array, obj

CASE_EVENT = obj({"id": INT, "kind": STR, "actor": STR, "data": ANY, "created_at": TIME})
CASE = obj({"id": INT, "case_ref": STR, "kind": STR, "department": STR,
            "status": {"type": "string", "enum": list(STATUSES)},
            "priority": {"type": "string", "enum": list(PRIORITIES)}, "customer_id": STR,
            "order_id": STR, "conversation_id": STR, "channel": STR, "language": STR,
            "description": STR, "opened_by": STR, "ticket_id": INT, "due_at": TIME,
            "overdue": BOOL, "created_at": TIME, "updated_at": TIME, "resolved_at": TIME,
            "events": array(CASE_EVENT)})
GRANT = obj({"id": INT, "kind": STR, "reason": STR, "amount": {**STR, "description": "decimal"},
             "customer_id": STR, "order_id": STR, "ticket_id": INT, "case_id": INT, "note": STR,
             "status": {"type": "string", "enum": ["pending", "granted", "rejected"]},
             "requested_by": STR, "requester_level": STR, "requested_at": TIME,
             "limit_reason": STR, "decided_by": STR, "decided_at": TIME,
             "decision_note": STR, "shop_key": STR})
NOTE = obj({"id": INT, "author": STR, "text": STR, "ticket_id": INT, "created_at": TIME})

SCHEMAS = {
    "Case": CASE, "CaseEvent": CASE_EVENT, "CaseList": obj({"cases": array(CASE)}),
    "Grant": GRANT, "GrantList": obj({"grants": array(GRANT)}),
    "Limits": obj({"level": STR, "kinds": array(STR), "reasons": array(STR), "limits": ANY}),
    "CustomerNote": NOTE,
    "Customer360": obj({"ticket_id": INT, "customer_id": STR, "customer": ANY,
                        "orders": array(ANY), "earlier_tickets": array(ANY),
                        "other_channels": array(ANY), "cases": array(CASE),
                        "grants": array(GRANT), "notes": array(NOTE)}),
}
