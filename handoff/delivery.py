"""How an agent's message reaches the shopper's channel, and what we can truthfully say about it.

  sent       Rasa accepted it and pushed it to the channel, which does not confirm (yet): it is
             in the transcript and on its way.
  delivered  The channel confirmed it: WeChat's customer-service API answered errcode 0, or
             the web widget acknowledged it (handoff.receipts).
  failed     It cannot reach the shopper; `reason` says why and the console says what the agent
             can do (the `console.delivery_*` texts in handoff/locale/).

WeChat goes through the channel's own send route (`POST /webhooks/wechat/send` on the Rasa
server, bearer WECHAT_RELAY_SECRET), because only it reports the 48-hour window and the quota;
the message is then recorded in the tracker without side effects, so Rasa does not send it a
second time. A marker in Redis (`<prefix>:wechat-sent:<relay_id>`, set once WeChat confirmed)
keeps a relay entry re-delivered after a crash from being sent twice, and `<prefix>:relayed:
<relay_id>` (set once the outcome is known) a second entry for the same message (the service
enqueues a message again when it is not sure Redis took the first). Both are also kept in
this process (`Outcomes`): when Redis dies between WeChat's confirmation and the marker, the
entry is retried once Redis is back and must find the message sent, not send it again.
Every other channel is one `BotUttered` through Rasa's `output_channel=latest`; its push can
still go out twice (Rasa killed between the push and saving the tracker), so the push carries
the relay id and the widget shows an id once (bot.channels.webchat).
A network failure to the Rasa server raises: the relay entry stays pending and is retried.
"""
from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, Optional

import aiohttp

from handoff.rasa_client import RasaClient, RasaError, bot_uttered

log = logging.getLogger(__name__)
WECHAT_SEND_PATH = "/webhooks/wechat/send"
# Channels whose conversations cannot receive a message pushed later.
NO_PUSH = {"rest", "cmdline"}
WECHAT_REASONS = {"outside_window", "quota_exhausted"}
# The markers cover the moments between a send and its outcome in SQL (a crash, a second entry);
# once the outcome is committed, SQL answers (Service.handle_relay checks it first) and they are
# deleted (`forget`), so Redis does not grow with the message count. The expiry only bounds
# what a crash before that leaves behind.
SENT_MARKER_SECONDS = 3600


@dataclass(frozen=True)
class Outcome:
    state: str  # sent | delivered | failed
    reason: str = ""


class Outcomes:
    """Markers this process set (or could not set yet), newest last, bounded."""

    def __init__(self, size: int = 10_000) -> None:
        self.size, self.items = size, OrderedDict()

    def add(self, key: str, value: Any) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)

    def __contains__(self, key: str) -> bool:
        return key in self.items


class ChannelDelivery:
    def __init__(self, rasa: RasaClient, http: aiohttp.ClientSession, rasa_url: str,
                 wechat_relay_secret: Optional[str], app_callback: bool, redis: Any,
                 prefix: str) -> None:
        self.rasa, self.http, self.rasa_url = rasa, http, rasa_url.rstrip("/")
        self.wechat_secret, self.app_callback = wechat_relay_secret, app_callback
        self.redis, self.prefix = redis, prefix
        self.outcomes = Outcomes()

    async def _marked(self, key: str) -> bool:
        return key in self.outcomes or bool(await self.redis.exists(key))

    async def _mark(self, key: str, value: str) -> None:
        self.outcomes.add(key, value)
        await self.redis.set(key, value, ex=SENT_MARKER_SECONDS)

    async def forget(self, relay_id: str) -> None:
        """The outcome is in SQL: the markers are no longer needed."""
        keys = [f"{self.prefix}:relayed:{relay_id}", f"{self.prefix}:wechat-sent:{relay_id}"]
        for key in keys:
            self.outcomes.items.pop(key, None)
        try:
            await self.redis.delete(*keys)
        except Exception as exc:  # Redis away: they expire on their own
            log.warning("delivery markers of %s not deleted: %s", relay_id, exc)

    async def agent_message(self, item: Dict[str, Any], redelivered: bool) -> Optional[Outcome]:
        """The outcome, or None when this message was handled before (a second entry)."""
        done = f"{self.prefix}:relayed:{item['relay_id']}"
        unrecorded = self.outcomes.items.get(done)
        if isinstance(unrecorded, Outcome):  # handled here, but Redis died before the marker
            await self.redis.set(done, unrecorded.state, ex=SENT_MARKER_SECONDS)
            self.outcomes.items.pop(done, None)
            return unrecorded  # its bookkeeping did not happen either
        if await self.redis.exists(done):
            return None
        outcome = await self._agent_message(item, redelivered)
        try:
            await self.redis.set(done, outcome.state, ex=SENT_MARKER_SECONDS)
        except Exception:
            self.outcomes.add(done, outcome)  # the retry must not send it again
            raise
        return outcome

    async def _agent_message(self, item: Dict[str, Any], redelivered: bool) -> Outcome:
        conversation, relay_id = item["conversation_id"], item["relay_id"]
        event = bot_uttered(item["text"], relay_id, item.get("role", "agent"),
                            agent=item.get("agent"), ticket_id=item.get("ticket_id"))
        if redelivered and await self.rasa.already_sent(conversation, relay_id):
            return Outcome("sent")  # a crash after the send: what the channel said is lost
        channel = str(item.get("channel") or "")
        if channel == "wechat":
            outcome = await self._wechat(conversation, item["text"], relay_id)
            await self.rasa.append_events(conversation, [event], side_effects=False)
            return outcome
        if channel == "app" and not self.app_callback:
            await self.rasa.append_events(conversation, [event], side_effects=False)
            return Outcome("failed", "no_callback")
        await self.rasa.append_events(conversation, [event])
        if channel in NO_PUSH:
            return Outcome("failed", "no_push_channel")
        return Outcome("sent")

    async def _wechat(self, openid: str, text: str, relay_id: str) -> Outcome:
        if not self.wechat_secret:
            log.error("WECHAT_RELAY_SECRET is not set for the handoff service: agent replies "
                      "on WeChat cannot be sent")
            return Outcome("failed", "channel_misconfigured")
        marker = f"{self.prefix}:wechat-sent:{relay_id}"
        if await self._marked(marker):
            return Outcome("delivered")
        url = self.rasa_url + WECHAT_SEND_PATH
        headers = {"Authorization": f"Bearer {self.wechat_secret}"}
        body = {"openid": openid, "text": text}
        try:
            async with self.http.post(url, json=body, headers=headers,
                                      timeout=aiohttp.ClientTimeout(total=20)) as resp:
                status = resp.status
                data = await resp.json(content_type=None) if status < 500 or status == 502 \
                    else {}
        except aiohttp.ClientError as exc:  # the Rasa server is down: retry the entry later
            raise RasaError(f"WeChat send route unreachable: {exc}") from exc
        if status == 200:
            await self._mark(marker, "1")
            return Outcome("delivered")
        reason = str((data or {}).get("reason") or "")
        if status == 409 and reason in WECHAT_REASONS:
            return Outcome("failed", reason)
        if status in (401, 403, 404):
            log.error("WeChat send route answered %s: WECHAT_RELAY_SECRET differs between the "
                      "handoff service and the Rasa server, or the channel is not enabled", status)
            return Outcome("failed", "channel_misconfigured")
        if status == 502:
            return Outcome("failed", "channel_error")
        raise RasaError(f"WeChat send route answered {status}")  # 5xx: Rasa in trouble, retry
