"""GET /api/stats/metrics (JSON) and /api/stats/metrics.csv for supervisors."""
from __future__ import annotations

import asyncio
import csv
import io
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Dict
from zoneinfo import ZoneInfo

from aiohttp import web

from handoff.errors import error
from handoff.metrics import compute, sources
from handoff.service import SERVICE

MAX_DAYS = 366


def repeat_window() -> timedelta:
    """How long after a contact another one counts as a repeat (FCR, containment)."""
    return timedelta(hours=float(os.environ.get("METRICS_REPEAT_HOURS") or 72))


async def _report(request: web.Request) -> Dict[str, Any]:
    try:
        days = int(request.query.get("days", "7"))
    except ValueError:
        raise error(400, "bad_days", "'days' must be a whole number")
    if not 1 <= days <= MAX_DAYS:
        raise error(400, "bad_days", f"'days' must be 1-{MAX_DAYS}")
    svc = request.app[SERVICE]
    tz = ZoneInfo(svc.settings.timezone)
    end = datetime.now(timezone.utc)
    start = end - timedelta(days=days)
    window = repeat_window()

    def work() -> Dict[str, Any]:
        with svc.maker() as db:
            history, later = sources.load(db, start, end, window)
            assist = sources.assist_usage(db, start, end)
        return {**compute.report(history, window, tz, later), "assist": assist}
    report = await asyncio.to_thread(work)
    return {"from": start.isoformat(), "to": end.isoformat(), "days": days, **report}


async def metrics(request: web.Request) -> web.Response:
    return web.json_response(await _report(request))


CSV_COLUMNS = list(compute.METRIC_NAMES)


async def metrics_csv(request: web.Request) -> web.Response:
    report = await _report(request)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["scope", "key", *CSV_COLUMNS])
    writer.writerow(["total", "", *[_cell(report.get(c)) for c in CSV_COLUMNS]])
    for scope in ("agent", "queue", "channel", "day"):
        for row in report[f"by_{scope}"]:
            writer.writerow([scope, _safe(row["key"]), *[_cell(row.get(c)) for c in CSV_COLUMNS]])
    response = web.Response(text=out.getvalue(), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="metrics-{report["days"]}d.csv"')
    return response


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _safe(value: str) -> str:
    """No spreadsheet formulas from names (a queue or agent called '=cmd|…')."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
