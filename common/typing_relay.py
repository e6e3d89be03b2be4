"""Live typing indicators across the handoff, both ways.

* Agent -> shopper: the console's typing POST asks `TypingRelay.agent_typing`, which makes one
  HMAC-signed (HANDOFF_TOKEN, common.signing) call to the web channel's
  `POST /webhooks/socketio/typing` on the Rasa server; the channel emits `agent_typing` to the
  widget's socket.io room. Only web conversations have such a room, so other channels are skipped.
* Shopper -> agent: the web channel calls `POST /api/bot/typing` (handoff.api_bot) signed the
  same way, and the service publishes a `typing` event for the conversation's open ticket.

A typing indicator is a hint, never worth an error: every failure here is logged and dropped.
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable, Dict, Hashable, Optional

import aiohttp

from common import signing

log = logging.getLogger(__name__)

WEB_PREFIX = "web:"
# The web channel's route on the Rasa server (Rasa mounts channel blueprints under /webhooks/).
AGENT_TYPING_PATH = "/webhooks/socketio/typing"
# The service's bot-side route the web channel calls while the shopper types.
SHOPPER_TYPING_PATH = "/api/bot/typing"
# At most one relayed typing event per ticket (or widget session) in this many seconds.
TYPING_INTERVAL = 2.0
MAX_BODY = 1024
MAX_NAME = 64


def small_json(body: bytes) -> Optional[Dict[str, Any]]:
    """A typing call's body as a JSON object, or None if it is not one of at most MAX_BODY bytes."""
    if len(body) > MAX_BODY:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Throttle:
    """`allow(key)` is true at most once per `interval` seconds for each key."""

    def __init__(self, interval: float = TYPING_INTERVAL,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        self.interval, self.clock, self.max_keys = interval, clock, max_keys
        self.last: Dict[Hashable, float] = {}

    def allow(self, key: Hashable) -> bool:
        now = self.clock()
        if now - self.last.get(key, float("-inf")) < self.interval:
            return False
        if len(self.last) >= self.max_keys:  # bounded: forget keys that are quiet anyway
            self.last = {k: t for k, t in self.last.items() if now - t < self.interval}
        self.last[key] = now
        return True


class TypingRelay:
    """Service -> Rasa web channel: "the agent is typing" for a ticket's web conversation."""

    def __init__(self, http: aiohttp.ClientSession, rasa_url: str, secret: str,
                 throttle: Optional[Throttle] = None, timeout: float = 3.0) -> None:
        self.http, self.secret = http, secret
        self.url = rasa_url.rstrip("/") + AGENT_TYPING_PATH
        self.throttle = throttle or Throttle()
        self.timeout = timeout

    async def agent_typing(self, conversation_id: str, ticket_id: int, agent_name: str) -> bool:
        """True when the channel accepted the event; never raises."""
        if not conversation_id.startswith(WEB_PREFIX) or not self.throttle.allow(ticket_id):
            return False
        body = json.dumps({"conversation_id": conversation_id, "ticket_id": ticket_id,
                           "agent_name": agent_name[:MAX_NAME]}, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json",
                   **signing.sign(self.secret, "POST", AGENT_TYPING_PATH, body)}
        try:
            async with self.http.post(self.url, data=body, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=self.timeout)) as resp:
                if resp.status != 200:
                    log.warning("typing relay for ticket %s: channel answered %s",
                                ticket_id, resp.status)
                    return False
                return True
        except Exception as exc:  # Rasa down or slow: the agent's console must not notice
            log.warning("typing relay for ticket %s failed: %s", ticket_id, exc)
            return False
