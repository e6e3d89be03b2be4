"""The REST channel (`POST /webhooks/rest/webhook`): for tests, `make chat` and scripts only.

It can identify nobody, whatever the request says. Rasa's stock channel copies the body's
``input_channel`` and ``metadata`` into the conversation and lets ``sender`` be any id, so a
caller could continue a WeChat (openid), web (``web:…``) or app (``app:…``) conversation with
its verified slots, or claim a channel's metadata. This channel instead:

* always reports the input channel ``rest`` (the body's ``input_channel`` is ignored);
* drops all metadata (in particular any ``frontline_proof`` seal: common.channel_proof);
* namespaces the conversation id: ``rest:<sender>``, so it can never equal another channel's
  conversation id (``rest:x`` stays ``rest:x``, which lets a test name the conversation).

Registered in credentials.yml as ``bot.channels.rest.ShopperRestInput``; it keeps the name
``rest``, so the stock channel cannot be added next to it (Rasa would register the same URL).
"""
from __future__ import annotations

import re
import uuid
from typing import Any, Dict, Optional, Text

from rasa.core.channels.rest import RestInput
from sanic.request import Request

SENDER_PREFIX = "rest:"
_SENDER_RE = re.compile(r"^[A-Za-z0-9_.:@-]{1,128}$")


def conversation_id(sender: Any) -> str:
    """The namespaced conversation id of a REST sender (a fresh one for a missing or odd id)."""
    raw = sender if isinstance(sender, str) and _SENDER_RE.match(sender) else uuid.uuid4().hex
    return raw if raw.startswith(SENDER_PREFIX) else SENDER_PREFIX + raw


class ShopperRestInput(RestInput):
    """Rasa's REST channel without the ways to claim an identity or join another conversation."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        return conversation_id((req.json or {}).get("sender"))

    def _extract_input_channel(self, req: Request) -> Text:
        return self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return None
