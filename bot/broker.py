"""A Rasa EventBroker that appends every tracker event to a Redis stream.

Configured in endpoints.yml as `event_broker: {type: bot.broker.RedisStreamEventBroker}`.
The handoff service reads the stream with a consumer group, so the shopper's messages in a
paused (handed-off) conversation reach the agent, durably and in order. Settings come from
the endpoint config or the environment: `url` / REDIS_URL, `key_prefix` / HANDOFF_REDIS_PREFIX (see handoff.config.redis_prefix).

`publish` is synchronous in Rasa's API; one XADD to a local Redis takes well under a
millisecond. If Redis is briefly unreachable, events wait in a bounded in-memory buffer and
are flushed, in order, with the next publish.
"""
from __future__ import annotations

import json
import logging
import os
from collections import deque
from typing import Any, Deque, Dict, Optional, Text

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

log = logging.getLogger(__name__)
MAXLEN = 200_000
BUFFER = 10_000


class RedisStreamEventBroker(EventBroker):
    def __init__(self, url: Optional[str] = None, key_prefix: Optional[str] = None,
                 client: Optional[redis.Redis] = None) -> None:
        self.url = url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        from handoff.config import redis_prefix  # one rule for the bot side and the service

        prefix = key_prefix or redis_prefix()
        self.stream = f"{prefix}:events"
        self.client = client or redis.Redis.from_url(self.url, socket_timeout=2,
                                                     socket_connect_timeout=2)
        self.backlog: Deque[Dict[str, str]] = deque(maxlen=BUFFER)

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Any = None) -> "RedisStreamEventBroker":
        kwargs = dict(broker_config.kwargs or {}) if broker_config else {}
        return cls(url=(broker_config.url if broker_config else None) or kwargs.get("url"),
                   key_prefix=kwargs.get("key_prefix"))

    def _xadd(self, fields: Dict[str, str]) -> None:
        self.client.xadd(self.stream, fields, maxlen=MAXLEN, approximate=True)

    def publish(self, event: Dict[Text, Any]) -> None:
        fields = {"json": json.dumps(event, ensure_ascii=False, default=str)}
        self.backlog.append(fields)
        try:
            while self.backlog:
                self._xadd(self.backlog[0])
                self.backlog.popleft()
        except redis.RedisError as exc:
            log.error("event broker: Redis unavailable (%s); %d events buffered", exc,
                      len(self.backlog))

    def is_ready(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    async def close(self) -> None:
        self.client.close()
