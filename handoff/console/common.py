"""Shared plumbing of the console pages: Jinja2 (autoescape always on), the page context,
language choice and the login guard."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Dict, Optional, Tuple
from urllib.parse import quote

from aiohttp import web
from aiohttp_session import Session
from jinja2 import Environment, FileSystemLoader

from handoff import agents as accounts
from handoff.config import PACKAGE_DIR
from handoff.console.auth import csrf_token, current_agent
from handoff.console.i18n import Translator, pick_language
from handoff.db import Agent
from handoff.lockout import LOCKOUT  # noqa: F401  (the console sets it up; the API uses it too)

CONSOLE_SETTINGS = web.AppKey("console_settings", object)
PREFIX = "/console"


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Autoescape everything: every value on a console page may come from a shopper.
    # The i18n extension gives templates `_()` / `{% trans %}`, resolved per page through the
    # `gettext` of the page's language (see render()).
    return Environment(loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
                       autoescape=True, trim_blocks=True, lstrip_blocks=True,
                       extensions=["jinja2.ext.i18n"])


def language(request: web.Request, session: Session) -> str:
    lang = pick_language(session.get("lang"), request.query.get("lang"),
                         request.headers.get("Accept-Language", ""))
    if request.query.get("lang") == lang:
        session["lang"] = lang  # remember an explicit switch
    return lang


def safe_next(target: Optional[str]) -> str:
    """Only redirect to our own console pages (no open redirect)."""
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") \
            and "\\" not in target:
        return target
    return PREFIX + "/queue"


def render(request: web.Request, session: Session, name: str, agent: Optional[Agent] = None,
           status: int = 200, **context: Any) -> web.Response:
    lang = language(request, session)
    t = Translator(lang)
    page: Dict[str, Any] = dict(
        t=t, gettext=t.gettext, ngettext=t.ngettext, lang=lang, other_lang="en" if lang == "zh" else "zh", csrf=csrf_token(session),
        agent=accounts.agent_view(agent) if agent else None, path=request.path,
        bundle=t.bundle(), prefix=PREFIX, **context)
    html = environment().get_template(f"console/{name}").render(page)
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


async def page_agent(request: web.Request) -> Tuple[Session, Agent]:
    """The logged-in agent of a page request, else a redirect to the login page."""
    session, agent = await current_agent(request)
    if agent is None:
        target = quote(request.path_qs, safe="/?=&")
        raise web.HTTPFound(f"{PREFIX}/login?next={target}")
    return session, agent


def is_supervisor(agent: Agent) -> bool:
    return agent.role == "supervisor"


async def role_page(request: web.Request, name: str,
                    allowed: Callable[[Agent], bool] = is_supervisor,
                    **context: Any) -> web.Response:
    """A page only some roles may open (supervisors unless told): the others see 403."""
    session, agent = await page_agent(request)
    if not allowed(agent):
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    return render(request, session, name, agent, **context)
