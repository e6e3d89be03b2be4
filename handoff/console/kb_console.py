"""Console pages of the knowledge-base editor and of quality review.

Their JSON calls (articles, search, misses, metrics, assist, quality) are the agents' API
handlers, mounted under /console/api by the route table (handoff.routes).
"""
from __future__ import annotations

from aiohttp import web

from handoff.console.common import PREFIX, role_page


async def kb_page(request: web.Request) -> web.Response:
    return await role_page(request, "kb.html", question=request.query.get("question", "")[:200])


async def quality_page(request: web.Request) -> web.Response:
    return await role_page(request, "quality.html")


def setup(app: web.Application) -> None:
    app.router.add_get(PREFIX + "/kb", kb_page)
    app.router.add_get(PREFIX + "/quality", quality_page)
