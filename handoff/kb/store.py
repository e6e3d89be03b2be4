"""Knowledge-base repository: articles, full-text search on either backend, misses.

Synchronous functions over a Session, like handoff.store; the caller owns the transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from pydantic import ValidationError
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from common.ticket import utcnow
from handoff.bodies import LANGUAGES, KbArticleInput  # noqa: F401  (LANGUAGES: for callers)
from handoff.kb import search
from handoff.kb.models import KbArticle, KbMiss
from handoff.store import get_row, iso

CANDIDATES = 10


@dataclass
class ArticleInput:
    """A validated article as a supervisor or a file gives it."""
    title: str
    body: str
    language: str
    tags: List[str]
    intents: List[str]
    products: List[str]

    @classmethod
    def parse(cls, data: Dict[str, Any]) -> "ArticleInput":
        """Raises ValueError with a message fit for the caller (e.g. an article file)."""
        try:
            return cls.of(KbArticleInput.parse_obj(data))
        except ValidationError as exc:
            raise ValueError("; ".join(f"'{'.'.join(map(str, e['loc']))}': {e['msg']}"
                                       for e in exc.errors()))

    @classmethod
    def of(cls, model: KbArticleInput) -> "ArticleInput":
        return cls(model.title, model.body, model.language, list(model.tags),
                   list(model.intents), list(model.products))


def article_view(row: KbArticle, snippet: bool = False) -> Dict[str, Any]:
    view = {"id": row.id, "slug": row.slug, "title": row.title, "language": row.language,
            "tags": list(row.tags or []), "intents": list(row.intents or []),
            "products": list(row.products or []), "updated_by": row.updated_by,
            "created_at": iso(row.created_at), "updated_at": iso(row.updated_at),
            "url": f"/kb/{row.id}"}
    view["body"] = excerpt(row.body) if snippet else row.body
    return view


def excerpt(body: str, limit: int = 280) -> str:
    """The first paragraph, plain enough to quote in a chat bubble."""
    para = next((p.strip() for p in body.split("\n\n") if p.strip()
                 and not p.lstrip().startswith("#")), body.strip())
    para = " ".join(line.lstrip("-*> ").strip() for line in para.splitlines())
    return para if len(para) <= limit else para[:limit - 1].rstrip() + "…"


def _apply(row: KbArticle, data: ArticleInput, actor: str) -> None:
    row.title, row.body, row.language = data.title, data.body, data.language
    row.tags, row.intents, row.products = data.tags, data.intents, data.products
    row.search_text = search.index_text(data.title, data.tags, data.body)
    row.updated_by, row.updated_at = actor, utcnow()


def create(db: Session, data: ArticleInput, actor: str, slug: Optional[str] = None,
           file_hash: Optional[str] = None) -> KbArticle:
    row = KbArticle(slug=slug, file_hash=file_hash, created_at=utcnow())
    _apply(row, data, actor)
    db.add(row)
    db.flush()
    return row


def get(db: Session, article_id: int) -> KbArticle:
    return get_row(db, KbArticle, article_id, "article")


def update(db: Session, article_id: int, data: ArticleInput, actor: str) -> KbArticle:
    row = get(db, article_id)
    _apply(row, data, actor)
    db.flush()
    return row


def remove(db: Session, article_id: int) -> None:
    row = get(db, article_id)
    db.delete(row)
    db.flush()


def list_articles(db: Session, language: Optional[str] = None) -> List[KbArticle]:
    query = select(KbArticle).order_by(KbArticle.language, KbArticle.title)
    if language:
        query = query.where(KbArticle.language == language)
    return list(db.execute(query).scalars())


def _candidate_ids(db: Session, words: Sequence[str], language: Optional[str]) -> List[int]:
    dialect = db.get_bind().dialect.name
    params: Dict[str, Any] = {"n": CANDIDATES, "lang": language}
    lang_filter = "AND a.language = :lang" if language else ""
    if dialect == "sqlite":
        params["q"] = " OR ".join('"' + w.replace('"', '') + '"' for w in words)
        sql = ("SELECT a.id FROM handoff_kb_fts f JOIN handoff_kb_articles a ON a.id = f.rowid "
               f"WHERE handoff_kb_fts MATCH :q {lang_filter} ORDER BY bm25(handoff_kb_fts) "
               "LIMIT :n")
    elif dialect == "postgresql":
        params["q"] = " or ".join(words)
        sql = ("SELECT a.id FROM handoff_kb_articles a, websearch_to_tsquery('simple', :q) q "
               f"WHERE to_tsvector('simple', a.search_text) @@ q {lang_filter} "
               "ORDER BY ts_rank(to_tsvector('simple', a.search_text), q) DESC, a.id LIMIT :n")
    else:  # any other database: a scan, fine for the few hundred articles of a shop
        return [row.id for row in list_articles(db, language)][:CANDIDATES * 10]
    return [int(r[0]) for r in db.execute(text(sql), params)]


@dataclass
class Hit:
    article: KbArticle
    confidence: float
    confident: bool


def find(db: Session, question: str, language: Optional[str] = None,
         limit: int = 5) -> List[Hit]:
    """Articles for a question, best first, each with its confidence."""
    words = search.terms(question)
    if not words:
        return []
    ids = _candidate_ids(db, words, language)
    if not ids:
        return []
    rows = db.execute(select(KbArticle).where(KbArticle.id.in_(ids))).scalars()
    hits = []
    for row in rows:
        scored = search.confidence(words, row.title, row.tags or [], row.body, row.id)
        hits.append(Hit(row, scored.confidence, search.is_confident(scored, len(set(words)))))
    hits.sort(key=lambda h: (-h.confidence, h.article.id))
    return hits[:limit]


def record_miss(db: Session, question: str, language: str, conversation_id: Optional[str],
                best: Optional[float]) -> None:
    db.add(KbMiss(question=question[:500], language=language[:8],
                  conversation_id=(conversation_id or None) and conversation_id[:255],
                  best_score=None if best is None else int(round(best * 100)),
                  created_at=utcnow()))


def top_misses(db: Session, since: datetime, limit: int = 20) -> List[Dict[str, Any]]:
    """Questions that found no article, most asked first."""
    rows = db.execute(select(KbMiss.question, KbMiss.language, func.count(KbMiss.id).label("n"),
                             func.max(KbMiss.created_at).label("last"))
                      .where(KbMiss.created_at >= since)
                      .group_by(KbMiss.question, KbMiss.language)
                      .order_by(func.count(KbMiss.id).desc(), KbMiss.question).limit(limit))
    return [{"question": q, "language": lang, "count": int(n), "last_at": iso(last)}
            for q, lang, n, last in rows]


def clear_misses(db: Session, question: str) -> int:
    return db.execute(delete(KbMiss).where(KbMiss.question == question)).rowcount or 0
