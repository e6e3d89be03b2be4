"""Fixtures shared by the unit tests."""
import pytest

from tests.demo_store import demo_store


@pytest.fixture()
def store(tmp_path, monkeypatch):
    """The demo shop in a fresh SQLite file, with STORE_URL pointing at it (and private Redis
    counters for the phone-digit checks)."""
    yield from demo_store(monkeypatch, f"sqlite:///{tmp_path / 'shop.db'}")
