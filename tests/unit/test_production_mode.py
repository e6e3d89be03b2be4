"""Production mode's secret checks and the action server's token check (pure functions)."""
from __future__ import annotations

import pytest

from actions.server import authorized, create
from common import production
from scripts.production import check
from scripts.stack import DEMO_CHANNEL_ENV, ROOT

STRONG = {name: "x" * 64 for name in production.MIN_LENGTH}
STRONG["WECHAT_AES_KEY"] = "k" * 43
SERVICES = {"REDIS_URL": "redis://db", "TRACKER_URL": "postgresql://db/t",
            "STORE_URL": "postgresql://db/s", "HANDOFF_DB_URL": "postgresql://db/h"}


def test_demo_values_are_the_ones_the_demo_uses():
    for name in ("WECHAT_TOKEN", "WECHAT_APP_SECRET", "WECHAT_AES_KEY"):
        assert DEMO_CHANNEL_ENV[name] == production.DEMO_VALUES[name]


def test_each_default_missing_or_short_secret_is_named():
    env = {**STRONG, "HANDOFF_TOKEN": production.DEMO_VALUES["HANDOFF_TOKEN"], "RASA_TOKEN": "",
           "ACTION_SERVER_TOKEN": "short", "HANDOFF_DEMO_AGENT": "demo:frontline-demo"}
    found = {str(p) for p in production.problems(
        ("HANDOFF_TOKEN", "RASA_TOKEN", "ACTION_SERVER_TOKEN", "CHANNEL_PROOF_SECRET"), env)}
    assert found == {"HANDOFF_TOKEN is the public demo value", "RASA_TOKEN is missing",
                     "ACTION_SERVER_TOKEN is shorter than 32 characters",
                     "HANDOFF_DEMO_AGENT must not be set (it creates a demo account)"}


def test_require_refuses_only_in_production():
    production.require("svc", ("RASA_TOKEN",), {})  # the demo: nothing refused
    with pytest.raises(production.DefaultSecretError, match="RASA_TOKEN is missing"):
        production.require("svc", ("RASA_TOKEN",), {"FRONTLINE_ENV": "production"})
    production.require("svc", ("RASA_TOKEN",), {"FRONTLINE_ENV": "production", **STRONG})


def test_binds_loopback_unless_named():
    assert production.bind_host("X_HOST", {}) == "127.0.0.1"
    assert production.bind_host("X_HOST", {"X_HOST": "10.0.0.5"}) == "10.0.0.5"


def test_production_recipe_checks_the_configured_channels_and_services():
    assert check({**STRONG, **SERVICES}, ROOT / "credentials.yml") == []
    found = check({**STRONG, **SERVICES, **DEMO_CHANNEL_ENV}, ROOT / "credentials.yml")
    assert "WECHAT_TOKEN is the public demo value" in found
    assert "WECHAT_AES_KEY is the public demo value" in found
    assert any(p.startswith("STORE_URL is missing") for p in check(STRONG, ROOT / "credentials.yml"))


def test_action_server_token_check():
    assert authorized("Bearer s3cret", "s3cret") and authorized("bearer s3cret ", "s3cret")
    for header in (None, "", "s3cret", "Bearer", "Bearer s3cre", "Basic s3cret", "Bearer s3cretX"):
        assert not authorized(header, "s3cret"), header
    with pytest.raises(ValueError):
        create("")
