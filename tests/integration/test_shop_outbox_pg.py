"""The outbox on PostgreSQL: replicas claiming at the same time never get the same row."""
from __future__ import annotations

import threading
import uuid
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, inspect, select, text

from actions.store import db, session_scope
from common.shop import outbox
from common.shop.outbox import HANDOFF_OUTBOX, STORE_OUTBOX
from handoff.db import make_engine as handoff_engine
from handoff.schema import migrate_locked
from tests.integration.pg_store import PG_URL


@pytest.fixture
def pg_engine():
    schema = f"shop_outbox_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    engine = db.make_engine(url)
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def test_both_processes_migrate_their_own_outbox_into_one_database(pg_engine):
    db.migrate(pg_engine)
    migrate_locked(handoff_engine(pg_engine.url.render_as_string(hide_password=False)))
    tables = set(inspect(pg_engine).get_table_names())
    assert {outbox.STORE_TABLE, outbox.HANDOFF_TABLE, "shop_events_seen"} <= tables
    columns = {c["name"] for c in inspect(pg_engine).get_columns(outbox.HANDOFF_TABLE)}
    assert columns == {c.name for c in HANDOFF_OUTBOX.columns}


def test_concurrent_claims_are_disjoint(pg_engine):
    db.migrate(pg_engine)
    with session_scope(pg_engine) as session:
        for n in range(60):
            outbox.enqueue(session, "cancel", f"E2026111800{n:02d}", {}, f"key-{n}")
    got = {}
    start = threading.Barrier(4)

    def worker(name: str) -> None:
        start.wait()
        mine = []
        while True:
            rows = outbox.claim(pg_engine, STORE_OUTBOX, name, limit=5)
            if not rows:
                break
            mine += [r.id for r in rows]
        got[name] = mine

    threads = [threading.Thread(target=worker, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    claimed = [row_id for ids in got.values() for row_id in ids]
    assert len(claimed) == 60 and len(set(claimed)) == 60
    with pg_engine.connect() as conn:
        owners = {r.claimed_by for r in conn.execute(select(STORE_OUTBOX))}
    assert owners <= set(got)


def test_a_row_locked_by_a_claim_in_progress_is_skipped_not_waited_for(pg_engine):
    db.migrate(pg_engine)
    with session_scope(pg_engine) as session:
        for n in range(3):
            outbox.enqueue(session, "cancel", "E202611180001", {}, f"k{n}")
    with pg_engine.connect() as other:  # another replica, between its SELECT and its UPDATE
        held = other.execute(select(STORE_OUTBOX.c.id).order_by(STORE_OUTBOX.c.id).limit(1)
                             .with_for_update(skip_locked=True)).scalar_one()
        rows = outbox.claim(pg_engine, STORE_OUTBOX, "w2")
        assert held not in [r.id for r in rows] and len(rows) == 2
        other.rollback()
