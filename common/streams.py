"""Frontline's Redis streams: their names, and their signed entries, for every writer and reader.

  <prefix>:events  tracker events from bot.broker, and handoffs the action server could not POST
                   (actions.handover.client): both read by the handoff service (handoff.bus)
  <prefix>:relay   agent messages, notices and hand-backs, written and read by the handoff service

Whoever can write to Redis must not be able to speak as a shopper or as an agent: every entry
carries an HMAC-SHA256 of the stream's name and its JSON body, keyed with the secret the bot
side and the handoff service share (HANDOFF_TOKEN). The consumer refuses an entry whose MAC is
missing or wrong. The stream's name is part of the MAC, so an entry copied from one stream to
another (an event replayed as an agent message) is refused as well.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Dict, Mapping

BODY = "json"
MAC = "sig"
EVENTS = "events"
RELAY = "relay"
# The `event` of an events-stream entry that carries a ticket instead of a tracker event.
HANDOFF_REQUEST = "handoff_request"


class ForgedEntry(ValueError):
    """An entry without a valid signature: written by someone who does not hold the secret."""


def stream_key(prefix: str, name: str) -> str:
    """The Redis key of stream `name` (EVENTS, RELAY) under a deployment's prefix."""
    return f"{prefix}:{name}"


def handoff_request(ticket: Mapping[str, Any]) -> Dict[str, Any]:
    """The events-stream payload of a ticket the bot side could not deliver over HTTP."""
    return {"event": HANDOFF_REQUEST, "sender_id": ticket["conversation_id"], "ticket": dict(ticket)}


def _mac(secret: str, stream: str, body: str) -> str:
    message = stream.encode() + b"\n" + body.encode()
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def seal(secret: str, stream: str, payload: Mapping[str, Any]) -> Dict[str, str]:
    """The fields to XADD for `payload` on `stream`."""
    body = json.dumps(payload, ensure_ascii=False, default=str)
    return {BODY: body, MAC: _mac(secret, stream, body)}


def unseal(secret: str, stream: str, fields: Mapping[str, Any]) -> Dict[str, Any]:
    """The payload of an entry read from `stream`; ForgedEntry if it is not signed by `secret`."""
    body, mac = _text(fields.get(BODY)), _text(fields.get(MAC))
    if not body or not mac or not hmac.compare_digest(_mac(secret, stream, body), mac):
        raise ForgedEntry(f"entry on {stream} is not signed with the shared secret")
    payload = json.loads(body)
    if not isinstance(payload, dict):
        raise ValueError("entry body is not a JSON object")
    return payload


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else ""
