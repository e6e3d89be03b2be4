"""A Rasa EventBroker that appends every tracker event to a Redis stream, signed.

Configured in endpoints.yml as `event_broker: {type: bot.broker.RedisStreamEventBroker}`.
The handoff service reads the stream with a consumer group, so the shopper's messages in a
paused (handed-off) conversation reach the agent, durably and in order. Settings come from
the endpoint config or the environment: `url` / REDIS_URL, `key_prefix` /
HANDOFF_REDIS_PREFIX (see common.config.redis_prefix), `outbox` / BROKER_OUTBOX_DIR.

`publish` never touches the network: it signs the event (common.streams, HANDOFF_TOKEN) and
hands it to a writer thread, so a slow or dead Redis never stalls Rasa's event loop. The
writer XADDs in order; when Redis is unreachable it spills to a local durable outbox
(bot.broker_outbox) and, once Redis answers again, drains it oldest first before anything
newer. Nothing is dropped and nothing trims the stream here (the service trims only what its
consumer group has acknowledged).

Several Rasa processes (Sanic workers, SANIC_WORKERS > 1) may handle one conversation's turns
one after another. So that its events still reach the stream in order, the tracker store then
waits (`settled`) until a turn's events are in Redis or in the outbox before the turn ends and
its lock is released; and as the workers share the outbox file, a worker that finds events in
it (any worker's) puts its new ones behind them, and one worker at a time drains it
(bot.broker_outbox). With one worker (the default) the writer thread's own order is the
stream's order: no turn waits, and the outbox file is read only when this process spilled.
"""
from __future__ import annotations

import asyncio
import logging
import os
import queue
import re
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import redis
from rasa.core.brokers.broker import EventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.broker_outbox import Outbox
from bot.workers import worker_count
from bot.speedups import action_client
from common import streams
from common.config import redis_prefix, shared_token

log = logging.getLogger(__name__)
BATCH = 200
RETRY_SECONDS = 0.5
SETTLE_SECONDS = 5.0  # a turn waits at most this long for its events to be written


