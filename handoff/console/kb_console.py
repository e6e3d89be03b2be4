"""Console pages of the knowledge-base editor and of quality review.

Their JSON calls (articles, search, misses, metrics, assist, quality) are the agents' API
handlers, mounted under /console/api by the route table (handoff.routes).
"""
from __future__ import annotations

from aiohttp import web

from handoff.console.common import PREFIX, page_agent, render


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
    app.router.add_get(PREFIX + "/kb", kb_page)
    app.router.add_get(PREFIX + "/quality", quality_page)
