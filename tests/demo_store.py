"""The demo shop for a test: seeded at a URL the test owns (a SQLite file, a PostgreSQL schema)."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy.engine import Engine

from actions.store import db, session_scope
from actions.store.demo import seed
from tests.verification_counters import private_counters


def demo_store(monkeypatch, url: str) -> Iterator[Engine]:
    """Yield the demo shop's engine at `url`, with STORE_URL pointing at it (and private Redis
    counters for the phone-digit checks, removed afterwards)."""
    monkeypatch.setenv("STORE_URL", url)
    engine = db.get_engine(url)
    with session_scope(engine) as session:
        seed(session)
    counters = private_counters(monkeypatch)
    next(counters)
    yield engine
    next(counters, None)
