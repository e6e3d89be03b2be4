"""Agents' API: sessions, queue, claim, messages, transfer, resolve, notes, live WebSocket.

Auth, body validation and error answers are the route table's (handoff.routes): a handler
finds its caller in `agent_of(request)` and its validated body in `body_of(request)`. The
console mounts these same handlers behind its own session.
"""
from __future__ import annotations

import asyncio
import json
import uuid

from aiohttp import WSMsgType, web

from common.statuses import OPEN, OPEN_STATUSES, QUEUED, STATUSES, WORKING
from handoff import agents as accounts
from handoff import store
from handoff.access import bearer  # noqa: F401  (where callers have always found it)
from handoff.access import SESSION_COOKIE, agent_of, api_session, token_of
from handoff.bodies import MAX_FIELD, MAX_TEXT, body_of  # noqa: F401  (limits, for callers)
from handoff.db import Agent
from handoff.errors import ApiError, error  # noqa: F401  (callers import error from here)
from handoff.hub import Subscriber
from handoff.lockout import lockout_of, retry_headers
from handoff.notices import notice
from handoff.service import SERVICE, Service

def too_many(seconds: int, scope: str) -> ApiError:
    what = "this network" if scope == "address" else "this account"
    seconds = max(1, seconds)
    return ApiError(429, "locked", f"too many failed logins for {what}; try again in "
                    f"{seconds} s", headers=retry_headers(seconds), retry_after=seconds)


def service_of(request: web.Request) -> Service:
    return request.app[SERVICE]


async def require_agent(request: web.Request) -> Agent:
    """The caller of a route declared with agent auth (already checked by handoff.access)."""
    if "handoff.agent" in request:
        return agent_of(request)
    return (await api_session(request))[0]


def ticket_id(request: web.Request) -> int:
    try:
        return int(request.match_info["ticket_id"])
    except ValueError:
        raise error(404, "not_found", "no such ticket")


async def run(request: web.Request, fn, *args):
    """A store call in a worker thread; its ValueError is the caller's bad request (the
    store's NotFound, Forbidden and Conflict are answered by handoff.errors)."""
    try:
        return await service_of(request).db(fn, *args)
    except ValueError as exc:
        raise error(400, "bad_request", str(exc))


# -- sessions --------------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    data = body_of(request)
    username, password = data.username, data.password
    lockout = lockout_of(request.app)
    attempt = await lockout.begin(username, request.remote)
    if not attempt.allowed:
        raise too_many(attempt.retry_after, attempt.scope)
    hours = service_of(request).settings.session_hours
    result = await service_of(request).db(accounts.login, username, password, hours)
    if result is None:
        if attempt.last:
            raise too_many(lockout.seconds, "user")
        raise error(401, "bad_credentials", "wrong username or password")
    await lockout.succeeded(username, request.remote)
    token, agent = result
    resp = web.json_response({"token": token, "agent": accounts.agent_view(agent)})
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Strict",
                    secure=request.secure, max_age=int(hours * 3600))
    return resp


async def logout(request: web.Request) -> web.Response:
    token = token_of(request)
    await service_of(request).db(accounts.logout, token)
    await service_of(request).hub.close_session(accounts.session_key(token))
    resp = web.json_response({"ok": True})
    resp.del_cookie(SESSION_COOKIE)
    return resp


async def me(request: web.Request) -> web.Response:
    return web.json_response(accounts.agent_view(agent_of(request)))


# -- tickets ---------------------------------------------------------------------------
async def list_tickets(request: web.Request) -> web.Response:
    agent = agent_of(request)
    default = ",".join(s.value for s in QUEUED)
    statuses = [s for s in request.query.get("status", default).split(",") if s]
    if statuses == ["open"]:
        statuses = list(OPEN_STATUSES)
    if set(statuses) - set(STATUSES):
        raise error(400, "bad_status", f"status must be among {STATUSES}")
    queue = request.query.get("queue") or None
    mine = request.query.get("mine") in ("1", "true")

    def work(db):
        return [store.ticket_view(r) for r in store.list_tickets(db, agent, statuses, queue, mine)]
    return web.json_response({"tickets": await run(request, work)})


