"""`python -m handoff.accounts`: add, list, passwd (ends sessions), disable, unlock (Redis)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
import redis as redis_sync

from handoff import agents
from handoff.config import ROOT_DIR
from handoff.db import make_engine, make_sessionmaker

pytestmark = pytest.mark.integration
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def cli(env, *args, password="first password"):
    return subprocess.run([sys.executable, "-m", "handoff.accounts", *args], cwd=ROOT_DIR,
                          env={**env, "HANDOFF_AGENT_PASSWORD": password},
                          capture_output=True, text=True, timeout=120)


def test_accounts_cli(tmp_path):
    prefix = f"test:accounts:{uuid.uuid4().hex[:8]}"
    url = f"sqlite:///{tmp_path / 'h.db'}"
    env = {**os.environ, "HANDOFF_DB_URL": url, "REDIS_URL": REDIS_URL,
           "HANDOFF_REDIS_PREFIX": prefix}
    done = cli(env, "add", "mei", "--role", "supervisor", "--queues", "logistics,general")
    assert done.returncode == 0, done.stderr
    assert "supervisor mei" in done.stdout
    assert cli(env, "add", "short", password="abc").returncode != 0  # too short
    listing = cli(env, "list").stdout
    assert "mei\tsupervisor\tlogistics,general" in listing and "short" not in listing

    maker = make_sessionmaker(make_engine(url))
    with maker.begin() as db:
        token, agent = agents.login(db, "mei", "first password", 1)
        assert agent.password_hash.startswith("$2")  # bcrypt, never the password
    assert cli(env, "passwd", "mei", password="second password").returncode == 0
    with maker.begin() as db:
        assert agents.authenticate(db, token) is None  # the old session ended
        assert agents.login(db, "mei", "first password", 1) is None
        assert agents.login(db, "mei", "second password", 1) is not None
    assert cli(env, "disable", "mei").returncode == 0
    with maker.begin() as db:
        assert agents.login(db, "mei", "second password", 1) is None

    client = redis_sync.Redis.from_url(REDIS_URL)
    key = f"{prefix}:console:failed:mei"
    client.set(key, 9)
    assert cli(env, "unlock", "mei").returncode == 0
    assert client.get(key) is None
    client.close()
