"""The running service: database, Redis consumers, relay to Rasa, escalation sweep, fan-out."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, List, Optional, TypeVar

import aiohttp
from aiohttp import web
from redis.exceptions import RedisError
from sqlalchemy import select

from common import production, streams
from common.ticket import Ticket
from common.typing_relay import TypingRelay
from handoff import bus, health, receipts, store
from handoff.agents import create_agent, verify_password
from handoff.bot_events import BotEvents
from handoff.aftersales import intake
from handoff.cluster import Cluster
from handoff.conversations import record as conversation_record
from handoff.conversations.segments import Segments
from handoff.config import Settings
from handoff.db import Agent, Message, TicketRow, make_engine, make_sessionmaker
from handoff.delivery import ChannelDelivery, Outcome
from handoff.event_batch import EventBatch
from handoff.hub import Hub
from handoff.live_sessions import recheck_forever
from handoff.notices import csat_buttons, notice
from handoff.rasa_client import RasaClient, bot_uttered
from handoff.render import fill
from handoff.routing import Routing
from handoff.schema import migrate_locked, require_current

log = logging.getLogger(__name__)
# Longest a clean stop waits for the leased stream consumers (the entry in flight, grace 10 s).
STOP_SECONDS = 20.0
R = TypeVar("R")


def event_conversation(event: Dict[str, Any]) -> str:
    """Events of one conversation in order (a queued handoff before the shopper's messages)."""
    ticket = event.get("ticket") if isinstance(event.get("ticket"), dict) else {}
    return str(event.get("sender_id") or ticket.get("conversation_id") or "")


def relay_conversation(item: Dict[str, Any]) -> str:
    return str(item.get("conversation_id") or "")


class Service(BotEvents):
    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = make_engine(settings.resolved_db_url)
        self.maker = make_sessionmaker(self.engine)
        self.routing = Routing.load(settings.routing_file, settings.timezone)
        self.hub = Hub()
        self.redis = bus.connect(settings.redis_url)
        self.events_stream = streams.stream_key(settings.redis_prefix, streams.EVENTS)
        self.relay_stream = streams.stream_key(settings.redis_prefix, streams.RELAY)
        self.http: Optional[aiohttp.ClientSession] = None
        self.rasa: Optional[RasaClient] = None
        self.delivery: Optional[ChannelDelivery] = None
        self.typing: Optional[TypingRelay] = None
        self.tasks: List[asyncio.Task] = []
        self.started = False
        self.durability_warnings: List[str] = []
        self.cluster: Optional[Cluster] = None
        # read-model events recorded one shopper message at a time (handoff.conversations.segments)
        self.segments = Segments()
        # every conversation of a stream read in one transaction (handoff.event_batch)
        self.batch = EventBatch(self)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self) -> None:
        if self.settings.migrate_on_start:
            await asyncio.to_thread(migrate_locked, self.engine, self.settings.sqlite_path)
        else:  # replicas: the migration step owns the schema (make migrate)
            await asyncio.to_thread(require_current, self.engine)
        if production.is_production():
            await self.db(self._refuse_demo_account)
        if self.settings.demo_agent:
            await self.db(self._ensure_demo_agent)
        self.http = aiohttp.ClientSession()
        self.rasa = RasaClient(self.settings.rasa_url, self.settings.rasa_token, self.http)
        self.typing = TypingRelay(self.http, self.settings.rasa_url, self.settings.token)
        self.delivery = ChannelDelivery(self.rasa, self.http, self.settings.rasa_url,
                                        self.settings.wechat_relay_secret,
                                        self.settings.app_callback, self.redis,
                                        self.settings.redis_prefix)
        self.durability_warnings = await health.check_durability_at_start(self.redis)
        for stream in (self.events_stream, self.relay_stream):
            await bus.ensure_group(self.redis, stream)
        self.tasks.append(asyncio.create_task(
            recheck_forever(self.hub, self.db, self.settings.ws_recheck_seconds)))
        self.cluster = Cluster(self)
        await self.cluster.start(self.settings.run_workers)
        self.started = True
        if self.settings.run_workers:
            self.tasks.append(asyncio.create_task(self._sweep_forever()))
            self.tasks.append(asyncio.create_task(self._requeue_forever()))

    def make_consumer(self, name: str) -> bus.Consumer:
        """The consumer of one stream, made when this instance wins the stream's lease;
        claim_idle_ms=0: the lease holder takes over every entry a dead holder left pending."""
        stream, handler, key = {"events": (self.events_stream, self.handle_event, event_conversation),
                                "relay": (self.relay_stream, self.handle_relay, relay_conversation)}[name]
        events = name == "events"
        return bus.Consumer(self.redis, stream, self.settings.consumer_name, handler,
                            self.settings.token, key=key, claim_idle_ms=0,
                            lane_start=self.segments.prepare if events else None,
                            batch=self.batch.run if events else None,
                            linger=self.settings.events_linger_seconds if events else 0.0)

    def consumer(self, name: str) -> Optional[bus.Consumer]:
        """This instance's consumer of a stream; None while another instance holds its lease."""
        return self.cluster.consumer(name) if self.cluster is not None else None

    def consumer_task_dead(self, name: str) -> bool:
        if self.cluster is None:
            return False
        task = self.cluster.workers[name].task
        return task is not None and task.done()

    def _ensure_demo_agent(self, db) -> None:
        username, _, password = str(self.settings.demo_agent).partition(":")
        if username and password and db.execute(
                select(Agent).where(Agent.username == username)).scalar_one_or_none() is None:
            create_agent(db, username, password, role="supervisor")
            log.info("created demo agent %s", username)

    @staticmethod
    def _refuse_demo_account(db) -> None:
        """Production mode: the demo supervisor with its public password must not exist."""
        username = production.DEMO_VALUES["HANDOFF_DEMO_AGENT"].partition(":")[0]
        agent = db.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
        if agent is not None and agent.is_active and verify_password(
                production.DEMO_AGENT_PASSWORD, agent.password_hash):
            raise production.DefaultSecretError(
                f"the handoff service refuses to start in production: the demo account "
                f"'{username}' still has the public demo password (disable it: "
                f"python -m handoff.accounts disable {username})")

    async def drain(self) -> None:
        """Shutdown, first step (the server accepts nothing new): agents reconnect elsewhere."""
        await self.hub.close_all()

    async def stop(self) -> None:
        if self.cluster is not None:  # finishes the stream entries in flight
            try:  # bounded: a stuck Redis connection must not keep the process from exiting
                await asyncio.wait_for(self.cluster.stop(), STOP_SECONDS)
            except asyncio.TimeoutError:
                log.error("stopping the stream consumers took over %s s; stopping anyway",
                          STOP_SECONDS)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self.hub.close_all()
        if self.http is not None:
            await self.http.close()
        await self.redis.close()
        self.engine.dispose()

    async def db(self, fn: Callable[..., R], *args: Any) -> R:
        """Run `fn(session, *args)` in one transaction on a worker thread."""
        def work() -> R:
            with self.maker.begin() as session:
                return fn(session, *args)
        return await asyncio.to_thread(work)

    # -- intake ----------------------------------------------------------------------------
    async def accept(self, ticket: Ticket) -> Dict[str, Any]:
        if not ticket.summary or not ticket.first_sentence:  # the service owns these templates
            fill(ticket)
        online = self.hub.online_for(self.routing.queue_for(ticket))

        def work(db):
            row, place = store.create_ticket(db, ticket, self.routing, online)
            return store.ticket_view(row), place
        view, place = await self.db(work)
        if not place.duplicate:
            self.hub.publish({"type": "ticket.new", "ticket": view,
                              "decided_at": ticket.decided_at}, queue=view["queue"])
        return place.to_dict()

    async def open_bot_case(self, data: Dict[str, Any]) -> tuple:
        """A case the bot opened (HTTP or, when that failed, the intake stream): (view, created)."""
        view, created = await self.db(intake.open_from_bot, data)
        if created:
            self.hub.publish({"type": "case.updated", "change": "opened", "case": view},
                             queue=view["department"], supervisors=True)
        return view, created

    # -- relay to the shopper ---------------------------------------------------------------
    async def enqueue_relay(self, item: Dict[str, Any]) -> str:
        item.setdefault("relay_id", uuid.uuid4().hex)
        return await bus.publish(self.redis, self.settings.token, self.relay_stream, item)

    async def relay_agent_message(self, message_id: int) -> bool:
        """Put a stored agent message on the relay stream and note the entry. The message is
        committed first, so if Redis cannot take it now it stays queued in the database and
        `requeue_agent_messages` tries again; the relay's marker keeps it from going out twice."""
        for earlier in await self.db(store.unrelayed_before, message_id):
            if not await self._relay_one(earlier):
                return False  # still no Redis: the re-queue loop sends them all, in order
        return await self._relay_one(message_id)

    async def _relay_one(self, message_id: int) -> bool:
        item = await self.db(store.relay_item, message_id)
        if item is None:
            return False
        try:
            entry = await self.enqueue_relay(item)
        except (RedisError, OSError) as exc:
            log.warning("agent message %s saved; Redis unavailable (%s): relayed when it is "
                        "back", message_id, exc)
            return False
        await self.db(store.set_relay_entry, message_id, entry)
        return True

    async def requeue_agent_messages(self, older_than: float = 3.0) -> int:
        relayed = 0
        for message_id in await self.db(store.unrelayed_agent_messages, older_than):
            if not await self._relay_one(message_id):
                break  # Redis still away; oldest first again next round
            relayed += 1
        return relayed

    async def _requeue_forever(self, every: float = 2.0) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.requeue_agent_messages()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database or Redis down: next round
                log.warning("re-queueing agent messages failed: %s", exc)

    async def handle_relay(self, entry_id: str, item: Dict[str, Any], redelivered: bool) -> None:
        assert self.rasa is not None and self.delivery is not None
        conversation = item["conversation_id"]
        relay_id = item["relay_id"]
        if item["kind"] == "agent_message":
            if await self.db(store.relay_handled, item.get("message_id")):
                return  # a re-delivered or second entry of a message whose outcome is recorded
            outcome = await self.delivery.agent_message(item, redelivered)
            if outcome is None:  # a second entry for a message already handled
                return
            # Bookkeeping only (state + a live tick): off the ordered critical path,
            # so the next shopper-bound message is not held up by a database commit.
            self.background(self._delivered(item, outcome))
            return
        if item["kind"] == "handback":
            lang = item.get("language")
            events = [{"event": "resume"},
                      bot_uttered(notice("anything_else", lang), relay_id, "bot"),
                      bot_uttered(notice("csat_ask", lang), f"{relay_id}:csat", "bot",
                                  buttons=csat_buttons()),
                      {"event": "action", "name": "action_listen"}]
        elif item["kind"] == "case_progress":  # on the shopper's channel, like an agent's reply
            await self.delivery.agent_message(item, redelivered)
            return
        elif item["kind"] == "pause":
            await self.rasa.append_events(conversation, [{"event": "pause"}], side_effects=False)
            return
        else:
            events = [bot_uttered(item["text"], relay_id, item.get("role", "bot"),
                                  agent=item.get("agent"), ticket_id=item.get("ticket_id"))]
        if not (redelivered and await self.rasa.already_sent(conversation, relay_id)):
            await self.rasa.append_events(conversation, events)

    def background(self, coro: Awaitable[Any]) -> None:
        """Run `coro` off the request's path; it is cancelled with the service."""
        task = asyncio.ensure_future(coro)
        self.tasks.append(task)
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task) -> None:
        if task in self.tasks:
            self.tasks.remove(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed: %s", task.exception())

    async def _delivered(self, item: Dict[str, Any], outcome: Outcome) -> None:
        def work(db):
            receipts.advance(db, int(item["message_id"]), outcome.state, outcome.reason or None)
            msg = db.get(Message, int(item["message_id"]))
            row = db.get(TicketRow, msg.ticket_id) if msg is not None else None
            return (store.message_view(msg), row.queue) if msg is not None and row else None
        result = await self.db(work)
        await self.delivery.forget(item["relay_id"])  # SQL has it now: Redis need not keep it
        if result:
            view, queue = result
            self.hub.publish({"type": "message.delivered", "message": view}, queue=queue)

    # -- escalation ----------------------------------------------------------------------------
    async def sweep(self) -> int:
        silence = timedelta(seconds=self.settings.silence_seconds)

        def work(db):
            return [(store.ticket_view(row), cause)
                    for row, cause in store.overdue(db, self.routing, silence)]
        changed = await self.db(work)
        for view, cause in changed:
            self.hub.publish({"type": "ticket.escalated", "cause": cause, "ticket": view},
                             queue=view["queue"], supervisors=True)
            await self.enqueue_relay({
                "kind": "notice", "conversation_id": view["conversation_id"],
                "text": notice(cause, view["language"]),
                "relay_id": f"{cause}:{view['id']}:{view['escalation_level']}"})
        return len(changed)

    async def trim(self) -> int:
        """Drop stream entries every group has acknowledged (SQL is the record)."""
        return sum([await bus.trim_acknowledged(self.redis, s)
                    for s in (self.events_stream, self.relay_stream)])

    async def _sweep_forever(self) -> None:
        while True:
            try:
                if self.cluster is None or await self.cluster.may_sweep():
                    await self.sweep()
                    await self.trim()
                    await self.db(conversation_record.forget_seen, time.time())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("escalation sweep failed")
            await asyncio.sleep(self.settings.sweep_seconds)


SERVICE = web.AppKey("service", Service)
SETTINGS = web.AppKey("settings", Settings)
