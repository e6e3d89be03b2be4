"""OpenAPI 3 document, built from the route table (handoff.routes) plus the schemas below."""
from __future__ import annotations

import re
from typing import Any, Dict, List

from common.ticket import QUEUES, STATUSES, TRIGGERS

S = Dict[str, Any]


def obj(props: S, required: List[str] = ()) -> S:
    schema: S = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time", "nullable": True}
ANY = {"type": "object", "additionalProperties": True}
LANG_TEXT = obj({"zh": STR, "en": STR})
intent = obj({"name": STR, "confidence": NUM, "text": STR, "at": NUM}, ["name"])
SCHEMAS: S = {
    "Error": obj({"error": STR, "message": STR}, ["error"]),
    "Ok": obj({"ok": BOOL}),
    "OpenAPI": ANY,
    "Health": obj({"ok": BOOL, "problems": {"type": "array", "items": STR},
                   "started": BOOL, "database": ANY, "redis": ANY, "agents_online": INT,
                   "streams": {"type": "object", "description": "per stream (events, relay): "
                               "lag, pending, handled, refused, recreated, failing_seconds",
                               "additionalProperties": ANY}}),
    "Intent": intent,
    "OrderContext": obj({"order_id": STR, "status": STR, "items": {"type": "array", "items": ANY},
                         "amount": NUM, "carrier": STR, "tracking_no": STR, "last_event": STR,
                         "last_event_at": STR, "hours_stale": NUM, "refund_status": STR,
                         "extra": ANY}, ["order_id"]),
    "EmotionSummary": obj({"current": STR, "peak": STR, "trajectory": {"type": "array"},
                           "negative_share": NUM, "cues": {"type": "array", "items": STR},
                           "risk_flags": {"type": "array", "items": STR}, "extra": ANY}),
    "CustomerCard": obj({"customer_id": STR, "name": STR, "masked_phone": STR, "tier": STR,
                         "identities": {"type": "array", "items": ANY}, "extra": ANY}),
    "FlowStep": obj({"flow": STR, "step": STR, "prompt": STR, "answer": STR, "at": {}},
                    ["flow", "step"]),
    "TranscriptEntry": obj({"role": {"type": "string", "enum": ["shopper", "bot", "agent",
                                                                "system"]},
                            "text": STR, "at": NUM, "intent": STR, "emotion": STR},
                           ["role", "text"]),
    "Ticket": obj({
        "handoff_id": {**STR, "description": "idempotency key chosen by the bot"},
        "conversation_id": STR, "trigger": {"type": "string", "enum": list(TRIGGERS)},
        "language": {"type": "string", "enum": ["zh", "en"]}, "channel": STR,
        "top_intent": ref("Intent"), "intent_history": {"type": "array", "items": ref("Intent")},
        "entities": ANY, "customer": ref("CustomerCard"), "order": ref("OrderContext"),
        "emotion": ref("EmotionSummary"), "flow_steps": {"type": "array", "items": ref("FlowStep")},
        "transcript": {"type": "array", "items": ref("TranscriptEntry")},
        "summary": LANG_TEXT, "first_sentence": LANG_TEXT,
        "decided_at": {**NUM, "description": "epoch seconds of the bot's handoff decision"}},
        ["conversation_id", "trigger"]),
    "Placement": obj({"ticket_id": INT, "queue": {"type": "string", "enum": list(QUEUES)},
                      "priority": INT, "position": INT, "expected_wait_minutes": INT,
                      "agents_online": INT, "open_now": BOOL, "opens_at": TIME,
                      "sla_due_at": TIME, "duplicate": BOOL}),
    "TicketSummary": obj({
        "id": INT, "handoff_id": STR, "conversation_id": STR, "channel": STR, "language": STR,
        "reason": {"type": "string", "enum": list(TRIGGERS)}, "top_intent": STR,
        "top_confidence": NUM, "queue": {"type": "string", "enum": list(QUEUES)},
        "priority": {**INT, "description": "1 most urgent .. 4"}, "priority_score": NUM,
        "status": {"type": "string", "enum": list(STATUSES)},
        "assignee_id": {**INT, "nullable": True}, "sla_due_at": TIME, "escalation_level": INT,
        "created_at": TIME, "updated_at": TIME, "first_response_at": TIME, "resolved_at": TIME,
        "resolution_code": STR, "csat": {**INT, "nullable": True}, "summary": LANG_TEXT,
        "first_sentence": LANG_TEXT, "customer": ref("CustomerCard"), "emotion": ANY}),
    "Message": obj({"id": INT, "ticket_id": INT, "conversation_id": STR,
                    "role": {"type": "string", "enum": ["shopper", "agent", "bot", "system"]},
                    "text": STR, "agent_id": {**INT, "nullable": True}, "dedup_key": STR,
                    "created_at": TIME, "delivered_at": TIME}),
    "TicketEvent": obj({"id": INT, "ticket_id": INT, "kind": STR, "actor": STR, "data": ANY,
                        "created_at": TIME}),
    "Login": obj({"username": STR, "password": {**STR, "format": "password"}},
                 ["username", "password"]),
    "Agent": obj({"id": INT, "username": STR, "display_name": STR,
                  "role": {"type": "string", "enum": ["agent", "supervisor"]},
                  "queues": {"type": "array", "items": STR},
                  "languages": {"type": "array", "items": STR}}),
    "Session": obj({"token": STR, "agent": ref("Agent")}),
    "Queues": obj({"queues": {"type": "object", "additionalProperties": obj(
        {"waiting": INT, "in_progress": INT, "agents_online": INT})}}),
    "AgentMessage": obj({"text": STR, "client_id": {**STR, "description":
                                                     "retry-safe id chosen by the console"}},
                        ["text"]),
    "Transfer": obj({"queue": {"type": "string", "enum": list(QUEUES)}, "note": STR},
                    ["queue", "note"]),
    "Resolve": obj({"code": {**STR, "description": "resolution code, default 'resolved'"},
                    "note": STR}),
    "Note": obj({"text": STR}, ["text"]),
    "LiveEvent": obj({"type": {"type": "string", "enum": [
        "hello", "pong", "ticket.new", "ticket.updated", "ticket.escalated", "ticket.note",
        "message.new", "message.delivered", "typing"]}, "ticket": ref("TicketSummary"),
        "message": ref("Message"), "change": STR, "cause": STR, "ticket_id": INT,
        "role": {"type": "string", "enum": ["agent", "shopper"]}, "name": STR}, ["type"]),
}
SCHEMAS["Typing"] = obj({"conversation_id": STR}, ["conversation_id"])
SCHEMAS["Receipt"] = obj({"conversation_id": STR, "relay_id": STR},
                         ["conversation_id", "relay_id"])
