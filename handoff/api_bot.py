"""Bot-side API (action server -> service), every call signed with HANDOFF_TOKEN (HMAC)."""
from __future__ import annotations

import json
from typing import Any, Dict

from aiohttp import web

from common import signing
from common.ticket import TRIGGERS, Ticket
from common.typing_relay import MAX_BODY, small_json
from handoff import receipts, store
from handoff.api_agents import error, service_of
from handoff.health import report


async def verified_body(request: web.Request) -> bytes:
    """Refuse unsigned, forged, altered or replayed calls before reading anything else."""
    raw = await request.read()
    settings = service_of(request).settings
    if signing.SIGNATURE_HEADER not in request.headers:
        raise error(401, "unsigned", "a signed request is required")
    if not signing.verify(settings.token, request.method, request.path, raw,
                           dict(request.headers), settings.signature_skew_seconds):
        raise error(403, "bad_signature", "the request signature is not valid")
    return raw


async def post_handoff(request: web.Request) -> web.Response:
    raw = await verified_body(request)
    try:
        data: Dict[str, Any] = json.loads(raw)
        ticket = Ticket.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise error(400, "bad_ticket", str(exc))
    if ticket.trigger not in TRIGGERS:
        raise error(400, "bad_trigger", f"trigger must be one of {TRIGGERS}")
    place = await service_of(request).accept(ticket)
    return web.json_response(place, status=200 if place["duplicate"] else 201)


async def conversation_ticket(request: web.Request) -> web.Response:
    await verified_body(request)
    cid = request.match_info["conversation_id"]
    view = await service_of(request).db(
        lambda db: (lambda r: store.ticket_view(r) if r else None)(store.open_ticket_for(db, cid)))
    if view is None:
        raise error(404, "not_found", "no open ticket for this conversation")
    return web.json_response(view)


async def post_typing(request: web.Request) -> web.Response:
    """The shopper is typing (the web channel says so): shown on the open ticket's page."""
    data = small_json(await verified_body(request)) or {}
    cid = data.get("conversation_id")
    if not isinstance(cid, str) or not cid or len(cid) > 255:
        raise error(400, "bad_body", f"a JSON object with a conversation_id, at most "
                                     f"{MAX_BODY} bytes")

    def open_ticket(db):
        found = store.open_ticket_for(db, cid)
        return (found.id, found.queue, found.assignee_id) if found else None
    row = await service_of(request).db(open_ticket)
    if row is None:
        raise error(404, "not_found", "no open ticket for this conversation")
    tid, queue, assignee = row
    service_of(request).hub.publish({"type": "typing", "ticket_id": tid, "role": "shopper"},
                                    queue=queue, agent_ids=[assignee] if assignee else None)
    return web.json_response({"ok": True})


async def post_received(request: web.Request) -> web.Response:
    """The shopper's widget confirmed an agent's message (the web channel vouches for the
    socket being in the conversation's room): the console shows it as delivered."""
    data = small_json(await verified_body(request)) or {}
    cid, relay_id = data.get("conversation_id"), data.get("relay_id")
    message_id = receipts.message_id(relay_id)
    if not isinstance(cid, str) or not cid or len(cid) > 255 or message_id is None:
        raise error(400, "bad_body", "a JSON object with a conversation_id and the relay_id "
                                     "(msg:<id>) of an agent message")
    svc = service_of(request)
    found = await svc.db(receipts.confirm, cid, message_id)
    if found is None:
        raise error(404, "not_found", "no agent message with this id in this conversation")
    view, queue, changed = found
    if changed:
        svc.hub.publish({"type": "message.delivered", "message": view}, queue=queue)
    return web.json_response({"ok": True, "delivery": view["delivery"]})


async def health(request: web.Request) -> web.Response:
    """Database, Redis, stream lag, consumers and relay; 503 with the problems when degraded."""
    ok, body = await report(service_of(request), full=True)
    return web.json_response(body, status=200 if ok else 503)


async def ready(request: web.Request) -> web.Response:
    """Can the service take work now (started, database and Redis answering)? 503 if not."""
    ok, body = await report(service_of(request), full=False)
    return web.json_response(body, status=200 if ok else 503)
