"""Which channel identifiers may be linked (pure rules, no store)."""
from __future__ import annotations

from actions.identity_link import ChannelIdentity, channel_identity

STRONG = "Vq3xL0b9ZkR2mT7yP4wN1a"


def test_web_visitor_id_only_from_the_widget_channel_and_only_strong():
    meta = {"channel": "web", "visitor_id": STRONG}
    assert channel_identity(meta, "web:s1", "socketio") == ChannelIdentity("web", STRONG)
    assert channel_identity(meta, "s1", "rest") is None
    assert channel_identity({"channel": "web", "visitor_id": "web-demo-0001"}, "web:s1",
                            "socketio") is None
    assert channel_identity({"channel": "web", "visitor_id": STRONG + "<x>"}, "web:s1",
                            "socketio") is None


def test_wechat_openid_is_the_sender_of_the_wechat_channel():
    meta = {"channel": "wechat", "openid": "oABC123"}
    assert channel_identity(meta, "oABC123", "wechat") == ChannelIdentity("wechat", "oABC123")
    assert channel_identity(meta, "oOTHER", "wechat") is None
    assert channel_identity(meta, "oABC123", "socketio") is None


def test_app_user_only_when_the_token_check_made_the_conversation():
    meta = {"channel": "app", "verified_app_user_id": "u-1"}
    assert channel_identity(meta, "app:u-1", "app") == ChannelIdentity("app", "u-1")
    assert channel_identity(meta, "app-anon:abcdefgh", "app") is None
    assert channel_identity({"channel": "app", "app_user_id": "u-1"}, "app:u-1", "app") is None
    assert channel_identity({}, "x", None) is None
