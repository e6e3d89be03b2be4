"""Quality inspection over the agents' API: a ticket's score and rule hits, the supervisors'
review queue and verdicts."""
from __future__ import annotations

from aiohttp import web

from handoff import store
from handoff.api_agents import body, error, require_agent, run, ticket_id
from handoff.db import Agent
from handoff.quality import rules as quality_rules
from handoff.quality import store as quality


def _supervisor(agent: Agent) -> None:
    if agent.role != "supervisor":
        raise error(403, "forbidden", "only supervisors review quality")


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "zh"


async def ticket_quality(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    tid, lang = ticket_id(request), _lang(request)
    rules = quality_rules.load()

    def work(db):
        row = store.visible_ticket(db, agent, tid)
        return quality.view(quality.result(db, row, rules), rules, lang)
    return web.json_response(await run(request, work))


async def review_queue(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    reviewed = request.query.get("status") == "reviewed"
    rules, lang = quality_rules.load(), _lang(request)

    def work(db):
        quality.inspect_resolved(db, rules)
        out = []
        for found in quality.review_queue(db, reviewed):
            row = store.get_ticket(db, found.ticket_id)
            out.append({**quality.view(found, rules, lang), "ticket": store.ticket_view(row)})
        return out
    return web.json_response({"reviews": await run(request, work)})


async def verdict(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    data = await body(request)
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise error(400, "bad_field", "'note' must be a string")
    rules, tid = quality_rules.load(), ticket_id(request)
    found = await run(request, lambda db: quality.view(quality.judge(
        db, tid, str(data.get("verdict")), note, agent.username, rules), rules, _lang(request)))
    return web.json_response(found)
