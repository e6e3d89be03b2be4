"""Knowledge base: articles, their full-text index (FTS5 on SQLite, GIN tsvector on
PostgreSQL) and the questions that found no article.

Revision ID: handoff_kb_0002
Revises: handoff_0001
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = "handoff_kb_0002"
down_revision = "handoff_0002_delivery"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handoff_kb_articles",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String(128), nullable=True, unique=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("language", sa.String(8), nullable=False, index=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("intents", sa.JSON, nullable=False),
        sa.Column("products", sa.JSON, nullable=False),
        sa.Column("search_text", sa.Text, nullable=False),
        sa.Column("file_hash", sa.String(64), nullable=True),
        sa.Column("updated_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "handoff_kb_misses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=True),
        sa.Column("best_score", sa.Integer, nullable=True),
        sa.Column("created_at", TZ, nullable=False, index=True),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # External-content FTS5 table kept in step by triggers: the segmented text is indexed
        # once, on write, and every edit is searchable in the same transaction.
        op.execute("CREATE VIRTUAL TABLE handoff_kb_fts USING fts5(search_text, "
                   "content='handoff_kb_articles', content_rowid='id', tokenize='unicode61')")
        op.execute("CREATE TRIGGER handoff_kb_ai AFTER INSERT ON handoff_kb_articles BEGIN "
                   "INSERT INTO handoff_kb_fts(rowid, search_text) "
                   "VALUES (new.id, new.search_text); END")
        op.execute("CREATE TRIGGER handoff_kb_ad AFTER DELETE ON handoff_kb_articles BEGIN "
                   "INSERT INTO handoff_kb_fts(handoff_kb_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); END")
        op.execute("CREATE TRIGGER handoff_kb_au AFTER UPDATE ON handoff_kb_articles BEGIN "
                   "INSERT INTO handoff_kb_fts(handoff_kb_fts, rowid, search_text) "
                   "VALUES ('delete', old.id, old.search_text); "
                   "INSERT INTO handoff_kb_fts(rowid, search_text) "
                   "VALUES (new.id, new.search_text); END")
    elif bind.dialect.name == "postgresql":
        # 'simple': no stemming or stop words; the text is already segmented by jieba.
        op.execute("CREATE INDEX ix_handoff_kb_fts ON handoff_kb_articles "
                   "USING GIN (to_tsvector('simple', search_text))")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in ("handoff_kb_ai", "handoff_kb_ad", "handoff_kb_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS handoff_kb_fts")
    op.drop_table("handoff_kb_misses")
    op.drop_table("handoff_kb_articles")
