"""Console pages: login/logout, queue, ticket view, supervisors' dashboard."""
from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta, timezone
from typing import Any, Dict, Tuple

from aiohttp import web

from handoff import agents as accounts
from handoff import store
from handoff.console import actions, stats
from handoff.console.auth import CSRF_FIELD, check_csrf, start_session
from handoff.console.canned import bundle as canned_bundle
from handoff.console.common import (CONSOLE_SETTINGS, LOCKOUT, PREFIX, page_agent,
                                 render, safe_next)
from handoff.lockout import Lockout, retry_headers
from handoff.service import SERVICE

MAX_FIELD = 200


async def index(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"{PREFIX}/queue")


async def login_form(request: web.Request) -> web.Response:
    from aiohttp_session import get_session
    session = await get_session(request)
    return render(request, session, "login.html", next=safe_next(request.query.get("next")),
                  error=None, username="")


async def login(request: web.Request) -> web.Response:
    from aiohttp_session import get_session
    session = await get_session(request)
    form = await request.post()
    await check_csrf(request, session, str(form.get(CSRF_FIELD, "")))
    username = str(form.get("username", ""))[:MAX_FIELD].strip()
    password = str(form.get("password", ""))[:MAX_FIELD]
    target = safe_next(str(form.get("next", "")))
    lockout: Lockout = request.app[LOCKOUT]
    svc = request.app[SERVICE]

    def fail(key: str, seconds: int = 0, **values: Any) -> web.Response:
        response = render(request, session, "login.html", status=429 if seconds else 401,
                          next=target, error=(key, values), username=username)
        if seconds:
            response.headers.update(retry_headers(seconds))
        return response
    if not username or not password:
        return fail("bad_credentials")
    address = request.remote
    attempt = await lockout.begin(username, address)
    if not attempt.allowed:
        key = "locked_address" if attempt.scope == "address" else "locked"
        return fail(key, attempt.retry_after, minutes=max(1, round(attempt.retry_after / 60)))
    hours = request.app[CONSOLE_SETTINGS].session_hours
    result = await svc.db(accounts.login, username, password, hours)
    if result is None:
        if attempt.last:
            return fail("locked", lockout.seconds, minutes=max(1, round(lockout.seconds / 60)))
        return fail("bad_credentials")
    await lockout.succeeded(username, address)
    token, agent = result
    await start_session(request, token, agent)
    raise web.HTTPFound(target)


async def logout(request: web.Request) -> web.Response:
    from aiohttp_session import get_session
    session = await get_session(request)
    form = await request.post()
    await check_csrf(request, session, str(form.get(CSRF_FIELD, "")))
    token = session.get("token")
    if token:
        await request.app[SERVICE].db(accounts.logout, token)  # the API token dies too
        await request.app[SERVICE].hub.close_session(accounts.session_key(token))
    lang = session.get("lang")
    session.invalidate()
    response = web.HTTPFound(f"{PREFIX}/login" + (f"?lang={lang}" if lang else ""))
    raise response


async def queue_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    every = request.app[SERVICE].routing.queues
    queues = list(every) if agent.role == "supervisor" else list(agent.queues or [])
    return render(request, session, "queue.html", agent, queues=queues)


def _ticket_context(db, agent, ticket_id: int) -> Dict[str, Any]:
    row = store.visible_ticket(db, agent, ticket_id)
    msgs, events = store.history(db, ticket_id)
    view = store.ticket_view(row, full=True)
    assignee = db.get(type(agent), row.assignee_id) if row.assignee_id else None
    return {
        "ticket": view, "payload": view["ticket"],
        "messages": [store.message_view(m) for m in msgs],
        "events": [store.event_view(e) for e in events],
        "assignee": assignee.display_name if assignee else None,
        "agents": actions.eligible_agents(db, row) if agent.role == "supervisor" else [],
    }


async def ticket_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    try:
        tid = int(request.match_info["ticket_id"])
        context = await request.app[SERVICE].db(_ticket_context, agent, tid)
    except (ValueError, store.NotFound):
        return render(request, session, "error.html", agent, status=404, message="not_found")
    except store.Forbidden:
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    return render(request, session, "ticket.html", agent, canned=canned_bundle(),
                  queues=list(request.app[SERVICE].routing.queues), **context)


def period(query) -> Tuple[datetime, datetime, str, str]:
    """[from, to] as whole days in UTC; default the last 7 days."""
    today = datetime.now(timezone.utc).date()
    try:
        end_day = datetime.strptime(query.get("to", ""), "%Y-%m-%d").date()
    except ValueError:
        end_day = today
    try:
        start_day = datetime.strptime(query.get("from", ""), "%Y-%m-%d").date()
    except ValueError:
        start_day = end_day - timedelta(days=6)
    if start_day > end_day:
        start_day, end_day = end_day, start_day
    start = datetime.combine(start_day, time.min, tzinfo=timezone.utc)
    end = datetime.combine(end_day + timedelta(days=1), time.min, tzinfo=timezone.utc)
    return start, end, start_day.isoformat(), end_day.isoformat()


async def dashboard_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    if agent.role != "supervisor":
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    start, end, start_s, end_s = period(request.query)
    svc = request.app[SERVICE]

    def work():
        with svc.maker() as db:
            return stats.dashboard(db, start, end)
    dash = await asyncio.to_thread(work)
    return render(request, session, "dashboard.html", agent, dash=dash, start=start_s,
                  end=end_s)
