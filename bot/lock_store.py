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

Each change of a conversation's lock (issue a ticket, drop expired ones, release one) is also
atomic here. The stock store reads the lock, changes it and writes it back in three Redis calls:
within one process nothing runs in between, but two processes (Rasa's Sanic workers, replicas)
handling two messages of one conversation at the same moment can both read ticket N, both take
N+1 and both run at once, or one overwrites the other's ticket (RasaHQ/rasa#9213). Here the
write happens only if the key did not change since it was read (WATCH/MULTI/EXEC), else the
change is made again on the fresh lock.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Dict, Optional, Set, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from redis.exceptions import RedisError, WatchError

T = TypeVar("T")

logger = logging.getLogger(__name__)


class RecoveringRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[Any] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs,
                      **kwargs}
        super().__init__(**kwargs)
        self.unreleased: Dict[Text, Set[int]] = {}  # tickets whose release Redis missed

    def _change(self, conversation_id: Text,
                change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], T]]) -> T:
        """Apply `change` to the stored lock atomically; it returns the lock to store (None:
        delete the key) and the result. Re-run on a fresh read when another process wrote."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(lock)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except WatchError:
                    continue  # another worker changed the lock between our read and write

    def _issue(self, conversation_id: Text, lock_lifetime: float) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, issue)
        except Exception as exc:  # as Rasa's store reports it
            raise LockError(f"Error while acquiring lock. Error:\n{exc}")

    def _release(self, conversation_id: Text, ticket_number: int) -> None:
        def release(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return (lock if lock is not None and lock.is_someone_waiting() else None), None

        self._change(conversation_id, release)

    def _drop_expired(self, conversation_id: Text) -> None:
        def drop(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, drop)  # no lock: deleting the absent key changes nothing

    def release_unreleased(self) -> None:
        """Release what a Redis outage kept from being released (raises if still down)."""
        for conversation_id in list(self.unreleased):
            tickets = self.unreleased[conversation_id]
            while tickets:
                ticket = next(iter(tickets))
                self._release(conversation_id, ticket)
                tickets.discard(ticket)
            del self.unreleased[conversation_id]
            logger.info("lock of conversation %s released after Redis came back",
                        conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        try:
            self.release_unreleased()
            self._release(conversation_id, ticket_number)
        except (RedisError, OSError) as exc:
            # The message was handled; only the release waits for Redis.
            self.unreleased.setdefault(conversation_id, set()).add(ticket_number)
            logger.warning("lock of conversation %s not released (Redis: %s); released when "
                           "Redis answers again", conversation_id, exc)

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        self._try_release()
        return self._issue(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        self._try_release()
        self._drop_expired(conversation_id)

    def _try_release(self) -> None:
        if not self.unreleased:
            return
        try:
            self.release_unreleased()
        except (RedisError, OSError):
            pass  # still down: what comes next fails on its own and is retried
