"""Agents' API: sessions, queue, claim, messages, transfer, resolve, notes, live WebSocket."""
from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, Optional

from aiohttp import WSMsgType, web

from common.ticket import OPEN_STATUSES, QUEUES, STATUSES
from handoff import agents as accounts
from handoff import store
from handoff.db import Agent
from handoff.hub import Subscriber
from handoff.lockout import lockout_of, retry_headers
from handoff.notices import notice
from handoff.service import SERVICE, Service

MAX_TEXT = 4000
MAX_FIELD = 200  # username / password: the console form cuts at the same length
SESSION_COOKIE = "handoff_session"


def error(status: int, code: str, message: str) -> web.HTTPException:
    cls = {400: web.HTTPBadRequest, 401: web.HTTPUnauthorized, 403: web.HTTPForbidden,
           404: web.HTTPNotFound, 409: web.HTTPConflict}[status]
    return cls(text=json.dumps({"error": code, "message": message}),
               content_type="application/json")


def too_many(seconds: int, scope: str) -> web.HTTPException:
    what = "this network" if scope == "address" else "this account"
    return web.HTTPTooManyRequests(
        text=json.dumps({"error": "locked", "message": f"too many failed logins for {what}; "
                         f"try again in {max(1, seconds)} s", "retry_after": max(1, seconds)}),
        content_type="application/json", headers=retry_headers(seconds))


def service_of(request: web.Request) -> Service:
    return request.app[SERVICE]


def bearer(request: web.Request) -> Optional[str]:
    """The session token from the Authorization header or the session cookie.

    Never from the query string (`?token=`): URLs end up in logs, proxies and browser history.
    A browser's WebSocket handshake carries the cookie.
    """
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    if request.cookies.get(SESSION_COOKIE):
        return request.cookies[SESSION_COOKIE]
    return None


async def require_agent(request: web.Request) -> Agent:
    token = bearer(request)
    agent = await service_of(request).db(accounts.authenticate, token) if token else None
    if agent is None:
        raise error(401, "unauthenticated", "log in first")
    return agent


async def body(request: web.Request) -> Dict[str, Any]:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise error(400, "bad_json", "the body must be JSON")
    if not isinstance(data, dict):
        raise error(400, "bad_json", "the body must be a JSON object")
    return data


def text_field(data: Dict[str, Any], name: str, required: bool = True) -> str:
    value = data.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise error(400, "bad_field", f"'{name}' must be a non-empty string")
    if len(value) > MAX_TEXT:
        raise error(400, "too_long", f"'{name}' is longer than {MAX_TEXT} characters")
    return value.strip()


def ticket_id(request: web.Request) -> int:
    try:
        return int(request.match_info["ticket_id"])
    except ValueError:
        raise error(404, "not_found", "no such ticket")


async def run(request: web.Request, fn, *args):
    """A store call with its exceptions mapped to HTTP answers."""
    try:
        return await service_of(request).db(fn, *args)
    except store.NotFound as exc:
        raise error(404, "not_found", str(exc))
    except store.Forbidden as exc:
        raise error(403, "forbidden", str(exc))
    except store.Conflict as exc:
        raise error(409, "conflict", str(exc))
    except ValueError as exc:
        raise error(400, "bad_request", str(exc))


# -- sessions --------------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    data = await body(request)
    username, password = data.get("username"), data.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise error(400, "bad_field", "username and password are required")
    username = username.strip()[:MAX_FIELD]
    password = password[:MAX_FIELD]
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
    await require_agent(request)
    token = bearer(request) or ""
    await service_of(request).db(accounts.logout, token)
    await service_of(request).hub.close_session(accounts.session_key(token))
    resp = web.json_response({"ok": True})
    resp.del_cookie(SESSION_COOKIE)
    return resp


async def me(request: web.Request) -> web.Response:
    return web.json_response(accounts.agent_view(await require_agent(request)))


