"""Knowledge base over HTTP: supervisors edit (agents' API), agents search, the bot asks
(signed like every bot->service call), shoppers read an article at /kb/{id}."""
from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, Dict

from aiohttp import web

from common.ticket import utcnow
from handoff.api_agents import body, error, require_agent, run, service_of
from handoff.api_bot import verified_body
from handoff.db import Agent
from handoff.kb import store
from handoff.kb.render import article_page

MAX_QUESTION = 500


def _supervisor(agent: Agent) -> None:
    if agent.role != "supervisor":
        raise error(403, "forbidden", "only supervisors edit the knowledge base")


def _article_id(request: web.Request) -> int:
    try:
        return int(request.match_info["article_id"])
    except ValueError:
        raise error(404, "not_found", "no such article")


def _input(data: Dict[str, Any]) -> store.ArticleInput:
    try:
        return store.ArticleInput.parse(data)
    except ValueError as exc:
        raise error(400, "bad_article", str(exc))


async def list_articles(request: web.Request) -> web.Response:
    await require_agent(request)
    lang = request.query.get("language") or None
    rows = await run(request, lambda db: [store.article_view(r, snippet=True)
                                          for r in store.list_articles(db, lang)])
    return web.json_response({"articles": rows})


async def get_article(request: web.Request) -> web.Response:
    await require_agent(request)
    aid = _article_id(request)
    return web.json_response(await run(request, lambda db: store.article_view(store.get(db, aid))))


async def create_article(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    data = _input(await body(request))
    view = await run(request, lambda db: store.article_view(store.create(db, data,
                                                                         agent.username)))
    return web.json_response(view, status=201)


async def update_article(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    aid, data = _article_id(request), _input(await body(request))
    view = await run(request, lambda db: store.article_view(store.update(db, aid, data,
                                                                         agent.username)))
    return web.json_response(view)


async def delete_article(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    aid = _article_id(request)
    await run(request, lambda db: store.remove(db, aid))
    return web.json_response({"ok": True})


def _hits(db, question: str, language, limit: int = 5):
    return [{"article": store.article_view(h.article, snippet=True),
             "confidence": h.confidence, "confident": h.confident}
            for h in store.find(db, question, language, limit)]


async def search_articles(request: web.Request) -> web.Response:
    await require_agent(request)
    question = request.query.get("q", "")[:MAX_QUESTION]
    lang = request.query.get("language") or None
    return web.json_response({"hits": await run(request, _hits, question, lang)})


async def list_misses(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    _supervisor(agent)
    try:
        days = max(1, min(int(request.query.get("days", "7")), 366))
    except ValueError:
        raise error(400, "bad_days", "'days' must be a whole number")
    since = utcnow() - timedelta(days=days)
    return web.json_response({"misses": await run(request, store.top_misses, since)})


async def bot_answer(request: web.Request) -> web.Response:
    """The bot's long-tail question: the confident article, else a recorded miss."""
    raw = await verified_body(request)
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise error(400, "bad_json", "the body must be JSON")
    question = data.get("question") if isinstance(data, dict) else None
    language = data.get("language") if isinstance(data, dict) else None
    if not isinstance(question, str) or not question.strip() or len(question) > MAX_QUESTION:
        raise error(400, "bad_question", f"'question' must be 1-{MAX_QUESTION} characters")
    if language not in store.LANGUAGES:
        language = "zh"
    conversation = data.get("conversation_id")
    conversation = conversation if isinstance(conversation, str) else None

    def work(db):
        hits = store.find(db, question, language, limit=1)
        if hits and hits[0].confident:
            return {"article": store.article_view(hits[0].article, snippet=True),
                    "confidence": hits[0].confidence}
        best = hits[0].confidence if hits else None
        store.record_miss(db, question.strip(), language, conversation, best)
        return {"article": None, "confidence": best}
    return web.json_response(await run(request, work))


async def public_article(request: web.Request) -> web.Response:
    """What a shopper's link opens: the article as a small, script-free HTML page."""
    aid = _article_id(request)
    try:
        row = await service_of(request).db(lambda db: store.article_view(store.get(db, aid)))
    except store.NotFound:
        raise web.HTTPNotFound(text="not found")
    response = web.Response(text=article_page(row), content_type="text/html", charset="utf-8")
    response.headers["Content-Security-Policy"] = ("default-src 'none'; style-src 'unsafe-inline';"
                                                   " img-src 'self' https:; base-uri 'none'")
    return response
