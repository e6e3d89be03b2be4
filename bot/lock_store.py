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
atomic here, and one Redis call. The stock store reads the lock, changes it and writes it back in
separate calls: two processes (Rasa's Sanic workers, replicas) handling two messages of one
conversation at the same moment can both read ticket N, both take N+1 and both run at once, or
one overwrites the other's ticket (RasaHQ/rasa#9213). Here each change is a Lua script that
Redis runs on its own, on the lock as Rasa stores it (so Rasa's `get_lock` still reads it). A
message takes two calls, issue and release, instead of the stock store's seven; the calls block
Rasa's event loop, so each one saved is latency saved for every conversation in flight.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncGenerator, Dict, Optional, Set, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
FIRST_RETRY_SECONDS = 0.02

# The lock as Rasa stores it: {"conversation_id": ..., "tickets": ["<ticket JSON>", ...]}, each
# ticket {"number": n, "expires": t}. Tickets are kept as the strings they were written as.
# KEYS[1] the lock; ARGV[1] the conversation id as JSON, ARGV[2] now (time.time()).
_LOAD = """
local function load(key, now)
  local raw = redis.call('GET', key)
  if not raw then return nil end
  local kept = {}
  for _, text in ipairs(cjson.decode(raw)['tickets'] or {}) do
    local ticket = cjson.decode(text)
    if not (now > tonumber(ticket['expires'])) then
      table.insert(kept, {text, tonumber(ticket['number'])})
    end
  end
  return kept
end
local function save(key, conversation, kept)
  local parts = {}
  for i, ticket in ipairs(kept) do parts[i] = cjson.encode(ticket[1]) end
  redis.call('SET', key, '{"conversation_id": ' .. conversation .. ', "tickets": ['
             .. table.concat(parts, ', ') .. ']}')
end
local now = tonumber(ARGV[2])
"""
# ARGV[3] the new ticket's expiry, as Python writes it -> {its number, the number now served}
_ISSUE = _LOAD + """
local kept = load(KEYS[1], now) or {}
local number = 0
if #kept > 0 then number = kept[#kept][2] + 1 end
table.insert(kept, {'{"number": ' .. number .. ', "expires": ' .. ARGV[3] .. '}', number})
save(KEYS[1], ARGV[1], kept)
return {number, kept[1][2]}
"""
# ARGV[3] the ticket released; the lock goes when nobody else holds a ticket
_RELEASE = _LOAD + """
local kept = load(KEYS[1], now)
if not kept then return 0 end
local left = {}
for _, ticket in ipairs(kept) do
  if ticket[2] ~= tonumber(ARGV[3]) then table.insert(left, ticket) end
end
if #left == 0 then redis.call('DEL', KEYS[1]) else save(KEYS[1], ARGV[1], left) end
return 1
"""
# -> the number now served (0 with no ticket left, as Rasa's `now_serving`), -1 without a lock
_DROP_EXPIRED = _LOAD + """
local kept = load(KEYS[1], now)
if not kept then return -1 end
save(KEYS[1], ARGV[1], kept)
if #kept == 0 then return 0 end
return kept[1][2]
"""


class RecoveringRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[Any] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:  # how Rasa builds a store named by its module path
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs,
                      **kwargs}
        super().__init__(**kwargs)
        self.unreleased: Dict[Text, Set[int]] = {}  # tickets whose release Redis missed
        self._scripts: Dict[str, Any] = {}

    def _run(self, script: str, conversation_id: Text, *args: Any) -> Any:
        # redis-py's Script: EVALSHA, loading the script when this Redis does not know it yet;
        # the client is looked up per call (the recovery test swaps it for a dead one)
        if script not in self._scripts:
            self._scripts[script] = self.red.register_script(script)
        return self._scripts[script](keys=[self.key_prefix + conversation_id],
                                     args=[json.dumps(conversation_id), repr(time.time()), *args],
                                     client=self.red)

    def _issue(self, conversation_id: Text, lock_lifetime: float) -> Tuple[int, int]:
        """(the new ticket, the ticket now served)."""
        try:
            number, serving = self._run(_ISSUE, conversation_id,
                                        repr(time.time() + lock_lifetime))
        except Exception as exc:  # as Rasa's store reports it
            raise LockError(f"Error while acquiring lock. Error:\n{exc}")
        return int(number), int(serving)

    def _release(self, conversation_id: Text, ticket_number: int) -> None:
        self._run(_RELEASE, conversation_id, str(int(ticket_number)))

    def _drop_expired(self, conversation_id: Text) -> Optional[int]:
        """Drop expired tickets; the ticket now served, None when the lock is gone."""
        serving = int(self._run(_DROP_EXPIRED, conversation_id))
        return None if serving < 0 else serving

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
        return self._issue(conversation_id, lock_lifetime)[0]

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Rasa's ticket lock: the issue call already tells whether the ticket is served, so
        an uncontended message asks Redis twice (issue, release), not seven times.

        A waiting message asks again after 20 ms, doubling up to `wait_time_in_seconds`: Rasa
        sleeps the whole second each time, so a shopper's message that arrived while the handoff
        service paused the conversation waited up to a second for a lock held a few ms."""
        self._try_release()
        ticket, serving = self._issue(conversation_id, lock_lifetime)
        delay = min(FIRST_RETRY_SECONDS, wait_time_in_seconds)
        try:
            while serving != ticket:
                await asyncio.sleep(delay)
                delay = min(delay * 2, wait_time_in_seconds)
                self._try_release()
                now_serving = self._drop_expired(conversation_id)
                if now_serving is None:  # the lock expired and went, as in Rasa's loop
                    raise LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'.")
                serving = now_serving
            yield TicketLock(conversation_id)
        finally:
            self.cleanup(conversation_id, ticket)

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
