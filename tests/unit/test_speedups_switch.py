"""FRONTLINE_SPEEDUPS=off leaves Rasa's own code in place (a stock model measured as Rasa ships)."""
from __future__ import annotations

from rasa.engine.runner.dask import DaskGraphRunner
from rasa.shared.core.domain import Domain

from bot import speedups
from bot.speedups import domain_empty, graph_runner


def test_off_keeps_rasas_methods_and_on_installs_ours(monkeypatch):
    speedups.uninstall()
    rasa_run, rasa_is_empty = DaskGraphRunner.run, Domain.is_empty
    try:
        monkeypatch.setenv("FRONTLINE_SPEEDUPS", "off")
        assert not speedups.enabled()
        speedups.install()
        assert DaskGraphRunner.run is rasa_run and Domain.is_empty is rasa_is_empty
        monkeypatch.setenv("FRONTLINE_SPEEDUPS", "on")
        speedups.install()
        assert DaskGraphRunner.run is graph_runner.run
        assert Domain.is_empty is domain_empty.is_empty
    finally:
        speedups.install()  # the rest of the session runs with them, as the server does


def test_unset_means_on(monkeypatch):
    monkeypatch.delenv("FRONTLINE_SPEEDUPS", raising=False)
    assert speedups.enabled()
