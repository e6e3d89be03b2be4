"""The widget's socket.io server with several Rasa workers: emits shared through Redis, and each
forked worker a manager of its own (a shared id would make workers drop each other's emits)."""
from __future__ import annotations

import multiprocessing

from socketio import AsyncRedisManager

from bot.channels import webchat_workers


def test_one_worker_keeps_the_in_process_manager(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SANIC_WORKERS", "1")
    assert webchat_workers.shared_manager() is None


def test_several_workers_share_emits_on_the_stacks_redis_channel(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("REDIS_KEY_PREFIX", "shop7:")
    monkeypatch.setenv("SANIC_WORKERS", "2")
    manager = webchat_workers.shared_manager()
    assert isinstance(manager, AsyncRedisManager)
    assert manager.channel == "shop7:socketio" and manager.redis_url == "redis://127.0.0.1:6379/0"


def _report_host_id(manager, pipe) -> None:
    pipe.send(manager.host_id)


def test_each_forked_worker_has_its_own_manager_id(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SANIC_WORKERS", "2")
    manager = webchat_workers.shared_manager()
    ids = set()
    fork = multiprocessing.get_context("fork")  # how Sanic starts its workers
    for _ in range(2):
        receive, send = fork.Pipe(duplex=False)
        worker = fork.Process(target=_report_host_id, args=(manager, send))
        worker.start()
        ids.add(receive.recv())
        worker.join(10)
    assert len(ids) == 2 and manager.host_id not in ids


def test_unusable_worker_setting_means_one_worker_as_for_rasa(monkeypatch):
    monkeypatch.setenv("SANIC_WORKERS", "many")
    assert webchat_workers.worker_count() == 1
