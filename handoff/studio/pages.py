"""The studio's console page and its JSON calls (session + CSRF, then the studio's API)."""
from __future__ import annotations

from aiohttp import web

from handoff.agents import can_design
from handoff.console.common import PREFIX, page_agent, render
from handoff.console.kb_console import _delegate
from handoff.studio import api


async def studio_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    if not can_design(agent):
        return render(request, session, "error.html", agent, status=403, message="forbidden")
    return render(request, session, "studio.html", agent)


def setup(app: web.Application) -> None:
    app[api.TRAINER] = api.make_trainer(app)

    async def stop_training(_app: web.Application) -> None:
        task = app[api.TRAINER].task
        if task is not None and not task.done():
            task.cancel()
    app.on_cleanup.append(stop_training)
    r = app.router
    r.add_get(PREFIX + "/studio", studio_page)
    base = PREFIX + "/api/designer"
    r.add_get(base + "/conversations", _delegate(api.conversations))
    r.add_get(base + "/conversations/{conversation_id}", _delegate(api.conversation))
    r.add_put(base + "/conversations/{conversation_id}/tags", _delegate(api.set_tags, write=True))
    r.add_post(base + "/turns/{turn_id}/correction", _delegate(api.correct_turn, write=True))
    r.add_get(base + "/vocabulary", _delegate(api.vocabulary))
    r.add_post(base + "/training/preview", _delegate(api.preview, write=True))
    r.add_post(base + "/training/apply", _delegate(api.apply, write=True))
    r.add_post(base + "/train", _delegate(api.start_training, write=True))
    r.add_get(base + "/train/{job_id}", _delegate(api.training_job))
    r.add_post(base + "/train/{job_id}/accept", _delegate(api.accept, write=True))