class _Settled:
    """A marker in the writer's queue: resolved once everything queued before it is written."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.future = loop, loop.create_future()

    def resolve(self) -> None:
        def done() -> None:
            if not self.future.done():
                self.future.set_result(None)

        self.loop.call_soon_threadsafe(done)


def default_outbox_dir() -> Path:
    return Path(os.environ.get("BROKER_OUTBOX_DIR") or Path.cwd() / "var")


class RedisStreamEventBroker(EventBroker):
    def __init__(self, url: Optional[str] = None, key_prefix: Optional[str] = None,
                 client: Optional[redis.Redis] = None, secret: Optional[str] = None,
                 outbox_dir: Optional[Path] = None, shared: Optional[bool] = None) -> None:
        self.url = url or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
        prefix = key_prefix or redis_prefix()  # one rule for the bot side and the service
        self.stream = streams.stream_key(prefix, streams.EVENTS)
        self.secret = secret or shared_token()
        self.client = client or redis.Redis.from_url(self.url, socket_timeout=2,
                                                     socket_connect_timeout=2)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", self.stream)
        self.outbox = Outbox(Path(outbox_dir or default_outbox_dir()) / f"broker-{name}.db")
        self.queue: "queue.Queue[Optional[Dict[str, str]]]" = queue.Queue()
        self.redis_up = True
        self.spilled = len(self.outbox)  # maintained by the writer thread
        # Other workers' processes write to the same outbox file and stream.
        self.shared = worker_count() > 1 if shared is None else shared
        self._thread = threading.Thread(target=self._run, name="event-broker", daemon=True)
        self._thread.start()

    @classmethod
    async def from_endpoint_config(cls, broker_config: EndpointConfig,
                                   event_loop: Any = None) -> "RedisStreamEventBroker":
        kwargs = dict(broker_config.kwargs or {}) if broker_config else {}
        return cls(url=(broker_config.url if broker_config else None) or kwargs.get("url"),
                   key_prefix=kwargs.get("key_prefix"), outbox_dir=kwargs.get("outbox"))

    def publish(self, event: Dict[Text, Any]) -> None:
        self.queue.put(streams.seal(self.secret, self.stream, dict(event)))

    @property
    def orders_turns(self) -> bool:
        """Whether a turn must wait for `settled` to keep a conversation's events in order
        (only when another worker may handle the conversation's next turn)."""
        return self.shared

    async def settled(self, timeout: float = SETTLE_SECONDS) -> bool:
        """Wait until what was published so far is in Redis or in the outbox (False: timed out;
        the events are still queued and will be written, only their order is not promised)."""
        marker = _Settled(asyncio.get_running_loop())
        self.queue.put(marker)  # type: ignore[arg-type]
        try:
            await asyncio.wait_for(asyncio.shield(marker.future), timeout)
            return True
        except asyncio.TimeoutError:
            log.warning("event broker: events not written within %.0f s", timeout)
            return False

    # -- the writer thread ---------------------------------------------------------------
    def _take(self) -> Optional[List[Dict[str, str]]]:
        """The next batch in order ([] after a quiet second); None when closing."""
        try:
            first = self.queue.get(timeout=RETRY_SECONDS if self._backlog() else 1.0)
        except queue.Empty:
            return []
        batch = [first]
        while len(batch) < BATCH:
            try:
                batch.append(self.queue.get_nowait())
            except queue.Empty:
                break
        if None in batch:
            batch = batch[:batch.index(None)]
            self._spill([e for e in batch if not isinstance(e, _Settled)])
            self._resolve(batch)
            return None
        return batch

    @staticmethod
    def _resolve(batch: List[Any]) -> None:
        for item in batch:
            if isinstance(item, _Settled):
                item.resolve()

    def _spill(self, batch: List[Dict[str, str]]) -> None:
        if batch:
            self.outbox.extend(batch)
            self.spilled = len(self.outbox)

    def _send(self, batch: List[Dict[str, str]]) -> bool:
        try:
            pipe = self.client.pipeline(transaction=False)
            for fields in batch:
                pipe.xadd(self.stream, fields)
            pipe.execute()
        except redis.RedisError as exc:
            if self.redis_up:
                log.error("event broker: Redis unavailable (%s); events go to the local "
                          "outbox %s until it is back", exc, self.outbox.path)
            self.redis_up = False
            return False
        if not self.redis_up:
            log.warning("event broker: Redis is back; outbox drained in order")
        self.redis_up = True
        return True

    def _drain(self) -> None:
        while self.outbox.drain_head(BATCH, lambda rows: self._send([f for _, f in rows])):
            pass
        self.spilled = len(self.outbox)

    def _backlog(self) -> bool:
        """Whether spilled events wait: this process's count, or any worker's in the file."""
        return bool(self.spilled) or (self.shared and self.outbox.any())

    def _run(self) -> None:
        while True:
            items = self._take()
            if items is None:
                return
            batch = [e for e in items if not isinstance(e, _Settled)]
            # older events first, whichever worker spilled them: anything new waits behind them
            if self.spilled or (batch and self.shared and self.outbox.any()):
                self._spill(batch)
                self._drain()
            elif batch and not self._send(batch):
                self._spill(batch)
            self._resolve(items)
            for _ in items:
                self.queue.task_done()
            if self.spilled and not self.redis_up:
                time.sleep(RETRY_SECONDS)

    # -- status and shutdown -----------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every published event is in Redis (tests, the chaos run)."""
        deadline = time.monotonic() + timeout
        while self.queue.unfinished_tasks or self.spilled:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def is_ready(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False

    async def close(self) -> None:
        # Rasa closes the broker when the server stops: the action-server connections go too
        await action_client.close()
        self.queue.put(None)
        self._thread.join(timeout=5)
        self.client.close()
        self.outbox.close()
