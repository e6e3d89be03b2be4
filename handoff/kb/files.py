"""Articles kept as files by designers: data/kb/<slug>.md with YAML front matter.

    ---
    title: 食品退货政策
    language: zh
    tags: [退货, 食品]
    intents: [return_request]
    products: [SKU-TEA-01]
    ---
    Markdown body…

Imported at every start: a new file creates its article, a changed file (by content hash)
updates it, an unchanged file leaves the console's edits alone.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Dict, Tuple

import yaml
from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from handoff.config import ROOT_DIR
from handoff.kb import store
from handoff.kb.models import KbArticle
from handoff.service import SERVICE

log = logging.getLogger(__name__)


def kb_dir() -> Path:
    return Path(os.environ.get("KB_DIR") or ROOT_DIR / "data" / "kb")


def parse(text: str) -> store.ArticleInput:
    if not text.startswith("---"):
        raise ValueError("an article file starts with a '---' front matter block")
    _, front, body = text.split("---", 2)
    meta = yaml.safe_load(front) or {}
    if not isinstance(meta, dict):
        raise ValueError("the front matter must be a mapping")
    return store.ArticleInput.parse({**meta, "body": body.strip()})


def sync(db: Session, directory: Path) -> Dict[str, int]:
    """Import new and changed files; returns counts (created, updated, unchanged, invalid)."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "invalid": 0}
    if not directory.is_dir():
        return counts
    for path in sorted(directory.glob("*.md")):
        raw = path.read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        try:
            data = parse(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError, yaml.YAMLError) as exc:
            log.warning("knowledge base: skipping %s: %s", path.name, exc)
            counts["invalid"] += 1
            continue
        row = db.execute(select(KbArticle).where(KbArticle.slug == path.stem)).scalar_one_or_none()
        if row is None:
            store.create(db, data, "file", slug=path.stem, file_hash=digest)
            counts["created"] += 1
        elif row.file_hash != digest:
            store.update(db, row.id, data, "file")
            row.file_hash = digest
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    return counts


async def import_on_startup(app: web.Application) -> None:
    try:
        counts: Tuple = await app[SERVICE].db(lambda db: sync(db, kb_dir()))
    except IntegrityError:
        # Replicas start together: another one imported the same new files first (its slug is
        # taken). Its transaction is committed by now, so a second pass finds them in place.
        log.info("knowledge base files: another replica imported them first; checking again")
        counts = await app[SERVICE].db(lambda db: sync(db, kb_dir()))
    log.info("knowledge base files: %s", counts)
