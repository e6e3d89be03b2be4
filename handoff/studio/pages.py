"""The studio's console page and its training jobs; its JSON calls are the studio's API handlers,
mounted under /console/api by the route table (handoff.routes, `console=`)."""
from __future__ import annotations

from aiohttp import web

from handoff.agents import can_design
from handoff.console.common import PREFIX, role_page
from handoff.studio import api


async def studio_page(request: web.Request) -> web.Response:
    return await role_page(request, "studio.html", allowed=can_design)


def setup(app: web.Application) -> None:
    app[api.TRAINER] = api.make_trainer(app)

    async def stop_training(_app: web.Application) -> None:
        task = app[api.TRAINER].task
        if task is not None and not task.done():
            task.cancel()
    app.on_cleanup.append(stop_training)
    r = app.router
    r.add_get(PREFIX + "/studio", studio_page)
