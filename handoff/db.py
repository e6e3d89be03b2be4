"""SQL schema of the handoff service and its engine; Alembic migrations run on startup.

SQLAlchemy 1.4 in 2.0 style (future engines, `select()`); SQLite by default, PostgreSQL by URL.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from sqlalchemy import (JSON, Boolean, Column, Float, ForeignKey, Integer, String,
                        Text, UniqueConstraint, create_engine, event)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import declarative_base, sessionmaker

from common.ticket import utcnow
from handoff import pool_check
from handoff.utc import UTCDateTime

Base = declarative_base()
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


class Agent(Base):
    __tablename__ = "handoff_agents"
    id = Column(Integer, primary_key=True)
    username = Column(String(64), unique=True, nullable=False)
    display_name = Column(String(128), nullable=False)
    password_hash = Column(String(128), nullable=False)
    role = Column(String(16), nullable=False, default="agent")  # agent | designer | supervisor
    queues = Column(JSON, nullable=False, default=list)
    languages = Column(JSON, nullable=False, default=list)
    is_active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime(), nullable=True)
    # Authority for compensation (handoff/compensation.yml); None: the matrix's default.
    level = Column(String(16), nullable=True)


class AgentSession(Base):
    __tablename__ = "handoff_agent_sessions"
    # Only a hash of the bearer token is stored: a leaked table does not leak sessions.
    token_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=False, index=True)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime(), nullable=False)
    revoked = Column(Boolean, nullable=False, default=False)


class TicketRow(Base):
    __tablename__ = "handoff_tickets"
    id = Column(Integer, primary_key=True)
    # The bot's idempotency key: a retried handoff creates no second ticket.
    handoff_id = Column(String(64), unique=True, nullable=False)
    conversation_id = Column(String(255), nullable=False, index=True)
    channel = Column(String(32), nullable=False, default="unknown")
    language = Column(String(8), nullable=False, default="zh")
    reason = Column(String(32), nullable=False, index=True)  # the trigger: the reason code
    top_intent = Column(String(64), nullable=True)
    top_confidence = Column(Float, nullable=True)
    queue = Column(String(32), nullable=False, index=True)
    priority = Column(Integer, nullable=False)  # 1 (most urgent) .. 4
    priority_score = Column(Float, nullable=False, default=0.0)
    status = Column(String(16), nullable=False, index=True, default="waiting")
    assignee_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    sla_due_at = Column(UTCDateTime(), nullable=False)
    escalation_level = Column(Integer, nullable=False, default=0)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    first_response_at = Column(UTCDateTime(), nullable=True)
    last_shopper_at = Column(UTCDateTime(), nullable=True)
    last_agent_at = Column(UTCDateTime(), nullable=True)
    silence_notified_at = Column(UTCDateTime(), nullable=True)
    resolved_at = Column(UTCDateTime(), nullable=True)
    resolution_code = Column(String(32), nullable=True)
    csat = Column(Integer, nullable=True)
    csat_at = Column(UTCDateTime(), nullable=True)
    decided_at = Column(Float, nullable=True)
    payload = Column(JSON, nullable=False)  # the full Ticket from the bot (common.ticket)
    # The shop's customer, when the bot knew it: earlier tickets and cases on the ticket page.
    customer_id = Column(String(64), nullable=True, index=True)


class TicketEvent(Base):
    __tablename__ = "handoff_ticket_events"
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    kind = Column(String(32), nullable=False)  # created claimed transferred resolved note ...
    actor = Column(String(64), nullable=False, default="system")
    data = Column(JSON, nullable=False, default=dict)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)


class Message(Base):
    __tablename__ = "handoff_messages"
    __table_args__ = (UniqueConstraint("ticket_id", "dedup_key", name="uq_handoff_messages_dedup"),)
    id = Column(Integer, primary_key=True)
    ticket_id = Column(Integer, ForeignKey("handoff_tickets.id"), nullable=False, index=True)
    conversation_id = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)  # shopper | agent | bot | system
    text = Column(Text, nullable=False)
    agent_id = Column(Integer, ForeignKey("handoff_agents.id"), nullable=True)
    # Where the message came from (Rasa message_id, agent client id): redelivery is a no-op.
    dedup_key = Column(String(128), nullable=False)
    created_at = Column(UTCDateTime(), nullable=False, default=utcnow)
    # Agent messages: queued -> sent (Rasa accepted it) -> delivered (the channel confirmed)
    # or failed (delivery_reason: outside_window, quota_exhausted, no_callback, ...).
    delivered_at = Column(UTCDateTime(), nullable=True)  # when it reached a final state
    delivery = Column(String(16), nullable=True)
    delivery_reason = Column(String(32), nullable=True)
    # The relay stream entry carrying it; None while Redis could not take it (the service
    # enqueues it again until it can: the database is the outbox).
    relay_entry = Column(String(32), nullable=True)


def make_engine(url: str) -> Engine:
    kwargs = {"future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    # PostgreSQL: a liveness check on checkout that costs no round trip in steady use
    # (handoff.pool_check); other databases: SQLAlchemy's pre-ping.
    kwargs["pool_pre_ping"] = not url.startswith("postgresql")
    engine = create_engine(url, **kwargs)
    if url.startswith("postgresql"):
        pool_check.install(engine)
    if url.startswith("sqlite"):
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers don't block the writer
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL survives a crash of the process (only a power cut can lose the
            # last commits) and avoids an fsync per commit on the hot path.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


def migrate(engine: Engine, sqlite_path: Optional[Path] = None) -> None:
    """Bring the schema to the newest Alembic revision (idempotent, run on every start)."""
    from alembic import command
    from alembic.config import Config

    if sqlite_path is not None:
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")
