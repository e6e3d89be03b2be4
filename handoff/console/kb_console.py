"""Console pages and JSON calls of the knowledge-base editor, the metrics charts, live
assist and quality review.

JSON calls check the console session (and CSRF on writes), then run the agents' API handler
under the session's token, exactly like handoff.console.api: same rules, one implementation.
"""
from __future__ import annotations

from aiohttp import web

from handoff.console.api import _as_api, _session_token
from handoff.assist import api as assist
from handoff.console.common import PREFIX, page_agent, render
from handoff.kb import api as kb
from handoff.metrics import api as metrics
from handoff.quality import api as quality


def _delegate(handler, write: bool = False):
    async def call(request: web.Request) -> web.StreamResponse:
        token, _ = await _session_token(request, post=write)
        return await handler(_as_api(request, token))
    call.__name__ = f"console_{handler.__name__}"
    return call


async def kb_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    if agent.role != "supervisor":
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    return render(request, session, "kb.html", agent,
                  question=request.query.get("question", "")[:200])


async def quality_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    if agent.role != "supervisor":
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    return render(request, session, "quality.html", agent)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(PREFIX + "/kb", kb_page)
    r.add_get(PREFIX + "/api/kb/articles", _delegate(kb.list_articles))
    r.add_post(PREFIX + "/api/kb/articles", _delegate(kb.create_article, write=True))
    r.add_get(PREFIX + "/api/kb/articles/{article_id}", _delegate(kb.get_article))
    r.add_put(PREFIX + "/api/kb/articles/{article_id}", _delegate(kb.update_article, write=True))
    r.add_delete(PREFIX + "/api/kb/articles/{article_id}",
                 _delegate(kb.delete_article, write=True))
    r.add_get(PREFIX + "/api/kb/search", _delegate(kb.search_articles))
    r.add_get(PREFIX + "/api/kb/misses", _delegate(kb.list_misses))
    r.add_get(PREFIX + "/api/metrics", _delegate(metrics.metrics))
    r.add_get(PREFIX + "/api/metrics.csv", _delegate(metrics.metrics_csv))
    r.add_get(PREFIX + "/quality", quality_page)
    r.add_get(PREFIX + "/api/quality/reviews", _delegate(quality.review_queue))
    r.add_post(PREFIX + "/api/quality/reviews/{ticket_id}", _delegate(quality.verdict, write=True))
    r.add_get(PREFIX + "/api/tickets/{ticket_id}/quality", _delegate(quality.ticket_quality))
    r.add_get(PREFIX + "/api/tickets/{ticket_id}/assist", _delegate(assist.suggestions))
    r.add_post(PREFIX + "/api/tickets/{ticket_id}/assist/used",
               _delegate(assist.suggestion_used, write=True))
