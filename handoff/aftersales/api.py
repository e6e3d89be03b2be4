"""HTTP handlers of after-sales work: cases, compensation, customer 360 (agents' API), and the
bot's calls (signed like every bot-side call). Bodies are validated by the route table's
models (handoff.aftersales.bodies); each handler: one store call, publish."""
from __future__ import annotations

from typing import Any, Dict

from aiohttp import web

from handoff.aftersales import cases, customer, grants, notify
from handoff.aftersales.authority import matrix
from handoff.aftersales.bodies import (BotCase, CaseChange, CaseInput, CaseLookup,
                                       GrantDecision, GrantInput)
from handoff.aftersales.config import cases_config
from handoff.api_agents import error, require_agent, run, service_of, ticket_id
from handoff.bodies import Note, body_of
from handoff.store import visible_ticket


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise error(404, "not_found", f"no such {name.split('_')[0]}")


async def _notify(request: web.Request, view: Dict[str, Any], event_id: int, note: str) -> None:
    item = notify.relay_item(view, event_id, note)
    if item is not None:
        await service_of(request).enqueue_relay(item)


def _publish(request: web.Request, change: str, view: Dict[str, Any]) -> None:
    service_of(request).hub.publish({"type": "case.updated", "change": change, "case": view},
                                    queue=view["department"], supervisors=True)


# -- customer 360 ---------------------------------------------------------------------------
async def customer_360(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    tid = ticket_id(request)
    return web.json_response(await run(request, customer.view, agent, tid))


async def add_customer_note(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data: Note = body_of(request)
    tid = ticket_id(request)
    note = await run(request, lambda db: customer.note_view(customer.add_note(db, agent, tid,
                                                                              data.text)))
    return web.json_response(note, status=201)


# -- cases --------------------------------------------------------------------------------
async def open_case(request: web.Request) -> web.Response:
    """An agent opens a case for the ticket's customer (progress goes to that conversation)."""
    agent = await require_agent(request)
    data: CaseInput = body_of(request)
    tid = ticket_id(request)

    def work(db):
        row = visible_ticket(db, agent, tid)
        order_id = data.order_id or ((row.payload or {}).get("order") or {}).get("order_id")
        case, _ = cases.open_case(
            db, cases_config(), kind=data.kind, opened_by=agent.username,
            priority=data.priority, customer_id=customer.customer_id_of(row),
            conversation_id=row.conversation_id, order_id=order_id, channel=row.channel,
            language=row.language, description=data.description or "", ticket_id=row.id,
            department=data.department)
        return cases.case_view(case)
    view = await run(request, work)
    _publish(request, "opened", view)
    return web.json_response(view, status=201)


async def list_cases(request: web.Request) -> web.Response:
    await require_agent(request)
    q = request.query
    rows = await run(request, lambda db: [cases.case_view(c) for c in cases.list_cases(
        db, department=q.get("department") or None, status=q.get("status") or None,
        only_overdue=q.get("overdue") in ("1", "true"))])
    return web.json_response({"cases": rows})


async def get_case(request: web.Request) -> web.Response:
    await require_agent(request)
    cid = _int(request, "case_id")

    def work(db):
        view = cases.case_view(cases.get_case(db, cid))
        view["events"] = [cases.event_view(e) for e in cases.history(db, cid)]
        return view
    return web.json_response(await run(request, work))


async def update_case(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data: CaseChange = body_of(request)
    cid = _int(request, "case_id")

    def work(db):
        row, event = cases.change(db, cases_config(), agent, cid, data.status,
                                  data.department, data.note)
        return cases.case_view(row), event.id if event is not None else None
    view, event_id = await run(request, work)
    if event_id is not None and data.tell_shopper:
        await _notify(request, view, event_id, data.note)
    _publish(request, "updated", view)
    return web.json_response(view)


async def add_case_note(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    text = body_of(request).text
    cid = _int(request, "case_id")
    event = await run(request, lambda db: cases.event_view(cases.add_note(db, agent, cid, text)))
    return web.json_response(event, status=201)


# -- compensation -------------------------------------------------------------------------
async def request_grant(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data: GrantInput = body_of(request)
    tid = ticket_id(request)

    def work(db):
        row = visible_ticket(db, agent, tid)
        cid = customer.customer_id_of(row)
        if not cid:
            raise ValueError("this ticket's shopper is not identified: nothing can be granted")
        if data.order_id not in {o.get("order_id") for o in customer.orders_of(row)}:
            raise ValueError("that order is not one of this customer's orders")
        return grants.grant_view(grants.request(
            db, matrix(), agent, kind=data.kind, reason=data.reason, amount=data.amount,
            customer_id=cid, order_id=data.order_id, note=data.note, ticket_id=row.id,
            case_id=data.case_id))
    view = await run(request, work)
    if view["status"] == "pending":
        service_of(request).hub.publish({"type": "grant.pending", "grant": view},
                                        agent_ids=[], supervisors=True)
    return web.json_response(view, status=201)


async def list_grants(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    if agent.role != "supervisor":
        raise error(403, "forbidden", "only supervisors see the approvals")
    rows = await run(request, lambda db: [grants.grant_view(g) for g in grants.pending(db)])
    return web.json_response({"grants": rows})


async def decide_grant(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    data: GrantDecision = body_of(request)
    gid = _int(request, "grant_id")
    view = await run(request, lambda db: grants.grant_view(
        grants.decide(db, matrix(), agent, gid, data.approve, data.note)))
    service_of(request).hub.publish({"type": "grant.decided", "grant": view}, agent_ids=[],
                                    supervisors=True)
    return web.json_response(view)


async def my_limits(request: web.Request) -> web.Response:
    agent = await require_agent(request)
    m = matrix()
    level = m.level_of(agent.role, agent.level)
    rows = {reason: {kind: {"amount": str(lim.amount), "per_order": lim.per_order,
                            "per_customer_month": lim.per_customer_month}
                     for kind, lim in row.items()}
            for reason, row in m.limits.get(level, {}).items()}
    return web.json_response({"level": level, "kinds": list(m.kinds), "reasons": list(m.reasons),
                              "limits": rows})


# -- the bot's calls ------------------------------------------------------------------------
async def bot_open_case(request: web.Request) -> web.Response:
    data: BotCase = body_of(request)
    try:
        view, created = await service_of(request).open_bot_case(data.dict())
    except ValueError as exc:
        raise error(400, "bad_case", str(exc))
    return web.json_response(view, status=201 if created else 200)


async def bot_cases(request: web.Request) -> web.Response:
    """The shopper's cases, for the bot's answer to 'where is my case'."""
    data: CaseLookup = body_of(request)
    lang = data.language
    rows = await service_of(request).db(lambda db: [
        dict(cases.case_view(c), status_text=notify.label(notify.STATUS, c.status, lang),
             kind_text=notify.label(notify.KIND, c.kind, lang))
        for c in cases.shoppers_cases(db, data.customer_id, data.conversation_id,
                                      data.order_ids, data.case_ref)])
    return web.json_response({"cases": rows})