async def get_ticket(request: web.Request) -> web.Response:
    agent = agent_of(request)
    tid = ticket_id(request)

    def work(db):
        row = store.visible_ticket(db, agent, tid)
        msgs, events = store.history(db, tid)
        view = store.ticket_view(row, full=True)
        view["messages"] = [store.message_view(m) for m in msgs]
        view["events"] = [store.event_view(e) for e in events]
        return view
    return web.json_response(await run(request, work))


async def claim(request: web.Request) -> web.Response:
    agent = agent_of(request)
    view = await run(request, lambda db: store.ticket_view(store.claim(db, agent, ticket_id(request))))
    service_of(request).hub.publish({"type": "ticket.updated", "change": "claimed",
                                     "ticket": view}, queue=view["queue"])
    return web.json_response(view)


async def post_message(request: web.Request) -> web.Response:
    agent = agent_of(request)
    data = body_of(request)
    text = data.text
    client_id = str(data.client_id or uuid.uuid4().hex)[:64]
    tid = ticket_id(request)

    def work(db):
        row, msg, created = store.agent_message(db, agent, tid, text, client_id)
        return store.ticket_view(row), store.message_view(msg), created, msg.relay_entry
    view, msg, created, entry = await run(request, work)
    svc = service_of(request)
    if created:  # announced before it is relayed, so its delivery update never comes first
        svc.hub.publish({"type": "message.new", "message": msg}, queue=view["queue"])
    if entry is None:  # new, or a retry of one Redis could not take
        await svc.relay_agent_message(msg["id"])
    return web.json_response(msg, status=201 if created else 200)


async def list_messages(request: web.Request) -> web.Response:
    agent = agent_of(request)
    tid = ticket_id(request)

    def work(db):
        store.visible_ticket(db, agent, tid)
        return [store.message_view(m) for m in store.history(db, tid)[0]]
    return web.json_response({"messages": await run(request, work)})


async def transfer(request: web.Request) -> web.Response:
    agent = agent_of(request)
    data = body_of(request)
    queue, note = data.queue, data.note
    old = {}

    def work(db):
        old["queue"] = store.visible_ticket(db, agent, ticket_id(request)).queue
        return store.ticket_view(store.transfer(db, agent, ticket_id(request), queue, note,
                                                service_of(request).routing.queues))
    view = await run(request, work)
    svc = service_of(request)
    event = {"type": "ticket.updated", "change": "transferred", "ticket": view, "note": note}
    svc.hub.publish(event, queue=view["queue"])
    if old["queue"] != view["queue"]:
        svc.hub.publish(event, queue=old["queue"])
    await svc.enqueue_relay({"kind": "notice", "conversation_id": view["conversation_id"],
                             "text": notice("transferred", view["language"])})
    return web.json_response(view)


async def resolve(request: web.Request) -> web.Response:
    agent = agent_of(request)
    data = body_of(request)
    code, note = data.code, data.note
    view = await run(request, lambda db: store.ticket_view(
        store.resolve(db, agent, ticket_id(request), code, note)))
    svc = service_of(request)
    await svc.enqueue_relay({"kind": "handback", "conversation_id": view["conversation_id"],
                             "ticket_id": view["id"], "language": view["language"],
                             "relay_id": f"handback:{view['id']}"})
    svc.hub.publish({"type": "ticket.updated", "change": "resolved", "ticket": view},
                    queue=view["queue"])
    return web.json_response(view)


async def assign(request: web.Request) -> web.Response:
    agent = agent_of(request)
    target = body_of(request).agent_id
    view = await run(request, lambda db: store.ticket_view(
        store.assign(db, agent, ticket_id(request), target)))
    service_of(request).hub.publish({"type": "ticket.updated", "change": "assigned",
                                     "ticket": view}, queue=view["queue"],
                                    agent_ids=[view["assignee_id"]])
    return web.json_response(view)


