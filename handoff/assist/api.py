"""Agents' API of live assist: suggestions for a ticket's shopper message, and the count of
suggestions used."""
from __future__ import annotations

from typing import Any, Dict

from aiohttp import web
from sqlalchemy import select

from common.kb_links import public_url
from handoff import store
from handoff.api_agents import body, error, require_agent, run, ticket_id
from handoff.assist import emotion, policy, suggest
from handoff.db import Message

KINDS = ("kb", "faq", "policy", "phrase")


async def suggestions(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    tid = ticket_id(request)
    wanted = request.query.get("message_id")
    if wanted is not None and not wanted.isdigit():
        raise error(400, "bad_message_id", "'message_id' must be a message id")

    def work(db) -> Dict[str, Any]:
        row = store.visible_ticket(db, agent, tid)
        query = select(Message).where(Message.ticket_id == tid, Message.role == "shopper")
        if wanted is not None:
            query = query.where(Message.id == int(wanted))
        msg = db.execute(query.order_by(Message.id.desc()).limit(1)).scalar_one_or_none()
        payload = row.payload or {}
        if msg is not None:
            text, mid = msg.text, msg.id
        else:  # no message since the hand-over: the shopper's last words to the bot
            last = [e for e in payload.get("transcript") or [] if e.get("role") == "shopper"]
            text, mid = (last[-1].get("text") or "") if last else "", None
        feeling = emotion.of_message(db, tid, mid) or {
            "label": (payload.get("emotion") or {}).get("current") or "neutral"}
        negative = bool(feeling.get("negative")) or feeling["label"] in (
            "angry", "anxious", "sad", "disappointed")
        lines = policy.card(payload.get("order"), row.language)
        ranked = suggest.suggest(db, text, row.language, lines, negative,
                                 row.first_response_at is None, public_url())
        return {"ticket_id": tid, "message": {"id": mid, "text": text},
                "emotion": feeling, "suggestions": [s.view() for s in ranked],
                "policy": [line.view() for line in lines]}
    return web.json_response(await run(request, work))


async def suggestion_used(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data = await body(request)
    kind, ref = data.get("kind"), data.get("ref")
    if kind not in KINDS or not isinstance(ref, str) or not 0 < len(ref) <= 128:
        raise error(400, "bad_suggestion", f"'kind' must be one of {list(KINDS)}, 'ref' a string")
    edited = bool(data.get("edited"))

    def work(db):
        row = store.visible_ticket(db, agent, ticket_id(request))
        store.record(db, row, "assist_used", agent.username, source=kind, ref=ref,
                     edited=edited)
        return {"ok": True}
    return web.json_response(await run(request, work), status=201)