SCHEMAS["Assign"] = obj({"agent_id": INT}, ["agent_id"])
SCHEMAS["AgentList"] = obj({"agents": {"type": "array", "items": {"allOf": [
    ref("Agent"), obj({"online": BOOL})]}}})
SCHEMAS["TicketList"] = obj({"tickets": {"type": "array", "items": ref("TicketSummary")}})
SCHEMAS["MessageList"] = obj({"messages": {"type": "array", "items": ref("Message")}})
SCHEMAS["TicketDetail"] = {"allOf": [ref("TicketSummary"), obj({
    "ticket": ref("Ticket"), "messages": {"type": "array", "items": ref("Message")},
    "events": {"type": "array", "items": ref("TicketEvent")}})]}
STRS = {"type": "array", "items": STR}
SCHEMAS["KbArticleInput"] = obj({"title": STR, "body": {**STR, "description": "Markdown"},
                                 "language": {"type": "string", "enum": ["zh", "en"]},
                                 "tags": STRS, "intents": STRS, "products": STRS},
                                ["title", "body"])
SCHEMAS["KbArticle"] = {"allOf": [ref("KbArticleInput"), obj({
    "id": INT, "slug": {**STR, "nullable": True}, "updated_by": STR, "created_at": TIME,
    "updated_at": TIME, "url": STR})]}
SCHEMAS["KbArticleList"] = obj({"articles": {"type": "array", "items": ref("KbArticle")}})
SCHEMAS["KbSearch"] = obj({"hits": {"type": "array", "items": obj({
    "article": ref("KbArticle"), "confidence": NUM, "confident": BOOL})}})
SCHEMAS["KbMisses"] = obj({"misses": {"type": "array", "items": obj({
    "question": STR, "language": STR, "count": INT, "last_at": TIME})}})
SCHEMAS["KbQuestion"] = obj({"question": STR, "language": STR, "conversation_id": STR},
                            ["question"])
SCHEMAS["KbAnswer"] = obj({"article": {**ref("KbArticle"), "nullable": True},
                           "confidence": {**NUM, "nullable": True}})
_RATE = {**NUM, "nullable": True}
_FIGURES = {"contacts": INT, "tickets": INT, "fcr": _RATE, "containment": _RATE,
            "abandonment_rate": _RATE, "transfer_rate": _RATE,
            "transfer_by_reason": {"type": "object", "additionalProperties": NUM},
            "first_response_s": _RATE, "aht_s": _RATE, "csat_bot": _RATE, "csat_human": _RATE,
            "nps": _RATE, "ces": _RATE}
