"""The studio over the agents' API: designers and supervisors only (403 for other agents).
Bodies are validated by the route table's models (handoff.studio.bodies)."""
from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from aiohttp import web

from handoff.agents import can_design
from handoff.api_agents import error, require_agent, run
from handoff.bodies import body_of
from handoff.conversations import masking
from handoff.db import Agent
from handoff.service import SETTINGS
from handoff.studio import training, views
from handoff.studio.bodies import DesignerChange, DesignerCorrection
from handoff.studio.jobs import CODE_ROOT, Trainer
from handoff.conversations.tables import StudioConversation, StudioTurn
from handoff.studio.writer import Project, WriteError

TRAINER = web.AppKey("studio_trainer", Trainer)
# Rasa's own actions, which no domain lists
RASA_ACTIONS = {"action_listen", "action_restart", "action_default_fallback",
                "action_deactivate_loop", "action_two_stage_fallback", "action_back",
                "action_unlikely_intent", "action_session_start"}


def project_root() -> Path:
    return Path(os.environ.get("STUDIO_PROJECT_DIR") or CODE_ROOT)


def make_trainer(app: web.Application) -> Trainer:
    """Settings from the environment: STUDIO_PROJECT_DIR (the designer's files, default this
    checkout), STUDIO_CANDIDATES_DIR, STUDIO_CURRENT_MODEL (what the running bot serves)."""
    settings, root = app[SETTINGS], project_root()
    return Trainer(
        root, Path(os.environ.get("STUDIO_CANDIDATES_DIR") or root / "models" / "candidates"),
        Path(os.environ.get("STUDIO_CURRENT_MODEL") or root / "models" / "frontline.tar.gz"),
        settings.rasa_url, settings.rasa_token)


def trainer(request: web.Request) -> Trainer:
    return request.app[TRAINER]


async def designer(request: web.Request) -> Agent:
    agent = await require_agent(request)
    if not can_design(agent):
        raise error(403, "forbidden", "only designers and supervisors use the studio")
    return agent


async def conversations(request: web.Request) -> web.Response:
    await designer(request)
    try:
        filters = views.Filters.parse(request.query)
    except views.BadFilter as exc:
        raise error(400, "bad_filter", str(exc))
    found = await run(request, lambda db: views.search(db, filters))
    return web.json_response({"conversations": found})


async def conversation(request: web.Request) -> web.Response:
    await designer(request)
    cid = request.match_info["conversation_id"]

    def work(db):
        conv = db.get(StudioConversation, cid)
        if conv is None:
            raise error(404, "not_found", "no such conversation")
        return views.conversation_view(conv, views.turns_of(db, [cid])[cid], time.time())
    return web.json_response(await run(request, work))


async def correct_turn(request: web.Request) -> web.Response:
    agent = await designer(request)
    data: DesignerCorrection = body_of(request)
    intent, actions = data.intent, data.actions
    entities = [e.dict() for e in data.entities] if data.entities is not None else None
    try:
        turn_id = int(request.match_info["turn_id"])
    except ValueError:
        raise error(404, "not_found", "no such turn")
    project = Project(project_root())
    known, actions_known = await asyncio.to_thread(
        lambda: (project.domain_intents(), project.domain_actions()))
    if intent and intent.split("/")[0] not in known:
        raise error(400, "unknown_intent", f"intent {intent!r} is not in domain.yml")
    unknown = [a for a in actions or [] if a not in actions_known and a not in RASA_ACTIONS]
    if unknown:
        raise error(400, "unknown_action", f"not in domain.yml: {', '.join(unknown)}")

    def work(db):
        turn = db.get(StudioTurn, turn_id)
        if turn is None or turn.role != "shopper":
            raise error(404, "not_found", "no such shopper turn")
        pieces = masking.from_lists(turn.pieces)
        for ent in entities or []:
            if masking.to_safe_span(pieces, ent["value"]) is None:
                raise error(400, "bad_entity", f"'{ent['value']}' is not in the message")
        turn.corrected_intent = intent or turn.corrected_intent
        if entities is not None:
            turn.corrected_entities = entities
        if actions is not None:
            turn.corrected_actions = actions
        turn.corrected_by = agent.username
        return views.turn_view(turn)
    return web.json_response(await run(request, work))


async def set_tags(request: web.Request) -> web.Response:
    await designer(request)
    tags = body_of(request).tags
    clean = sorted({masking.mask_free_text(t) for t in tags})

    def work(db):
        conv = db.get(StudioConversation, request.match_info["conversation_id"])
        if conv is None:
            raise error(404, "not_found", "no such conversation")
        conv.tags = clean
        return {"id": conv.id, "tags": clean}
    return web.json_response(await run(request, work))


async def _changes(request: web.Request, write: bool) -> web.Response:
    await designer(request)
    data: DesignerChange = body_of(request)
    project = Project(project_root())

    def work(db):
        try:
            changes = training.stage(db, project, data)
        except WriteError as exc:
            raise error(400, "cannot_write", str(exc))
        if write:
            for change in changes:
                project.write(change)
        return {"written": write, "changes": [c.to_dict() for c in changes]}
    return web.json_response(await run(request, work))


async def preview(request: web.Request) -> web.Response:
    return await _changes(request, write=False)


async def apply(request: web.Request) -> web.Response:
    return await _changes(request, write=True)


async def vocabulary(request: web.Request) -> web.Response:
    await designer(request)
    project = Project(project_root())
    intents, entities = await asyncio.to_thread(
        lambda: (project.domain_intents() + project.retrieval_intents(),
                 project.domain_entities()))
    return web.json_response({"intents": intents, "entities": entities})


async def start_training(request: web.Request) -> web.Response:
    agent = await designer(request)
    jobs = trainer(request)
    if jobs.busy():
        raise error(409, "busy", "a training is already running")
    return web.json_response(jobs.start(agent.username).to_dict(), status=201)


def _job(request: web.Request):
    job = trainer(request).jobs.get(request.match_info["job_id"])
    if job is None:
        raise error(404, "not_found", "no such training job")
    return job


async def training_job(request: web.Request) -> web.Response:
    await designer(request)
    return web.json_response(_job(request).to_dict())


async def accept(request: web.Request) -> web.Response:
    await designer(request)
    job = _job(request)
    if job.status != "ready":
        raise error(409, "not_ready", f"the job is {job.status}")
    try:
        await trainer(request).accept(job)
    except RuntimeError as exc:
        raise error(409, "rasa_refused", str(exc))
    return web.json_response(job.to_dict())
