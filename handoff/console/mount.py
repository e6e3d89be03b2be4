"""Mounting of the agent console under /console on the handoff service.

`setup_console(app)` mounts it (called once from handoff.routes.add_routes). Pages are
Jinja2 (autoescaped), scripts are small vanilla JS served from handoff/static. The JSON calls
and the WebSocket under /console/api and /console/ws are the agents' API handlers themselves,
mounted by the route table (handoff.routes, `console=`) behind the console's cookie session
and CSRF check (handoff.access).
"""
from __future__ import annotations

from typing import Optional

import aiohttp_session
from aiohttp import web

from handoff.config import PACKAGE_DIR
from handoff.console import aftersales_console, kb_console, pages
from handoff.console.auth import ConsoleCookieStorage
from handoff.console.settings import ConsoleSettings
from handoff.console.common import CONSOLE_SETTINGS, PREFIX
from handoff.lockout import LOCKOUT, Lockout
from handoff.service import SERVICE

# No inline script or style anywhere: a shopper's text can never become code.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _ours(request: web.Request) -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@web.middleware
async def page_headers(request: web.Request, handler):
    response = await handler(request)
    if _ours(request):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def scoped_sessions(storage: ConsoleCookieStorage):
    """aiohttp-session's middleware, only for console paths (the JSON API has its own auth)."""
    inner = aiohttp_session.session_middleware(storage)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if not _ours(request):
            return await handler(request)
        return await inner(request, handler)
    return middleware


def setup_console(app: web.Application, settings: Optional[ConsoleSettings] = None) -> None:
    """Register the console on the service's own router under /console.

    Not a sub-application: aiohttp 3.9 resolves sub-apps through `request.url`, which the
    yarl pinned beside Rasa rejects for hosts with a port.
    """
    settings = settings or ConsoleSettings.from_env()
    service = app[SERVICE]
    app[CONSOLE_SETTINGS] = settings
    app[LOCKOUT] = Lockout(service.redis, service.settings.redis_prefix,
                           settings.lockout_attempts, settings.lockout_minutes,
                           settings.lockout_address_attempts)
    storage = ConsoleCookieStorage(settings.secret_key, settings.cookie_secure,
                                   int(settings.session_hours * 3600))
    app.middlewares.extend([page_headers, scoped_sessions(storage)])

    r = app.router
    r.add_get(PREFIX, pages.index)
    r.add_get(PREFIX + "/", pages.index)
    r.add_get(PREFIX + "/login", pages.login_form)
    r.add_post(PREFIX + "/login", pages.login)
    r.add_post(PREFIX + "/logout", pages.logout)
    r.add_get(PREFIX + "/queue", pages.queue_page)
    r.add_get(PREFIX + "/tickets/{ticket_id}", pages.ticket_page)
    r.add_get(PREFIX + "/dashboard", pages.dashboard_page)
    kb_console.setup(app)  # pages of the knowledge-base editor and of quality review
    aftersales_console.setup(app)  # pages of cases and approvals
    r.add_static(PREFIX + "/static", PACKAGE_DIR / "static")
