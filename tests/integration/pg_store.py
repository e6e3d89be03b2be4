"""Private PostgreSQL schemas for the integration tests (each test its own, dropped after), and
the demo shop seeded into one, for tests that reuse SQLite cases."""
from __future__ import annotations

import importlib.util
import os
import uuid
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Iterator
from urllib.parse import quote

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from actions.store import db
from tests.demo_store import demo_store

PG_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def unit_cases(name: str) -> ModuleType:
    """Load tests/unit/<name>.py under another module name, so its tests can run again here."""
    path = Path(__file__).resolve().parents[1] / "unit" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"{name}_pg_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@contextmanager
def private_schema(prefix: str) -> Iterator[str]:
    """A fresh schema in TEST_PG_URL's database, as a URL whose search_path is that schema
    (so parallel runs never share tables); dropped with all it holds afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, future=True)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seeded_schema(monkeypatch, prefix: str) -> Iterator[Engine]:
    """Yield an engine on a fresh schema holding the demo shop (STORE_URL points at it); drop it after."""
    with private_schema(prefix) as url:
        yield from demo_store(monkeypatch, url)
        engine = db._engines.pop(url, None)  # the process-wide engine demo_store made
        if engine is not None:
            engine.dispose()
