"""Engine, sessions and migrations for the shop's store.

The URL comes from STORE_URL (SQLite `var/shop.db` by default, PostgreSQL by URL). Schema
changes go through Alembic so a real shop's database is upgraded in place, never recreated.
"""
from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, Optional, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_URL = f"sqlite:///{ROOT / 'var' / 'shop.db'}"
T = TypeVar("T")

# Money has two decimals and stays far below float precision limits, so SQLite's float
# storage of Numeric is exact enough; PostgreSQL stores real NUMERIC.
warnings.filterwarnings("ignore", message=r"Dialect sqlite\+pysqlite does \*not\* support Decimal")

_lock = threading.Lock()
_engines: Dict[str, Engine] = {}
_migrated: set = set()


def store_url() -> str:
    return os.environ.get("STORE_URL") or DEFAULT_URL


def _prepare_sqlite_dir(url: str) -> None:
    # sqlite:///relative/path or sqlite:////abs/path: make sure the folder exists.
    if url.startswith("sqlite:///") and ":memory:" not in url:
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


def make_engine(url: Optional[str] = None, schema: Optional[str] = None) -> Engine:
    """A 2.0-style engine. `schema` (PostgreSQL) puts every table in that schema."""
    url = url or store_url()
    kwargs: dict = {"future": True, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        _prepare_sqlite_dir(url)
        # The action server answers from several threads.
        kwargs["connect_args"] = {"check_same_thread": False}
    elif schema:
        kwargs["connect_args"] = {"options": f"-csearch_path={schema}"}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _fk_on(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()
    return engine


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def get_engine(url: Optional[str] = None) -> Engine:
    """The process-wide engine for `url`, migrated on first use."""
    url = url or store_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        if url not in _migrated:
            migrate(engine)
            _migrated.add(url)
    return engine


def session_factory(engine: Optional[Engine] = None) -> sessionmaker:
    return sessionmaker(bind=engine or get_engine(), future=True, expire_on_commit=False)


@contextmanager
def session_scope(engine: Optional[Engine] = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


# The threads the action server's store work runs on. Two, not asyncio's default of cores + 4:
# the ORM work is mostly Python, so more threads only fight over the interpreter lock (a thread
# back from PostgreSQL waits for another's switch interval, several times per action); with
# a 6-thread pool a burst of 12 order actions took 70-86 ms at the median against 46-50 ms with
# two, and 54 ms all on the loop. Two keep one transaction waiting on a lock from stalling the rest.
STORE_THREADS = 2
_pool_lock = threading.Lock()
_pool: Optional[ThreadPoolExecutor] = None


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="store")
        return _pool


async def off_loop(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a store thread (what asyncio.to_thread does, on that pool)."""
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_executor(), call)


def _in_scope(fn: Callable[..., T], args: tuple) -> T:
    with session_scope() as session:
        return fn(session, *args)


async def in_session(fn: Callable[..., T], *args: Any) -> T:
    """`fn(session, *args)` in one transaction on a store thread; its result.

    The action server is one event loop for every conversation: a query or a COMMIT waiting
    for PostgreSQL's disk there would hold up every other conversation's action (FAQ answers
    included). The session is made, committed and closed in that thread, and never leaves
    it, so `fn` returns plain values, or objects whose loaded attributes are all it needs.
    """
    return await off_loop(_in_scope, fn, args)
