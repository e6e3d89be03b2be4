"""The read model's tables (migration 0010 and 0009; see handoff/conversations/__init__)."""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, Index, Integer, String, Text,
                        UniqueConstraint)

from handoff.db import Base


class StudioConversation(Base):
    """One sender's whole conversation as the studio reviews it (all its sessions)."""
    __tablename__ = "studio_conversations"
    id = Column(String(255), primary_key=True)  # Rasa's sender id
    channel = Column(String(32), nullable=False, default="unknown")
    language = Column(String(8), nullable=True)
    started_at = Column(Float, nullable=False, index=True)
    last_at = Column(Float, nullable=False, index=True)
    shopper_turns = Column(Integer, nullable=False, default=0)
    fallback = Column(Boolean, nullable=False, default=False)
    handed_off = Column(Boolean, nullable=False, default=False)
    csat = Column(Integer, nullable=True)
    flow_open = Column(Boolean, nullable=False, default=False)
    flow_abandoned = Column(Boolean, nullable=False, default=False)
    intents = Column(JSON, nullable=False, default=list)
    tags = Column(JSON, nullable=False, default=list)


class StudioTurn(Base):
    """One message of the shopper or the bot (masked); the dashboard counts shopper turns."""
    __tablename__ = "studio_turns"
    __table_args__ = (UniqueConstraint("conversation_id", "dedup", name="uq_studio_turns_dedup"),
                      Index("ix_studio_turns_role_at", "role", "at"))
    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    dedup = Column(String(160), nullable=False)
    at = Column(Float, nullable=False)
    role = Column(String(8), nullable=False)  # shopper | bot
    pieces = Column(JSON, nullable=False, default=list)  # [[masked, safe, entity|null], ...]
    intent = Column(String(128), nullable=True)
    confidence = Column(Float, nullable=True)
    entities = Column(JSON, nullable=False, default=list)  # [{entity, value (masked), ...}]
    emotion = Column(String(16), nullable=True)
    actions = Column(JSON, nullable=False, default=list)  # what the bot did after the turn
    score = Column(Integer, nullable=True)  # the 1-5 rating a csat_score turn gave
    corrected_intent = Column(String(128), nullable=True)
    corrected_entities = Column(JSON, nullable=True)
    corrected_actions = Column(JSON, nullable=True)  # what the bot should have done instead
    corrected_by = Column(String(64), nullable=True)
    note = Column(Text, nullable=True)


class ConversationSession(Base):
    """One Rasa session of one sender (from its `session_started` to the next): a contact.

    The columns are the facts `handoff.conversations.sessions.apply` folds, event by event;
    the metrics classify a contact from them (handoff.metrics.sources.decide).
    """
    __tablename__ = "conversation_sessions"
    __table_args__ = (UniqueConstraint("sender_id", "started_at",
                                       name="uq_conversation_sessions_start"),)
    id = Column(Integer, primary_key=True)
    sender_id = Column(String(255), nullable=False, index=True)
    started_at = Column(Float, nullable=False, index=True)
    last_at = Column(Float, nullable=False)
    channel = Column(String(32), nullable=False, default="unknown")
    language = Column(String(8), nullable=True)
    customer = Column(String(255), nullable=True)  # the verified customer id (slot)
    shopper_turns = Column(Integer, nullable=False, default=0)
    last_user_at = Column(Float, nullable=True)
    intents = Column(JSON, nullable=False, default=dict)  # {intent: shopper turns}
    fallbacks = Column(Integer, nullable=False, default=0)  # turns NLU could not place
    handed_off = Column(Boolean, nullable=False, default=False)  # the bot ran a handoff
    csat = Column(Integer, nullable=True)  # the shopper's last 1-5 rating in the session
    loop_open = Column(Boolean, nullable=False, default=False)  # a form still active
    issue = Column(String(128), nullable=True)  # the first substantive intent
    last_intent = Column(String(128), nullable=True)
    last_action = Column(String(64), nullable=True)  # the bot's last act after the last turn


class SeenEvent(Base):
    """Events already folded in: a redelivered stream entry (or an event the broker's outbox
    sent twice) changes nothing. Keyed by what the event is, not by its stream entry id."""
    __tablename__ = "conversation_events_seen"
    sender_id = Column(String(255), primary_key=True)
    key = Column(String(200), primary_key=True)
    at = Column(Float, nullable=False, index=True)
