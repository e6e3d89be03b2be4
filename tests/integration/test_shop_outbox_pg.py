"""The outbox on PostgreSQL: replicas claiming at the same time never get the same row; and
what each process's migrations create is the table the code reads and writes."""
from __future__ import annotations

import threading
from typing import Any, Dict

import pytest
from sqlalchemy import MetaData, inspect, select
from sqlalchemy.engine import Engine

from actions.store import db, session_scope
from common.shop import outbox
from common.shop.outbox import HANDOFF_OUTBOX, STORE_OUTBOX
from handoff.db import make_engine as handoff_engine
from handoff.schema import migrate_locked
from tests.integration.handoff_support import pg_url  # noqa: F401
from tests.integration.pg_store import private_schema

pytestmark = pytest.mark.integration


@pytest.fixture
def pg_engine(pg_url):  # noqa: F811
    engine = db.make_engine(pg_url)
    yield engine
    engine.dispose()


def shape(engine: Engine, name: str) -> Dict[str, Any]:
    """A table as the database reports it: columns (type, nullability, server default, key),
    indexes and unique constraints."""
    found = inspect(engine)
    return {
        "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"),
                     c.get("primary_key")) for c in found.get_columns(name)],
        "primary_key": found.get_pk_constraint(name)["constrained_columns"],
        "indexes": sorted((i["name"], tuple(i["column_names"]), bool(i["unique"]))
                          for i in found.get_indexes(name)),
        "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(name)),
    }


def migrated_and_modelled(migrated: Engine, modelled: Engine) -> None:
    """Both processes migrate `migrated`; the model's tables are created in `modelled`; each
    outbox must come out the same in both."""
    db.migrate(migrated)
    migrate_locked(handoff_engine(migrated.url.render_as_string(hide_password=False)))
    model = MetaData()
    for name in (outbox.STORE_TABLE, outbox.HANDOFF_TABLE):
        outbox.outbox_table(model, name)
    model.create_all(modelled)
    for name in (outbox.STORE_TABLE, outbox.HANDOFF_TABLE):
        want = shape(modelled, name)
        assert len(want["columns"]) == len(outbox.outbox_columns()) and want["indexes"]
        assert shape(migrated, name) == want, name


def test_migrated_outboxes_are_the_model_on_postgresql(pg_engine):
    with private_schema("shop_outbox_model") as url:
        modelled = db.make_engine(url)
        migrated_and_modelled(pg_engine, modelled)  # both processes in one database
        modelled.dispose()
    assert "shop_events_seen" in inspect(pg_engine).get_table_names()


def test_migrated_outboxes_are_the_model_on_sqlite(tmp_path):
    migrated = db.make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
    modelled = db.make_engine(f"sqlite:///{tmp_path / 'model.db'}")
    migrated_and_modelled(migrated, modelled)
    migrated.dispose()
    modelled.dispose()


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
