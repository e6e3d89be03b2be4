"""Quality inspection over the agents' API: a ticket's score and rule hits, the supervisors'
review queue and verdicts."""
from __future__ import annotations

from aiohttp import web

from handoff import store
from handoff.access import agent_of
from handoff.api_agents import run, ticket_id
from handoff.bodies import body_of
from handoff.quality import rules as quality_rules
from handoff.quality import store as quality


def _lang(request: web.Request) -> str:
    return "en" if request.query.get("lang") == "en" else "zh"


async def ticket_quality(request: web.Request) -> web.Response:
    agent, tid, lang = agent_of(request), ticket_id(request), _lang(request)
    rules = quality_rules.load()

    def work(db):
        row = store.visible_ticket(db, agent, tid)
        return quality.view(quality.result(db, row, rules), rules, lang)
    return web.json_response(await run(request, work))


async def review_queue(request: web.Request) -> web.Response:
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
    agent, data = agent_of(request), body_of(request)
    rules, tid = quality_rules.load(), ticket_id(request)
    found = await run(request, lambda db: quality.view(quality.judge(
        db, tid, data.verdict, data.note, agent.username, rules), rules, _lang(request)))
    return web.json_response(found)
