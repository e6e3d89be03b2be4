"""Who may call a route, and what it must send, enforced from the route table.

Each route of handoff.routes declares an `Auth` and optionally a body model; the middlewares
here look the matched route up and act before any handler runs:

- `authorize`: public routes pass; bot routes need a valid HMAC signature (401 unsigned, 403
  forged, altered or replayed); agent routes need a live session (401), the declared role
  (403), and, when mounted in the console, the console's cookie session, its CSRF token on
  writes and our own Origin on the WebSocket (403).
- `bodies`: the JSON body is parsed and validated against the route's model (400 with the
  fields at fault); the handler reads it with `handoff.bodies.body_of`.

Handlers read the caller with `agent_of(request)` and the session token with `token_of`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from aiohttp import web
from pydantic import ValidationError

from common import signing
from handoff import agents as accounts
from handoff.bodies import BODY
from handoff.console.auth import check_csrf, current_agent, same_origin
from handoff.db import Agent
from handoff.errors import ApiError
from handoff.service import SERVICE

AGENT = "handoff.agent"  # request key: the authenticated Agent
TOKEN = "handoff.token"  # request key: the session's bearer token
DECLARED = web.AppKey("handoff_declared_routes", dict)  # aiohttp route -> (Route, mount)
SESSION_COOKIE = "handoff_session"
API, CONSOLE = "api", "console"
READS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Auth:
    """public | bot (signed relay of the bot side) | agent (a session; `role` if required)."""
    kind: str
    role: Optional[str] = None

    @classmethod
    def of(cls, value: "Auth | str") -> "Auth":
        """Also the short spellings of a route table line: none, bot, agent, supervisor."""
        if isinstance(value, Auth):
            return value
        return {"none": PUBLIC, "public": PUBLIC, "bot": BOT, "agent": AGENT_SESSION,
                "supervisor": SUPERVISOR, "designer": DESIGNER}[value]

    @property
    def name(self) -> str:
        return self.role or self.kind

    def admits(self, agent_role: str) -> bool:
        if not self.role:
            return True
        # supervisors may use the studio as well (handoff.agents.DESIGNER_ROLES)
        allowed = accounts.DESIGNER_ROLES if self.role == "designer" else (self.role,)
        return agent_role in allowed


PUBLIC = Auth("public")
BOT = Auth("bot")
AGENT_SESSION = Auth("agent")
SUPERVISOR = Auth("agent", "supervisor")
DESIGNER = Auth("agent", "designer")


def declared(request: web.Request) -> Tuple[Any, Optional[str]]:
    """(the route table's Route, "api" | "console") of the matched route, or (None, None)."""
    found = request.app.get(DECLARED, {}).get(request.match_info.route)
    return found if found else (None, None)


def is_declared(request: web.Request) -> bool:
    return declared(request)[0] is not None


def agent_of(request: web.Request) -> Agent:
    return request[AGENT]


def token_of(request: web.Request) -> str:
    return request.get(TOKEN) or ""


def bearer(request: web.Request) -> Optional[str]:
    """The session token from the Authorization header or the session cookie.

    Never from the query string (`?token=`): URLs end up in logs, proxies and browser history.
    A browser's WebSocket handshake carries the cookie.
    """
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(SESSION_COOKIE) or None


async def api_session(request: web.Request) -> Tuple[Agent, str]:
    token = bearer(request)
    agent = await request.app[SERVICE].db(accounts.authenticate, token) if token else None
    if agent is None:
        raise ApiError(401, "unauthenticated", "log in first")
    return agent, token or ""


async def console_session(request: web.Request, websocket: bool) -> Tuple[Agent, str]:
    """The console's encrypted cookie session: the browser never holds the bearer token."""
    session, agent = await current_agent(request)
    if agent is None:
        raise ApiError(401, "unauthenticated", "log in first")
    if websocket:
        # Browsers send cookies on a WebSocket handshake from any site: the Origin must be ours.
        if not same_origin(request):
            raise ApiError(403, "bad_origin", "the console's socket must come from the console")
    elif request.method not in READS:
        await check_csrf(request, session)
    return agent, session["token"]


async def verify_signature(request: web.Request) -> bytes:
    """Refuse unsigned, forged, altered or replayed calls before reading anything else."""
    raw = await request.read()
    settings = request.app[SERVICE].settings
    if signing.SIGNATURE_HEADER not in request.headers:
        raise ApiError(401, "unsigned", "a signed request is required")
    if not signing.verify(settings.token, request.method, request.path, raw,
                           dict(request.headers), settings.signature_skew_seconds):
        raise ApiError(403, "bad_signature", "the request signature is not valid")
    return raw


@web.middleware
async def authorize(request: web.Request, handler):
    route, mount = declared(request)
    if route is None or route.auth.kind == "public":
        return await handler(request)
    if route.auth.kind == "bot":
        await verify_signature(request)
        return await handler(request)
    if mount == CONSOLE:
        agent, token = await console_session(request, websocket=route.status == 101)
    else:
        agent, token = await api_session(request)
    # before the body is read: a caller without the role learns nothing about what it may send
    if not route.auth.admits(agent.role):
        raise ApiError(403, "forbidden", f"only {route.auth.role}s may do this")
    request[AGENT], request[TOKEN] = agent, token
    return await handler(request)


def _problems(exc: ValidationError) -> Tuple[str, list]:
    fields = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "problem": e["msg"]}
              for e in exc.errors()]
    return "; ".join(f"'{f['field']}': {f['problem']}" for f in fields), fields


async def read_json(request: web.Request, limit: Optional[int] = None) -> Any:
    raw = await request.read()
    if limit is not None and len(raw) > limit:
        raise ApiError(400, "too_large", f"the body must be at most {limit} bytes")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_json", "the body must be JSON")


@web.middleware
async def bodies(request: web.Request, handler):
    route, _ = declared(request)
    model = getattr(route, "request", None) if route is not None else None
    if model is None:  # a route without a body
        return await handler(request)
    raw = await request.read()
    if not raw.strip() and route.body_optional:
        data: Any = {}
    else:
        data = await read_json(request, route.max_body)
    if not isinstance(data, dict):
        raise ApiError(400, "bad_json", "the body must be a JSON object")
    try:
        request[BODY] = model.parse_obj(data)
    except ValidationError as exc:
        message, fields = _problems(exc)
        raise ApiError(400, route.invalid, message, fields=fields)
    request[RAW] = data
    return await handler(request)


RAW = "handoff.raw_body"  # request key: the body as sent (dict), for models that keep extras


def raw_body(request: web.Request) -> Dict[str, Any]:
    return request[RAW]