# -- tickets ---------------------------------------------------------------------------
async def list_tickets(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    statuses = [s for s in request.query.get("status", "waiting,transferred").split(",") if s]
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
    agent = await require_agent(request)
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
    agent = await require_agent(request)
    view = await run(request, lambda db: store.ticket_view(store.claim(db, agent, ticket_id(request))))
    service_of(request).hub.publish({"type": "ticket.updated", "change": "claimed",
                                     "ticket": view}, queue=view["queue"])
    return web.json_response(view)


async def post_message(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data = await body(request)
    text = text_field(data, "text")
    client_id = str(data.get("client_id") or uuid.uuid4().hex)[:64]
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
    agent = await require_agent(request)
    tid = ticket_id(request)

    def work(db):
        store.visible_ticket(db, agent, tid)
        return [store.message_view(m) for m in store.history(db, tid)[0]]
    return web.json_response({"messages": await run(request, work)})


async def transfer(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data = await body(request)
    queue, note = text_field(data, "queue"), text_field(data, "note")
    old = {}

    def work(db):
        old["queue"] = store.visible_ticket(db, agent, ticket_id(request)).queue
        return store.ticket_view(store.transfer(db, agent, ticket_id(request), queue, note))
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
    agent = await require_agent(request)
    data = await body(request) if request.can_read_body else {}
    code = str(data.get("code") or "resolved")[:32]
    note = str(data.get("note") or "")[:MAX_TEXT]
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
    agent = await require_agent(request)
    data = await body(request)
    if not isinstance(data.get("agent_id"), int):
        raise error(400, "bad_field", "'agent_id' must be an integer")
    view = await run(request, lambda db: store.ticket_view(
        store.assign(db, agent, ticket_id(request), data["agent_id"])))
    service_of(request).hub.publish({"type": "ticket.updated", "change": "assigned",
                                     "ticket": view}, queue=view["queue"],
                                    agent_ids=[view["assignee_id"]])
    return web.json_response(view)


async def list_agents(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    if agent.role != "supervisor":
        raise error(403, "forbidden", "only supervisors list agents")
    hub = service_of(request).hub
    online = {s.agent_id for s in hub.subscribers}
    rows = await run(request, lambda db: [dict(accounts.agent_view(a), online=a.id in online)
                                          for a in store.list_agents(db)])
    return web.json_response({"agents": rows})


async def add_note(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    text = text_field(await body(request), "text")
    event = await run(request, lambda db: (store.event_view(
        store.add_note(db, agent, ticket_id(request), text)),
        store.get_ticket(db, ticket_id(request)).queue))
    view, queue = event
    service_of(request).hub.publish({"type": "ticket.note", "event": view}, queue=queue)
    return web.json_response(view, status=201)


async def queues(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    rows = await run(request, lambda db: [store.ticket_view(r) for r in store.list_tickets(
        db, agent, OPEN_STATUSES)])
    hub = service_of(request).hub
    summary = {q: {"waiting": 0, "in_progress": 0, "agents_online": hub.online_for(q)}
               for q in QUEUES if agent.role == "supervisor" or q in (agent.queues or [])}
    for row in rows:
        key = "waiting" if row["status"] in ("waiting", "transferred") else "in_progress"
        summary[row["queue"]][key] += 1
    return web.json_response({"queues": summary})


# -- live events -------------------------------------------------------------------------
async def websocket(request: web.Request) -> web.WebSocketResponse:
    agent = await require_agent(request)
    ws = web.WebSocketResponse(heartbeat=30)
    await ws.prepare(request)
    hub = service_of(request).hub
    sub = Subscriber(ws=ws, agent_id=agent.id, role=agent.role, queues=set(agent.queues or []),
                     session=accounts.session_key(bearer(request) or ""))
    await ws.send_json({"type": "hello", "agent": accounts.agent_view(agent)})
    hub.add(sub)
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
