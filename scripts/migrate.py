"""The migration step: every schema Frontline owns, upgraded once before replicas start.

`make migrate` / `python -m scripts.migrate` runs it; the demo launcher, the scale test, the
compose `migrate` service and the Kubernetes Job run it first. On PostgreSQL each part runs
under an advisory lock, so two steps started together run one after the other.

  - the shop's store (STORE_URL; actions.store migrations);
  - the handoff service (HANDOFF_DB_URL; handoff.schema);
  - Rasa's tracker table (TRACKER_URL, when set): Rasa creates it at start-up, which N
    replicas starting together on an empty database would race on.
"""
from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from typing import Iterator, List, Optional

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from actions.store.db import make_engine as store_engine, migrate, store_url
from handoff.config import Settings
from handoff.db import make_engine
from handoff.schema import migrate_locked

STORE_KEY = 0x46524F4E5453  # advisory-lock keys: one per schema
TRACKER_KEY = 0x46524F4E5452


@contextmanager
def advisory_lock(engine: Engine, key: int) -> Iterator[None]:
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def migrate_store(url: str) -> None:
    engine = store_engine(url)
    with advisory_lock(engine, STORE_KEY):
        migrate(engine)
    engine.dispose()


def migrate_handoff(url: str) -> str:
    settings = Settings(db_url=url)
    engine = make_engine(settings.resolved_db_url)
    try:
        return migrate_locked(engine, settings.sqlite_path)
    finally:
        engine.dispose()


def create_tracker_table(url: str) -> None:
    from rasa.core.tracker_store import SQLTrackerStore  # loads Rasa: only when there is a tracker table

    engine = create_engine(url, future=True)
    with advisory_lock(engine, TRACKER_KEY):
        SQLTrackerStore.Base.metadata.create_all(engine)
    engine.dispose()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.migrate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args(argv)
    store = store_url()
    migrate_store(store)
    print(f"shop store: up to date ({store.split('@')[-1]})")
    handoff_url = os.environ.get("HANDOFF_DB_URL") or Settings().db_url
    revision = migrate_handoff(handoff_url)
    print(f"handoff service: at {revision} ({handoff_url.split('@')[-1]})")
    tracker = os.environ.get("TRACKER_URL")
    if tracker:
        create_tracker_table(tracker)
        print(f"Rasa tracker store: events table ready ({tracker.split('@')[-1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
