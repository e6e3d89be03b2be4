"""Proof that a channel verified a shopper's identity, bound to one conversation.

The Rasa input channels that really check who is writing (the web widget's socket.io channel,
the signature-checked WeChat channel, the app channel's token check) *seal* the identity they
verified into the message metadata: an HMAC over (channel, conversation id, identifier) with
CHANNEL_PROOF_SECRET, a secret the Rasa process and the action server share. The action server
believes an identity only when the seal verifies for the tracker's own conversation id.

Nothing else counts: not a metadata ``channel`` key, not the input channel a request reports
(Rasa's stock REST channel copies both from the request body), not a sender id. Without the
secret nothing is sealed and nobody is identified (fail closed).
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional

log = logging.getLogger(__name__)

SECRET_ENV = "CHANNEL_PROOF_SECRET"
PROOF_KEY = "frontline_proof"
CHANNELS = ("web", "wechat", "app")


@dataclass(frozen=True)
class VerifiedIdentity:
    """An identifier a channel vouched for, in the conversation it vouched for it in."""
    channel: str
    external_id: str
    conversation_id: str


def _secret(secret: Optional[str]) -> Optional[bytes]:
    value = secret if secret is not None else os.environ.get(SECRET_ENV, "")
    return value.encode() if value else None


def _mac(key: bytes, channel: str, conversation_id: str, external_id: str) -> str:
    message = "\n".join((channel, conversation_id, external_id)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def seal(metadata: Dict[str, Any], channel: str, conversation_id: str,
         external_id: Optional[str], secret: Optional[str] = None) -> Dict[str, Any]:
    """`metadata` with the proof for this identity (any proof it carried is dropped first)."""
    metadata.pop(PROOF_KEY, None)
    key = _secret(secret)
    if channel not in CHANNELS or not external_id:
        return metadata
    if key is None:
        log.warning("%s is not set: the %s identity is not sealed and identifies nobody",
                    SECRET_ENV, channel)
        return metadata
    metadata[PROOF_KEY] = {"channel": channel, "id": str(external_id),
                           "mac": _mac(key, channel, conversation_id, str(external_id))}
    return metadata


def strip(metadata: Dict[str, Any]) -> Dict[str, Any]:
    """`metadata` without any proof: what a channel does with metadata from a client."""
    metadata.pop(PROOF_KEY, None)
    return metadata


def verified(metadata: Optional[Mapping[str, Any]], conversation_id: Optional[str],
             secret: Optional[str] = None) -> Optional[VerifiedIdentity]:
    """The identity sealed into `metadata` for `conversation_id`, or None."""
    proof = (metadata or {}).get(PROOF_KEY)
    key = _secret(secret)
    if key is None or not conversation_id or not isinstance(proof, Mapping):
        return None
    channel, external_id, mac = proof.get("channel"), proof.get("id"), proof.get("mac")
    if channel not in CHANNELS or not isinstance(external_id, str) or not isinstance(mac, str):
        return None
    if not hmac.compare_digest(_mac(key, channel, conversation_id, external_id), mac):
        return None
    return VerifiedIdentity(channel, external_id, conversation_id)
