"""Console sessions and CSRF (the login lock-out is handoff.lockout, shared with the API).

The session is an encrypted cookie (aiohttp-session + Fernet) holding the agents' API bearer
token, so the browser never sees the token and every console call is an agents' API call
under that token. Each session carries a random CSRF token that every POST must echo back
(form field or X-CSRF-Token header); POSTs and the WebSocket also must come from our origin.
"""
from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Optional, Tuple
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import Session, get_session, new_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from handoff import agents as accounts
from handoff.db import Agent
from handoff.service import SERVICE

COOKIE_NAME = "frontline_console"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"
AGENT_KEY = "console_agent"


def _loopback(host: str) -> bool:
    host = urlsplit("//" + host).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConsoleCookieStorage(EncryptedCookieStorage):
    """Encrypted cookie whose Secure flag is decided per request in "auto" mode."""

    def __init__(self, key: bytes, secure_mode: str, max_age: int) -> None:
        super().__init__(key, cookie_name=COOKIE_NAME, httponly=True, samesite="Lax",
                         max_age=max_age, path="/", secure=secure_mode == "1")
        self.secure_mode = secure_mode

    async def save_session(self, request: web.Request, response: web.StreamResponse,
                           session: Session) -> None:
        if self.secure_mode == "auto":
            # Set and used synchronously inside super().save_session: no interleaving.
            self._cookie_params["secure"] = request.secure or _loopback(request.host)
        await super().save_session(request, response, session)


def csrf_token(session: Session) -> str:
    if not session.get("csrf"):
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def same_origin(request: web.Request) -> bool:
    """Origin (or Referer) must name this host; browsers always send one on POST/WS."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    return urlsplit(source).netloc == request.host


async def check_csrf(request: web.Request, session: Session,
                     submitted: Optional[str] = None) -> None:
    expected = session.get("csrf") or ""
    given = submitted if submitted is not None else request.headers.get(CSRF_HEADER, "")
    if not expected or not hmac.compare_digest(str(expected), str(given or "")) \
            or not same_origin(request):
        raise web.HTTPForbidden(text="CSRF check failed")


async def current_agent(request: web.Request) -> Tuple[Session, Optional[Agent]]:
    """The session and its agent (None when not logged in or the token was revoked)."""
    session = await get_session(request)
    if AGENT_KEY in request:
        return session, request[AGENT_KEY]
    token = session.get("token")
    agent = None
    if token:
        agent = await request.app[SERVICE].db(accounts.authenticate, token)
        if agent is None:  # expired or revoked on the server: forget it here too
            session.pop("token", None)
    request[AGENT_KEY] = agent
    return session, agent


async def start_session(request: web.Request, token: str, agent: Agent) -> Session:
    """A fresh session (new id, new CSRF token) on login: no session fixation."""
    old = await get_session(request)
    lang = old.get("lang")
    session = await new_session(request)
    session["token"] = token
    session["agent_id"] = agent.id
    session["csrf"] = secrets.token_urlsafe(24)
    if lang:
        session["lang"] = lang
    return session
