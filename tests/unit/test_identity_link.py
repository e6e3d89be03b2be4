"""Which channel identifiers count (pure rules, no store): only what a channel sealed for this
very conversation; never a metadata claim, a reported input channel or a borrowed seal."""
from __future__ import annotations

from actions.identity.link import ChannelIdentity, channel_identity
from common import channel_proof
from tests.unit.sealed import TEST_SECRET, as_sent_by

STRONG = "Vq3xL0b9ZkR2mT7yP4wN1a"


def sealed(channel: str, sender: str, external: str, meta: dict | None = None) -> dict:
    return channel_proof.seal(dict(meta or {}), channel, sender, external, TEST_SECRET)


def test_web_visitor_id_only_when_the_widget_channel_sealed_it():
    sender, meta = as_sent_by("socketio", "web:s1", {"channel": "web", "visitor_id": STRONG})
    assert channel_identity(meta, sender) == ChannelIdentity("web", STRONG)
    # the same claim without the widget's seal (posted to REST, typed by a page)
    assert channel_identity({"channel": "web", "visitor_id": STRONG}, "web:s1") is None
    # a web seal presented in another conversation, or outside a web conversation
    assert channel_identity(meta, "web:s2") is None
    assert channel_identity(sealed("web", "rest:s1", STRONG), "rest:s1") is None


def test_wechat_openid_is_the_sender_of_the_wechat_channel():
    meta = sealed("wechat", "oABC123", "oABC123", {"channel": "wechat", "openid": "oABC123"})
    assert channel_identity(meta, "oABC123") == ChannelIdentity("wechat", "oABC123")
    assert channel_identity(meta, "oOTHER") is None
    assert channel_identity(sealed("wechat", "oOTHER", "oABC123"), "oOTHER") is None
    assert channel_identity({"channel": "wechat", "openid": "oABC123"}, "oABC123") is None


def test_app_user_only_when_the_token_check_made_the_conversation():
    meta = sealed("app", "app:u-1", "u-1", {"channel": "app", "verified_app_user_id": "u-1"})
    assert channel_identity(meta, "app:u-1") == ChannelIdentity("app", "u-1")
    assert channel_identity(meta, "app-anon:abcdefgh") is None
    assert channel_identity({"channel": "app", "verified_app_user_id": "u-1"}, "app:u-1") is None
    assert channel_identity({}, "x") is None


def test_a_seal_made_with_another_secret_or_tampered_is_refused():
    forged = channel_proof.seal({}, "app", "app:u-1", "u-1", "not-the-shared-secret")
    assert channel_identity(forged, "app:u-1") is None
    meta = sealed("app", "app:u-1", "u-1")
    meta[channel_proof.PROOF_KEY]["id"] = "u-2"
    assert channel_identity(meta, "app:u-2") is None and channel_identity(meta, "app:u-1") is None


def test_without_the_shared_secret_nothing_is_sealed_or_believed(monkeypatch):
    meta = sealed("app", "app:u-1", "u-1")
    monkeypatch.delenv(channel_proof.SECRET_ENV)
    assert channel_proof.seal({}, "app", "app:u-1", "u-1") == {}
    assert channel_identity(meta, "app:u-1") is None


def test_a_page_cannot_send_its_own_seal_through_the_widget():
    from bot.channels.webchat import clean_metadata

    borrowed = sealed("web", "web:victim", STRONG, {"visitor_id": STRONG})
    assert channel_proof.PROOF_KEY not in clean_metadata(borrowed)
