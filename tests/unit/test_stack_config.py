"""The launcher's environment makes endpoints.yml and credentials.yml load into working stores."""
import os
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import read_endpoint_config

from bot.tracker_store import FrontlineSQLTrackerStore
from scripts.stack import ROOT, Ports, Stack


def _endpoint(name, env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return read_endpoint_config(str(ROOT / "endpoints.yml"), name)


def test_embedded_defaults_give_a_working_sqlite_tracker_store(tmp_path, monkeypatch):
    for key in ("TRACKER_URL", "REDIS_URL", "WECHAT_API_BASE"):
        monkeypatch.delenv(key, raising=False)
    env = Stack(ports=Ports(), var=Path(tmp_path)).build_env()
    config = _endpoint("tracker_store", env, monkeypatch)
    store = TrackerStore.create(config, Domain.empty())
    assert isinstance(store, SQLTrackerStore)
    # the store that saves without re-reading the conversation (bot/tracker_store.py)
    assert isinstance(store, FrontlineSQLTrackerStore)
    assert str(tmp_path / "tracker.db") in str(store.engine.url)


def test_postgres_url_without_port_uses_the_default_port(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_URL", "postgresql://postgres@127.0.0.1/frontline")
    env = Stack(ports=Ports(), var=Path(tmp_path)).build_env()
    assert env["TRACKER_PORT"] == "5432" and env["TRACKER_DIALECT"] == "postgresql"


def test_every_variable_in_the_config_files_is_set_by_the_launcher(tmp_path, monkeypatch):
    import re

    for key in ("TRACKER_URL", "REDIS_URL"):
        monkeypatch.delenv(key, raising=False)
    env = Stack(ports=Ports(), var=Path(tmp_path)).build_env()
    for name in ("endpoints.yml", "credentials.yml"):
        for var in re.findall(r"\$\{([A-Z_]+)\}", (ROOT / name).read_text()):
            assert var in env, f"{name} needs {var}"
    assert os.environ.get("RASA_TOKEN") != "" and env["RASA_TOKEN"]


def test_rasa_sends_the_action_server_token_with_every_call(tmp_path, monkeypatch):
    monkeypatch.delenv("ACTION_SERVER_TOKEN", raising=False)
    stack = Stack(ports=Ports(), var=Path(tmp_path))
    config = _endpoint("action_endpoint", stack.build_env(), monkeypatch)
    assert len(stack.action_token) >= 32
    assert config.headers == {"Authorization": f"Bearer {stack.action_token}"}
    assert len(stack.env["CHANNEL_PROOF_SECRET"]) >= 32  # channels seal, the action server checks


def test_rasa_workers_setting(monkeypatch):
    from scripts.stack import rasa_workers

    monkeypatch.delenv("RASA_WORKERS", raising=False)
    assert rasa_workers() == 1  # the default everywhere
    assert rasa_workers(default=2) == 2
    monkeypatch.setenv("RASA_WORKERS", "auto")
    assert rasa_workers() == (os.cpu_count() or 1) and rasa_workers(default=1) == (os.cpu_count() or 1)
    monkeypatch.setenv("RASA_WORKERS", "3")
    assert rasa_workers() == 3 and rasa_workers(default=1) == 3
    assert Stack().workers == 3
    monkeypatch.setenv("RASA_WORKERS", "0")
    import pytest

    with pytest.raises(ValueError):
        rasa_workers()


def test_rasa_is_started_with_the_stacks_number_of_workers(tmp_path, monkeypatch):
    """Rasa forks SANIC_WORKERS processes; the launcher gives it the stack's setting."""
    import scripts.stack as launcher

    started = {}

    class Recorder:
        def __init__(self, cmd, env, **kwargs):
            started.update(cmd=cmd, env=env)

    monkeypatch.setattr(launcher.subprocess, "Popen", Recorder)
    stack = Stack(ports=Ports(), var=Path(tmp_path), workers=2)
    stack.build_env()
    stack.start_rasa()
    assert started["env"]["SANIC_WORKERS"] == "2" and started["cmd"][1] == "run"
