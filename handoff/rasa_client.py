"""Rasa's HTTP API as the relay uses it (server started with --enable-api --auth-token).

Agent messages become `BotUttered` events appended with `execute_side_effects=true` and
`output_channel=latest`: Rasa records them in the tracker (one transcript: bot, shopper and
agent) and sends them through the shopper's own output channel (socket.io room, callback URL).
"""
from __future__ import annotations

import time
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp


class RasaError(Exception):
    pass


class RasaClient:
    def __init__(self, base_url: str, token: Optional[str], session: aiohttp.ClientSession):
        self.base_url, self.token, self.session = base_url.rstrip("/"), token, session

    def _params(self, **extra: str) -> Dict[str, str]:
        params = dict(extra)
        if self.token:
            params["token"] = self.token
        return params

    def _url(self, conversation_id: str, tail: str) -> str:
        return f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/{tail}"

    async def append_events(self, conversation_id: str, events: List[Dict[str, Any]],
                            side_effects: bool = True) -> None:
        params = self._params(output_channel="latest",
                              execute_side_effects="true" if side_effects else "false",
                              include_events="NONE")
        async with self.session.post(self._url(conversation_id, "tracker/events"), json=events,
                                     params=params, timeout=aiohttp.ClientTimeout(total=15)
                                     ) as resp:
            if resp.status >= 300:
                raise RasaError(f"rasa answered {resp.status}: {(await resp.text())[:200]}")

    async def bot_events(self, conversation_id: str) -> List[Dict[str, Any]]:
        async with self.session.get(self._url(conversation_id, "tracker"),
                                    params=self._params(include_events="ALL"),
                                    timeout=aiohttp.ClientTimeout(total=15)) as resp:
            if resp.status >= 300:
                raise RasaError(f"rasa answered {resp.status}")
            tracker = await resp.json()
        return [e for e in tracker.get("events") or [] if e.get("event") == "bot"]

    async def already_sent(self, conversation_id: str, relay_id: str) -> bool:
        """After a crash we may not know whether Rasa got an entry: the tracker knows."""
        for event in await self.bot_events(conversation_id):
            if ((event.get("metadata") or {}).get("handoff") or {}).get("relay_id") == relay_id:
                return True
        return False


def bot_uttered(text: str, relay_id: str, role: str, buttons: Optional[list] = None,
                **meta: Any) -> Dict[str, Any]:
    event: Dict[str, Any] = {"event": "bot", "text": text, "timestamp": time.time(),
                             "metadata": {"handoff": {"relay_id": relay_id, "role": role, **meta}}}
    if buttons:
        event["data"] = {"buttons": buttons}
    return event
