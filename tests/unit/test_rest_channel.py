"""The REST channel's conversation ids can never be another channel's (bot.channels.rest)."""
from __future__ import annotations

from bot.channels.rest import conversation_id


def test_every_rest_conversation_is_namespaced():
    for other in ("app:app-demo-0001", "oDemo0001wx", "web:0123456789abcdef0123",
                  "app-anon:abcdefgh"):
        assert conversation_id(other) == f"rest:{other}"
    assert conversation_id("rest:e2e-1") == "rest:e2e-1"  # a test may name its conversation
    for odd in (None, "", 42, "x" * 200, "a b", "../x"):
        made = conversation_id(odd)
        assert made.startswith("rest:") and len(made) == len("rest:") + 32