_ROWS = {"type": "array", "items": obj({"key": STR, **_FIGURES})}
SCHEMAS["Metrics"] = obj({"from": TIME, "to": TIME, "days": INT, "tracker": BOOL,
                          "repeat_window_hours": NUM, **_FIGURES, "by_agent": _ROWS,
                          "by_queue": _ROWS, "by_channel": _ROWS, "by_day": _ROWS,
                          "assist": obj({"used": INT, "by_kind": ANY, "agent_messages": INT,
                                         "per_agent_message": _RATE})})
_SUGGESTION = obj({"kind": {"type": "string", "enum": ["kb", "faq", "policy", "phrase"]},
                   "ref": STR, "title": STR, "text": STR, "score": NUM})
_POLICY_LINE = obj({"key": STR, "text": STR, "topics": STRS})
SCHEMAS["Assist"] = obj({"ticket_id": INT, "message": obj({"id": {**INT, "nullable": True},
                                                           "text": STR}),
                         "emotion": obj({"label": STR, "negative": BOOL, "score": NUM,
                                         "cues": STRS, "risk_flags": STRS}),
                         "suggestions": {"type": "array", "items": _SUGGESTION},
                         "policy": {"type": "array", "items": _POLICY_LINE}})
SCHEMAS["AssistUsed"] = obj({"kind": {"type": "string", "enum": ["kb", "faq", "policy",
                                                                  "phrase"]},
                             "ref": STR, "edited": BOOL}, ["kind", "ref"])
SCHEMAS["Quality"] = obj({"ticket_id": INT, "score": INT, "sampled": BOOL, "hits": {
    "type": "array", "items": obj({"rule": STR, "label": STR, "role": STR, "evidence": STR})},
    "checked_at": TIME, "verdict": {"type": "string", "nullable": True,
                                    "enum": ["pass", "coach", "fail", None]},
    "verdict_note": {**STR, "nullable": True}, "reviewer": {**STR, "nullable": True},
    "reviewed_at": TIME})
SCHEMAS["QualityReviews"] = obj({"reviews": {"type": "array", "items": {"allOf": [
    ref("Quality"), obj({"ticket": ref("TicketSummary")})]}}})
SCHEMAS["QualityVerdict"] = obj({"verdict": {"type": "string", "enum": ["pass", "coach",
                                                                        "fail"]},
                                 "note": STR}, ["verdict"])
from handoff.studio.schemas import SCHEMAS as _STUDIO_SCHEMAS  # noqa: E402
SCHEMAS.update(_STUDIO_SCHEMAS)

SECURITY = {"agent": [{"bearer": []}, {"cookie": []}],
            "bot": [{"hmac": [], "hmacTimestamp": []}], "none": []}
ERROR_TEXT = {400: "Bad request", 401: "Not authenticated", 403: "Forbidden",
              404: "Not found", 409: "Conflict",
              429: "Too many failed attempts; wait for the Retry-After header's seconds",
              503: "Degraded or not ready (problems listed)"}


def _operation(route) -> S:
    op: S = {"summary": route.summary, "operationId": route.handler.__name__,
             "security": SECURITY[route.auth],
             "responses": {str(route.status): {"description": "OK", "content": {
                 "application/json": {"schema": ref(route.response)}}} if route.response else
                 {"description": "OK"}}}
    params = [{"name": p, "in": "path", "required": True,
               "schema": INT if p in ("ticket_id", "article_id", "turn_id") else STR}
              for p in re.findall(r"{(\w+)}", route.path)]
    params += [{"name": k, "in": "query", "required": False, "description": v, "schema": STR}
               for k, v in route.query.items()]
    if params:
        op["parameters"] = params
    if route.request:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": ref(route.request)}}}
    for code in route.errors:
        op["responses"][str(code)] = {"description": ERROR_TEXT[code], "content": {
            "application/json": {"schema": ref("Health" if code == 503 else "Error")}}}
    return op


def document(routes) -> S:
    paths: S = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Frontline handoff service", "version": "1.0.0",
                 "description": "Warm transfer from the bot to human agents: tickets, queues, "
                                "SLA, live relay. Bot-side calls are HMAC-signed with "
                                "HANDOFF_TOKEN; agents use a session token."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "handoff_session"},
            "hmac": {"type": "apiKey", "in": "header", "name": "X-Handoff-Signature",
                     "description": "sha256=HMAC-SHA256(HANDOFF_TOKEN, timestamp \\n METHOD "
                                    "\\n path \\n body) in hex"},
            "hmacTimestamp": {"type": "apiKey", "in": "header", "name": "X-Handoff-Timestamp"}}},
    }
