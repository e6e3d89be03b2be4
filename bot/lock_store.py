"""Rasa's Redis lock store, made to survive a Redis crash without locking a conversation.

Rasa serialises the messages of one conversation with a ticket lock in Redis. The stock store
releases the ticket in a ``finally`` after the message was handled; if Redis is down at that
moment (killed, restarting), the release raises, the message that *was* handled is reported
as failed (the widget sends it again, the relay retries it), and the ticket stays in Redis
(persisted by its append-only file) until it expires (``TICKET_LOCK_LIFETIME``, 60 s): every
later message of that conversation waits behind it.

This store remembers a release that failed and does it as soon as Redis answers again (before
the next ticket is issued or awaited), and does not turn a failed release into a failed
message. Registered in endpoints.yml as ``lock_store: type: bot.lock_store.RecoveringRedisLockStore``.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Set, Text

from rasa.core.lock_store import LOCK_LIFETIME, RedisLockStore
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class RecoveringRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[Any] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs,
                      **kwargs}
        super().__init__(**kwargs)
        self.unreleased: Dict[Text, Set[int]] = {}  # tickets whose release Redis missed

    def release_unreleased(self) -> None:
        """Release what a Redis outage kept from being released (raises if still down)."""
        for conversation_id in list(self.unreleased):
            tickets = self.unreleased[conversation_id]
            while tickets:
                ticket = next(iter(tickets))
                super().cleanup(conversation_id, ticket)
                tickets.discard(ticket)
            del self.unreleased[conversation_id]
            logger.info("lock of conversation %s released after Redis came back",
                        conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        try:
            self.release_unreleased()
            super().cleanup(conversation_id, ticket_number)
        except (RedisError, OSError) as exc:
            # The message was handled; only the release waits for Redis.
            self.unreleased.setdefault(conversation_id, set()).add(ticket_number)
            logger.warning("lock of conversation %s not released (Redis: %s); released when "
                           "Redis answers again", conversation_id, exc)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        self._try_release()
        return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        self._try_release()
        super().update_lock(conversation_id)

    def _try_release(self) -> None:
        if not self.unreleased:
            return
        try:
            self.release_unreleased()
        except (RedisError, OSError):
            pass  # still down: what comes next fails on its own and is retried
