"""Fixtures shared by the unit tests."""
import pytest

from actions.store import db, session_scope
from actions.store.demo import seed
from tests.verification_counters import private_counters


@pytest.fixture()
def store(tmp_path, monkeypatch):
    """The demo shop in a fresh SQLite file, with STORE_URL pointing at it (and private Redis
    counters for the phone-digit checks)."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    monkeypatch.setenv("STORE_URL", url)
    engine = db.get_engine(url)
    with session_scope(engine) as session:
        seed(session)
    counters = private_counters(monkeypatch)
    next(counters)
    yield engine
    next(counters, None)
