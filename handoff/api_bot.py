"""Bot-side API (action server -> service), every call signed with HANDOFF_TOKEN (HMAC)."""
from __future__ import annotations

from aiohttp import web

from common.ticket import Ticket
from common.typing_relay import MAX_BODY  # noqa: F401  (the typing route's body limit)
from handoff import receipts, store
from handoff.access import raw_body, verify_signature
from handoff.api_agents import error, service_of
from handoff.bodies import body_of
from handoff.health import report

# The signature check is the route table's (handoff.access); kept importable by this name.
verified_body = verify_signature


async def post_handoff(request: web.Request) -> web.Response:
    # The model has checked the contract; the dataclass keeps the bot's extra fields too.
    try:
        ticket = Ticket.from_dict(raw_body(request))
    except (ValueError, TypeError) as exc:
        raise error(400, "bad_ticket", str(exc))
    place = await service_of(request).accept(ticket)
    return web.json_response(place, status=200 if place["duplicate"] else 201)


async def conversation_ticket(request: web.Request) -> web.Response:
    cid = request.match_info["conversation_id"]
    view = await service_of(request).db(
        lambda db: (lambda r: store.ticket_view(r) if r else None)(store.open_ticket_for(db, cid)))
    if view is None:
        raise error(404, "not_found", "no open ticket for this conversation")
    return web.json_response(view)


async def post_typing(request: web.Request) -> web.Response:
    """The shopper is typing (the web channel says so): shown on the open ticket's page."""
    cid = body_of(request).conversation_id

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
    data = body_of(request)
    cid, message_id = data.conversation_id, receipts.message_id(data.relay_id)
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
