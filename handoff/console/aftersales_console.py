"""Console pages and JSON calls of after-sales work: the cases list (supervisors start on the
overdue ones), a case's page, the approvals of compensation, and the ticket page's customer
360 and compensation form. Their JSON calls are the agents' API handlers themselves, mounted
under /console/api by the route table (handoff.routes, `console=`)."""
from __future__ import annotations

from aiohttp import web

from handoff.aftersales import cases
from handoff.aftersales.config import STATUSES, cases_config
from handoff.console.common import PREFIX, page_agent, render, role_page
from handoff.service import SERVICE
from handoff.store import NotFound


async def cases_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)
    q = request.query
    overdue = q.get("overdue", "1" if agent.role == "supervisor" else "") == "1"
    department = q.get("department") if q.get("department") in cases_config().departments \
        else None
    status = q.get("status") if q.get("status") in STATUSES + ("unresolved",) else None

    def work(db):
        return [cases.case_view(c) for c in cases.list_cases(
            db, department=department, status=status or "unresolved", only_overdue=overdue)]
    rows = await request.app[SERVICE].db(work)
    return render(request, session, "cases.html", agent, cases=rows, overdue=overdue,
                  department=department or "", status_filter=status or "",
                  departments=list(cases_config().departments), statuses=STATUSES)


async def case_page(request: web.Request) -> web.Response:
    session, agent = await page_agent(request)

    def work(db):
        cid = int(request.match_info["case_id"])
        view = cases.case_view(cases.get_case(db, cid))
        view["events"] = [cases.event_view(e) for e in cases.history(db, cid)]
        return view
    try:
        case = await request.app[SERVICE].db(work)
    except (ValueError, NotFound):
        return render(request, session, "error.html", agent, status=404, message="not_found")
    return render(request, session, "case.html", agent, case=case, statuses=STATUSES,
                  departments=list(cases_config().departments))


async def approvals_page(request: web.Request) -> web.Response:
    return await role_page(request, "approvals.html")


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get(PREFIX + "/cases", cases_page)
    r.add_get(PREFIX + "/cases/{case_id}", case_page)
    r.add_get(PREFIX + "/approvals", approvals_page)
