"""Tables of the knowledge base (created by migration handoff_kb_0002)."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Integer, String, Text

from common.ticket import utcnow
from handoff.db import Base


class KbArticle(Base):
    __tablename__ = "handoff_kb_articles"
    id = Column(Integer, primary_key=True)
    # Stable name of an article kept in a file (data/kb/<slug>.md); null for console-only ones.
    slug = Column(String(128), unique=True, nullable=True)
    title = Column(String(200), nullable=False)
    body = Column(Text, nullable=False)
    language = Column(String(8), nullable=False, index=True)
    tags = Column(JSON, nullable=False, default=list)
    intents = Column(JSON, nullable=False, default=list)
    products = Column(JSON, nullable=False, default=list)
    # jieba-segmented, lower-cased title + tags + body: what the full-text index sees.
    search_text = Column(Text, nullable=False, default="")
    # Hash of the file last imported, so a restart re-imports only files that changed.
    file_hash = Column(String(64), nullable=True)
    updated_by = Column(String(64), nullable=False, default="system")
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = Column(DateTime(timezone=True), nullable=False, default=utcnow)


class KbMiss(Base):
    """A shopper's question the bot could not answer from the knowledge base."""
    __tablename__ = "handoff_kb_misses"
    id = Column(Integer, primary_key=True)
    question = Column(String(500), nullable=False)
    language = Column(String(8), nullable=False)
    conversation_id = Column(String(255), nullable=True)
    best_score = Column(Integer, nullable=True)  # percent, of the best candidate if any
    created_at = Column(DateTime(timezone=True), nullable=False, default=utcnow, index=True)
