"""The console's JSON calls and WebSocket: session + CSRF checked here, then handed to the
agents' API handlers (handoff.api_agents) under the session's bearer token, so the console
has exactly the API's rules (queue visibility, claim conflicts, relay, live events)."""
from __future__ import annotations

from aiohttp import web
from multidict import CIMultiDict

from handoff import api_agents, store
from handoff.console import actions
from handoff.console.auth import check_csrf, current_agent, same_origin
from handoff.service import SERVICE

DELEGATED_POSTS = {"claim": api_agents.claim, "messages": api_agents.post_message,
                   "transfer": api_agents.transfer, "resolve": api_agents.resolve,
                   "notes": api_agents.add_note}


def _json_error(status: int, code: str) -> web.HTTPException:
    return api_agents.error(status, code, code.replace("_", " "))


async def _session_token(request: web.Request, post: bool) -> tuple:
    session, agent = await current_agent(request)
    if agent is None:
        raise _json_error(401, "unauthenticated")
    if post:
        await check_csrf(request, session)
    return session["token"], agent


def _as_api(request: web.Request, token: str) -> web.Request:
    headers = CIMultiDict(request.headers)
    headers["Authorization"] = f"Bearer {token}"
    return request.clone(headers=headers)


async def list_tickets(request: web.Request) -> web.StreamResponse:
    token, _ = await _session_token(request, post=False)
    return await api_agents.list_tickets(_as_api(request, token))


async def get_ticket(request: web.Request) -> web.StreamResponse:
    token, _ = await _session_token(request, post=False)
    return await api_agents.get_ticket(_as_api(request, token))


async def ticket_action(request: web.Request) -> web.StreamResponse:
    handler = DELEGATED_POSTS.get(request.match_info["action"])
    if handler is None:
        raise _json_error(404, "not_found")
    token, _ = await _session_token(request, post=True)
    return await handler(_as_api(request, token))


async def reassign(request: web.Request) -> web.StreamResponse:
    _, agent = await _session_token(request, post=True)
    data = await api_agents.body(request)
    try:
        target = int(data.get("agent_id"))
    except (TypeError, ValueError):
        raise _json_error(400, "bad_agent")
    tid = api_agents.ticket_id(request)
    view = await api_agents.run(request, lambda db: store.ticket_view(
        actions.reassign(db, agent, tid, target)))
    request.app[SERVICE].hub.publish({"type": "ticket.updated", "change": "reassigned",
                                      "ticket": view}, queue=view["queue"], agent_ids=[target])
    return web.json_response(view)


async def typing(request: web.Request) -> web.StreamResponse:
    """The agent is typing: shown to everyone else watching the ticket (e.g. a supervisor)
    and to the shopper's web widget (common.typing_relay). Only the agent who holds the
    ticket may say so: anyone else of the queue gets 403 and nothing is shown."""
    _, agent = await _session_token(request, post=True)
    tid = api_agents.ticket_id(request)

    def work(db):
        row = store.visible_ticket(db, agent, tid)
        return row.queue, row.conversation_id, row.assignee_id == agent.id and row.status in (
            "assigned", "active")
    queue, conversation_id, holds = await api_agents.run(request, work)
    if not holds:
        raise _json_error(403, "not_your_ticket")
    svc = request.app[SERVICE]
    svc.hub.publish({"type": "typing", "ticket_id": tid, "role": "agent",
                     "agent_id": agent.id, "name": agent.display_name}, queue=queue)
    if svc.typing is not None:
        # In the background: a slow or absent Rasa must not hold up the agent's console.
        svc.background(svc.typing.agent_typing(conversation_id, tid, agent.display_name))
    return web.json_response({"ok": True})


async def websocket(request: web.Request) -> web.StreamResponse:
    """The agents' API WebSocket behind the console session. Browsers send cookies on a
    WebSocket handshake from any site, so the Origin must be ours (no cross-site hijack)."""
    session, agent = await current_agent(request)
    if agent is None:
        raise _json_error(401, "unauthenticated")
    if not same_origin(request):
        raise _json_error(403, "bad_origin")
    return await api_agents.websocket(_as_api(request, session["token"]))
