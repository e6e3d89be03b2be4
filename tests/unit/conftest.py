"""Fixtures shared by the unit tests."""
from pathlib import Path

import pytest

from tests.demo_store import demo_store


@pytest.fixture()
def store(tmp_path, monkeypatch):
    """The demo shop in a fresh SQLite file, with STORE_URL pointing at it (and private Redis
    counters for the phone-digit checks)."""
    yield from demo_store(monkeypatch, f"sqlite:///{tmp_path / 'shop.db'}")


TRAINED_MODEL = Path(__file__).resolve().parents[2] / "models" / "frontline.tar.gz"


@pytest.fixture(scope="session")
def trained_agent():
    """The project's trained model (`make train`, which `make test` runs first), loaded once
    for every test that compares our speed-ups with Rasa's code on real parses and trackers."""
    if not TRAINED_MODEL.exists():
        pytest.skip("no trained model: `make train` first")
    from rasa.core.agent import Agent
    return Agent.load(str(TRAINED_MODEL))
