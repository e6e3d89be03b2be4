"""CPU the handoff service spends recording the bot's events (the conversations' read model).

Replays the recorded conversations (tests/unit/data/policy_trackers.json.gz: the events of 162
real conversations) through the service's stream handler on a private PostgreSQL schema, the
way the events consumer delivers them: one lane batch per shopper message (the user event and
what the bot did after it). Prints the process's CPU (utime+stime, worker threads included) per
event and per shopper message, and PostgreSQL's (every postgres process on the machine: on a
machine where nothing else uses the server, the replay's share).

  PYTHONPATH=$PWD .venv/bin/python bench/ingest_speed.py [--runs 2] [--mode lane|entry]

--mode entry: every entry handled on its own (no lane batches: the consumer's behaviour before
lane batches, and what an older checkout does whatever the mode).
"""
from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Dict, List
from urllib.parse import quote

from sqlalchemy import create_engine, func, select, text

from handoff.config import Settings
from handoff.conversations.tables import ConversationSession, SeenEvent, StudioTurn
from handoff.db import migrate
from handoff.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parent))
from profile_round_trip import postgres_seconds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RECORDED = ROOT / "tests" / "unit" / "data" / "policy_trackers.json.gz"
PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def messages(run: int) -> List[List[Dict[str, Any]]]:
    """Each conversation's events cut into what one shopper message makes the bot publish."""
    recorded = json.loads(gzip.open(RECORDED).read())
    out: List[List[Dict[str, Any]]] = []
    for name, events in recorded.items():
        sender, batch = f"{name}-{run}-{uuid.uuid4().hex[:6]}", []
        for event in events:
            event = {**event, "sender_id": sender, "timestamp": event["timestamp"] + run}
            if event.get("message_id"):
                event["message_id"] = f"{event['message_id']}-{sender}"
            if event["event"] == "user" and batch:
                out.append(batch)
                batch = []
            batch.append(event)
        out.append(batch)
    return out


async def replay(service: Service, batches: List[List[Dict[str, Any]]], lanes: bool) -> None:
    # the code before segments (an A-B-A "before" checkout) has none: one event at a time
    segments = getattr(service, "segments", None)
    prepare = segments.prepare if lanes and segments is not None else None
    for batch in batches:
        items = [(uuid.uuid4().hex, event) for event in batch]
        if prepare is not None:
            prepare(items)
        for entry_id, event in items:
            await service.handle_event(entry_id, event, False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--mode", choices=("lane", "entry"), default="lane")
    args = parser.parse_args()
    schema = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options={quote(f'-csearch_path={schema}')}"
    try:
        service = Service(Settings(db_url=url))
        migrate(service.engine)
        batches = [b for run in range(args.runs) for b in messages(run)]
        events = sum(len(b) for b in batches)
        shopper = sum(1 for b in batches for e in b if e["event"] == "user")
        asyncio.run(replay(service, messages(99)[:20], args.mode == "lane"))  # warm up
        wall, cpu, pg = time.perf_counter(), time.process_time(), postgres_seconds()
        asyncio.run(replay(service, batches, args.mode == "lane"))
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        pg = postgres_seconds() - pg
        with service.maker() as db:
            rows = {t.__tablename__: db.execute(select(func.count()).select_from(t)).scalar()
                    for t in (StudioTurn, ConversationSession, SeenEvent)}
        service.engine.dispose()
        print(f"mode={args.mode} events={events} shopper messages={shopper} rows={rows}")
        print(f"CPU {cpu * 1000:.0f} ms: {cpu * 1e3 / events:.3f} ms/event, "
              f"{cpu * 1e3 / shopper:.2f} ms/shopper message; PostgreSQL {pg * 1e3 / shopper:.2f} "
              f"ms/shopper message; wall {wall:.1f} s; load {os.getloadavg()[0]:.2f}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
