"""Trackers' metadata as the real channels deliver it: identities sealed (common.channel_proof).

The actions verify seals with CHANNEL_PROOF_SECRET from the environment; unit and integration
cases share this test value (the running stack of tests/e2e makes its own).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Tuple

from common import channel_proof

TEST_SECRET = "unit-test-channel-proof-secret-0123456789"
os.environ.setdefault(channel_proof.SECRET_ENV, TEST_SECRET)

# Rasa input channel -> (proof channel, metadata key of the identifier it verifies)
VERIFYING = {"socketio": ("web", "visitor_id"), "wechat": ("wechat", "openid"),
             "app": ("app", "verified_app_user_id")}


def as_sent_by(input_channel: Optional[str], sender: str,
               metadata: Optional[Dict[str, Any]]) -> Tuple[str, Dict[str, Any]]:
    """(conversation id, metadata) the way `input_channel` would make them."""
    metadata = dict(metadata or {})
    if input_channel not in VERIFYING:
        return sender, channel_proof.strip(metadata)
    channel, key = VERIFYING[input_channel]
    external = metadata.get(key)
    if channel == "web" and not sender.startswith("web:"):
        sender = f"web:{sender}"
    if channel == "app":
        sender = f"app:{external}" if external else sender
    if channel == "wechat":
        external = external if external == sender else None
    channel_proof.seal(metadata, channel, sender, external, os.environ[channel_proof.SECRET_ENV])
    return sender, metadata