async def list_agents(request: web.Request) -> web.Response:
    hub = service_of(request).hub
    online = {s.agent_id for s in hub.subscribers}
    rows = await run(request, lambda db: [dict(accounts.agent_view(a), online=a.id in online)
                                          for a in store.list_agents(db)])
    return web.json_response({"agents": rows})


async def add_note(request: web.Request) -> web.Response:
    agent = agent_of(request)
    text = body_of(request).text
    event = await run(request, lambda db: (store.event_view(
        store.add_note(db, agent, ticket_id(request), text)),
        store.get_ticket(db, ticket_id(request)).queue))
    view, queue = event
    service_of(request).hub.publish({"type": "ticket.note", "event": view}, queue=queue)
    return web.json_response(view, status=201)


async def typing(request: web.Request) -> web.Response:
    """The agent is typing: shown to everyone else watching the ticket (e.g. a supervisor)
    and to the shopper's web widget (common.typing_relay). Only the agent who holds the
    ticket may say so: anyone else of the queue gets 403 and nothing is shown."""
    agent, tid = agent_of(request), ticket_id(request)

    def work(db):
        row = store.visible_ticket(db, agent, tid)
        return row.queue, row.conversation_id, row.assignee_id == agent.id and row.status in \
            WORKING
    queue, conversation_id, holds = await run(request, work)
    if not holds:
        raise error(403, "not_your_ticket", "not your ticket")
    svc = service_of(request)
    svc.hub.publish({"type": "typing", "ticket_id": tid, "role": "agent",
                     "agent_id": agent.id, "name": agent.display_name}, queue=queue)
    if svc.typing is not None:
        # In the background: a slow or absent Rasa must not hold up the agent's console.
        svc.background(svc.typing.agent_typing(conversation_id, tid, agent.display_name))
    return web.json_response({"ok": True})


async def queues(request: web.Request) -> web.Response:
    agent = agent_of(request)
    rows = await run(request, lambda db: [store.ticket_view(r) for r in store.list_tickets(
        db, agent, OPEN)])
    hub = service_of(request).hub
    summary = {q: {"waiting": 0, "in_progress": 0, "agents_online": hub.online_for(q)}
               for q in service_of(request).routing.queues
               if agent.role == "supervisor" or q in (agent.queues or [])}
    for row in rows:
        key = "waiting" if row["status"] in QUEUED else "in_progress"
        # a queue removed from routing.yml still shows while its old tickets are open
        summary.setdefault(row["queue"], {"waiting": 0, "in_progress": 0,
                                          "agents_online": 0})[key] += 1
    return web.json_response({"queues": summary})


# -- live events -------------------------------------------------------------------------
async def websocket(request: web.Request) -> web.WebSocketResponse:
    agent = agent_of(request)
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    hub = service_of(request).hub
    sub = Subscriber(ws=ws, agent_id=agent.id, role=agent.role, queues=set(agent.queues or []),
                     session=accounts.session_key(token_of(request)))
    # Subscribed before the hello: a client that waits for the hello misses no event (what
    # arrives meanwhile waits in the outbox, which the writer sends after the hello).
    hub.add(sub)
    await ws.send_json({"type": "hello", "agent": accounts.agent_view(agent)})
    writer = asyncio.create_task(hub.writer(sub))
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                data = json.loads(msg.data)
            except json.JSONDecodeError:
                continue
            if data.get("type") == "ping":
                await sub.outbox.put(json.dumps({"type": "pong", "ts": data.get("ts")}))
        if sub.close_code is not None:  # the service ended it (handoff.live_sessions)
            await ws.close(code=sub.close_code, message=sub.close_reason.encode())
    finally:
        hub.remove(sub)
        writer.cancel()
    return ws
