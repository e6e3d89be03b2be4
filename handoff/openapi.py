"""OpenAPI 3 document, built from the route table (handoff.routes): paths, auth, query
parameters and errors from each Route, request bodies from its pydantic model (handoff.bodies),
response bodies from the schemas below (answers are built by the views, not validated)."""
from __future__ import annotations

import re
from typing import List

from pydantic.schema import schema as model_schemas

from common.statuses import STATUSES
from common.ticket import TRIGGERS
from handoff.aftersales.schemas import SCHEMAS as AFTERSALES_SCHEMAS
from handoff.studio.schemas import SCHEMAS as STUDIO_SCHEMAS
from handoff.openapi_parts import ANY, BOOL, INT, NUM, STR, TIME, S, obj, ref
from handoff.queues import configured as configured_queues

LANG_TEXT = obj({"zh": STR, "en": STR})
# routing.yml is read at start (the service loads it once; edits need a restart).
QUEUE = {"type": "string", "enum": list(configured_queues()),
         "description": "a queue of handoff/routing.yml"}
SCHEMAS: S = {
    "Error": obj({"error": STR, "message": STR, "fields": {
        "type": "array", "description": "a body that fails its model: each field at fault",
        "items": obj({"field": STR, "problem": STR})}}, ["error", "message"]),
    "Ok": obj({"ok": BOOL}),
    "OpenAPI": ANY,
    "Health": obj({"ok": BOOL, "problems": {"type": "array", "items": STR},
                   "started": BOOL, "database": ANY, "redis": ANY, "agents_online": INT,
                   "streams": {"type": "object", "description": "per stream (events, relay): "
                               "lag, pending, handled, refused, recreated, failing_seconds",
                               "additionalProperties": ANY}}),
    "Placement": obj({"ticket_id": INT, "queue": QUEUE,
                      "priority": INT, "position": INT, "expected_wait_minutes": INT,
                      "agents_online": INT, "open_now": BOOL, "opens_at": TIME,
                      "sla_due_at": TIME, "duplicate": BOOL}),
    "TicketSummary": obj({
        "id": INT, "handoff_id": STR, "conversation_id": STR, "channel": STR, "language": STR,
        "reason": {"type": "string", "enum": list(TRIGGERS)}, "top_intent": STR,
        "top_confidence": NUM, "queue": QUEUE,
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
    "Agent": obj({"id": INT, "username": STR, "display_name": STR,
                  "role": {"type": "string", "enum": ["agent", "supervisor"]},
                  "queues": {"type": "array", "items": STR},
                  "languages": {"type": "array", "items": STR}}),
    "Session": obj({"token": STR, "agent": ref("Agent")}),
    "Queues": obj({"queues": {"type": "object", "additionalProperties": obj(
        {"waiting": INT, "in_progress": INT, "agents_online": INT})}}),
    "LiveEvent": obj({"type": {"type": "string", "enum": [
        "hello", "pong", "ticket.new", "ticket.updated", "ticket.escalated", "ticket.note",
        "message.new", "message.delivered", "typing"]}, "ticket": ref("TicketSummary"),
        "message": ref("Message"), "change": STR, "cause": STR, "ticket_id": INT,
        "role": {"type": "string", "enum": ["agent", "shopper"]}, "name": STR}, ["type"]),
}
SCHEMAS["AgentList"] = obj({"agents": {"type": "array", "items": {"allOf": [
    ref("Agent"), obj({"online": BOOL})]}}})
SCHEMAS["TicketList"] = obj({"tickets": {"type": "array", "items": ref("TicketSummary")}})
SCHEMAS["MessageList"] = obj({"messages": {"type": "array", "items": ref("Message")}})
SCHEMAS["TicketDetail"] = {"allOf": [ref("TicketSummary"), obj({
    "ticket": ref("Ticket"), "messages": {"type": "array", "items": ref("Message")},
    "events": {"type": "array", "items": ref("TicketEvent")}})]}
STRS = {"type": "array", "items": STR}
SCHEMAS["KbArticle"] = {"allOf": [ref("KbArticleInput"), obj({
    "id": INT, "slug": {**STR, "nullable": True}, "updated_by": STR, "created_at": TIME,
    "updated_at": TIME, "url": STR})]}
SCHEMAS["KbArticleList"] = obj({"articles": {"type": "array", "items": ref("KbArticle")}})
SCHEMAS["KbSearch"] = obj({"hits": {"type": "array", "items": obj({
    "article": ref("KbArticle"), "confidence": NUM, "confident": BOOL})}})
SCHEMAS["KbMisses"] = obj({"misses": {"type": "array", "items": obj({
    "question": STR, "language": STR, "count": INT, "last_at": TIME})}})
SCHEMAS["KbAnswer"] = obj({"article": {**ref("KbArticle"), "nullable": True},
                           "confidence": {**NUM, "nullable": True}})
_RATE = {**NUM, "nullable": True}
_FIGURES = {"contacts": INT, "tickets": INT, "fcr": _RATE, "containment": _RATE,
            "abandonment_rate": _RATE, "transfer_rate": _RATE,
            "transfer_by_reason": {"type": "object", "additionalProperties": NUM},
            "first_response_s": _RATE, "aht_s": _RATE, "csat_bot": _RATE, "csat_human": _RATE,
            "nps": _RATE, "ces": _RATE}
_ROWS = {"type": "array", "items": obj({"key": STR, **_FIGURES})}
SCHEMAS["Metrics"] = obj({"from": TIME, "to": TIME, "days": INT,
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
SCHEMAS["Quality"] = obj({"ticket_id": INT, "score": INT, "sampled": BOOL, "hits": {
    "type": "array", "items": obj({"rule": STR, "label": STR, "role": STR, "evidence": STR})},
    "checked_at": TIME, "verdict": {"type": "string", "nullable": True,
                                    "enum": ["pass", "coach", "fail", None]},
    "verdict_note": {**STR, "nullable": True}, "reviewer": {**STR, "nullable": True},
    "reviewed_at": TIME})
SCHEMAS["QualityReviews"] = obj({"reviews": {"type": "array", "items": {"allOf": [
    ref("Quality"), obj({"ticket": ref("TicketSummary")})]}}})
SCHEMAS.update(AFTERSALES_SCHEMAS)
SCHEMAS.update(STUDIO_SCHEMAS)
SECURITY = {"agent": [{"bearer": []}, {"cookie": []}],
            "bot": [{"hmac": [], "hmacTimestamp": []}], "public": []}
ERROR_TEXT = {400: "Bad request: malformed JSON, or a body that fails its model (the fields "
                   "at fault listed)", 401: "Not authenticated", 403: "Forbidden",
              404: "Not found", 409: "Conflict", 413: "Body too large",
              429: "Too many failed attempts; wait for the Retry-After header's seconds",
              503: "Degraded or not ready (problems listed)"}


def implied_errors(route) -> List[int]:
    """What the route's auth and body bring by themselves, plus what it declares."""
    codes = set(route.errors)
    if route.auth.kind in ("bot", "agent"):
        codes.add(401)
    if route.auth.kind == "bot" or route.auth.role:
        codes.add(403)
    if route.request is not None:
        codes.add(400)
    return sorted(codes)


def _operation(route) -> S:
    op: S = {"summary": route.summary, "operationId": route.handler.__name__,
             "security": SECURITY[route.auth.kind], "x-auth": route.auth.name,
             "responses": {str(route.status): {"description": "OK", "content": {
                 "application/json": {"schema": ref(route.response)}}} if route.response else
                 {"description": "OK"}}}
    if route.console:
        op["x-console-path"] = route.console
    params = [{"name": p, "in": "path", "required": True,
               "schema": INT if p in ("ticket_id", "article_id", "case_id", "grant_id",
                                      "turn_id") else STR}
              for p in re.findall(r"{(\w+)}", route.path)]
    params += [{"name": k, "in": "query", "required": False, "description": v, "schema": STR}
               for k, v in route.query.items()]
    if params:
        op["parameters"] = params
    if route.request is not None:
        op["requestBody"] = {"required": not route.body_optional, "content": {
            "application/json": {"schema": ref(route.request.__name__)}}}
    for code in implied_errors(route):
        op["responses"][str(code)] = {"description": ERROR_TEXT[code], "content": {
            "application/json": {"schema": ref("Health" if code == 503 else "Error")}}}
    return op


def body_schemas(routes) -> S:
    """The schemas of the routes' body models (the very ones the middleware validates with)."""
    models = {r.request for r in routes if r.request is not None}
    found = model_schemas(sorted(models, key=lambda m: m.__name__),
                          ref_prefix="#/components/schemas/")
    return found["definitions"]


def document(routes) -> S:
    paths: S = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Frontline handoff service", "version": "1.0.0",
                 "description": "Warm transfer from the bot to human agents: tickets, queues, "
                                "SLA, live relay. Bot-side calls are HMAC-signed with "
                                "HANDOFF_TOKEN; agents use a session token. `x-auth` names "
                                "who may call an operation (public, bot, agent, supervisor); "
                                "`x-console-path` where the console offers it behind its "
                                "cookie session and CSRF token."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": {**SCHEMAS, **body_schemas(routes)}, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "cookie": {"type": "apiKey", "in": "cookie", "name": "handoff_session"},
            "hmac": {"type": "apiKey", "in": "header", "name": "X-Handoff-Signature",
                     "description": "sha256=HMAC-SHA256(HANDOFF_TOKEN, timestamp \\n METHOD "
                                    "\\n path \\n body) in hex"},
            "hmacTimestamp": {"type": "apiKey", "in": "header", "name": "X-Handoff-Timestamp"}}},
    }
