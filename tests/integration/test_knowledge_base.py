"""Knowledge base on both backends (SQLite FTS5, PostgreSQL tsvector) and over the API."""
from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from common import signing
from common.ticket import utcnow
from handoff.db import make_engine, make_sessionmaker, migrate
from handoff.kb import files, store
from handoff.kb.models import KbArticle
from handoff.kb.store import ArticleInput
from handoff.service import SERVICE
from tests.integration.handoff_support import (TOKEN, pg_url, prefix, rasa_stub,  # noqa: F401
                                               stack)

pytestmark = pytest.mark.integration
KB_DIR = files.kb_dir()


@pytest.fixture(params=["sqlite", "postgresql"])
def kb_db(request, tmp_path):
    url = (f"sqlite:///{tmp_path / 'kb.db'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_url"))
    engine = make_engine(url)
    migrate(engine)
    maker = make_sessionmaker(engine)
    with maker.begin() as db:
        files.sync(db, KB_DIR)
    yield maker
    engine.dispose()


def best(maker, question, language):
    with maker() as db:
        hits = store.find(db, question, language)
        return (hits[0].article.slug or hits[0].article.title, hits[0].confident) if hits else None


def test_segmented_chinese_and_english_questions_find_their_article(kb_db):
    assert best(kb_db, "食品可以七天无理由退货吗", "zh") == ("food-returns.zh", True)
    assert best(kb_db, "你们公司的创始人是谁", "zh") == ("company-founders.zh", True)
    assert best(kb_db, "Can I return food within 7 days?", "en") == ("food-returns.en", True)
    assert best(kb_db, "who founded the shop", "en") == ("company-founders.en", True)


def test_unrelated_or_gibberish_questions_are_not_confident(kb_db):
    assert best(kb_db, "qwxz zzkq pfft", "en") is None
    found = best(kb_db, "我想买一台洗衣机", "zh")
    assert found is None or found[1] is False
    found = best(kb_db, "is the food in your restaurant spicy", "en")
    assert found is None or found[1] is False


def test_an_edit_is_searchable_at_once_and_a_delete_is_gone(kb_db):
    with kb_db.begin() as db:
        row = store.create(db, ArticleInput("礼品卡激活", "礼品卡在“我的-卡券”里输入卡密即可激活。",
                                            "zh", ["礼品卡"], [], []), "sup")
        aid = row.id
    assert best(kb_db, "礼品卡怎么激活", "zh") == ("礼品卡激活", True)
    with kb_db.begin() as db:
        store.update(db, aid, ArticleInput("储值卡使用", "储值卡可抵扣订单金额。", "zh",
                                           ["储值卡"], [], []), "sup")
    assert best(kb_db, "礼品卡怎么激活", "zh") is None
    assert best(kb_db, "储值卡怎么使用", "zh") == ("储值卡使用", True)
    with kb_db.begin() as db:
        store.remove(db, aid)
    assert best(kb_db, "储值卡怎么使用", "zh") is None


def test_files_import_once_and_leave_console_edits_alone(kb_db, tmp_path):
    with kb_db.begin() as db:
        again = files.sync(db, KB_DIR)
    assert again["created"] == 0 and again["updated"] == 0 and again["unchanged"] >= 6
    custom = tmp_path / "kb"
    custom.mkdir()
    (custom / "bad.md").write_text("no front matter", encoding="utf-8")
    (custom / "new.md").write_text("---\ntitle: T\nlanguage: en\n---\nbody words here",
                                   encoding="utf-8")
    with kb_db.begin() as db:
        counts = files.sync(db, custom)
    assert counts == {"created": 1, "updated": 0, "unchanged": 0, "invalid": 1}


def test_misses_are_counted_most_asked_first(kb_db):
    with kb_db.begin() as db:
        for question in ["a?", "b?", "b?"]:
            store.record_miss(db, question, "en", "c1", None)
    with kb_db() as db:
        misses = store.top_misses(db, utcnow() - timedelta(days=1))
    assert [(m["question"], m["count"]) for m in misses] == [("b?", 2), ("a?", 1)]


# -- over HTTP, on the running service (PostgreSQL) ---------------------------------------
async def ask_bot(stack, question, language="zh", secret=TOKEN):
    body = json.dumps({"question": question, "language": language,
                       "conversation_id": "c-kb"}, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json",
               **signing.sign(secret, "POST", "/api/bot/kb/answer", body)}
    return await stack.call("POST", "/api/bot/kb/answer", headers=headers, data=body)


async def test_supervisors_edit_articles_and_the_bot_answer_follows(stack):
    stack.agent("boss", role="supervisor")
    stack.agent("ann")
    boss, ann = await stack.login("boss"), await stack.login("ann")
    article = {"title": "发票抬头修改", "body": "开票后30天内可在订单详情里修改发票抬头。",
               "language": "zh", "tags": ["发票", "抬头"]}
    status, _ = await stack.call("POST", "/api/kb/articles", headers=ann, json=article)
    assert status == 403
    status, _ = await stack.call("POST", "/api/kb/articles", json=article)
    assert status == 401
    status, bad = await stack.call("POST", "/api/kb/articles", headers=boss,
                                   json={**article, "language": "fr"})
    assert status == 400 and bad["error"] == "bad_article"
    status, created = await stack.call("POST", "/api/kb/articles", headers=boss, json=article)
    assert status == 201 and isinstance(created["id"], int)

    status, answer = await ask_bot(stack, "发票抬头怎么修改")
    assert status == 200 and answer["article"]["id"] == created["id"]
    assert "30天内" in answer["article"]["body"]

    status, _ = await stack.call("PUT", f"/api/kb/articles/{created['id']}", headers=boss,
                                 json={**article, "body": "开票后60天内可以修改发票抬头。"})
    assert status == 200
    status, answer = await ask_bot(stack, "发票抬头怎么修改")
    assert "60天内" in answer["article"]["body"]

    status, page = await stack.call("GET", f"/kb/{created['id']}")
    assert status == 200 and "60天内" in page

    status, _ = await stack.call("DELETE", f"/api/kb/articles/{created['id']}", headers=boss)
    assert status == 200
    status, answer = await ask_bot(stack, "发票抬头怎么修改")
    assert status == 200 and answer["article"] is None
    status, missed = await stack.call("GET", "/api/kb/misses", headers=boss)
    assert {"question": "发票抬头怎么修改", "count": 1} .items() <= missed["misses"][0].items()
    status, _ = await stack.call("DELETE", f"/api/kb/articles/{created['id']}", headers=boss)
    assert status == 404


async def test_the_bot_side_refuses_unsigned_and_forged_questions(stack):
    status, _ = await stack.call("POST", "/api/bot/kb/answer", json={"question": "x"})
    assert status == 401
    status, _ = await ask_bot(stack, "食品能退吗", secret="forged")
    assert status == 403
    status, _ = await ask_bot(stack, "x" * 501)
    assert status == 400


async def test_the_articles_are_in_the_openapi_document(stack):
    status, doc = await stack.call("GET", "/api/openapi.json")
    ops = doc["paths"]["/api/kb/articles/{article_id}"]
    assert {"put", "delete"} <= set(ops) and "post" in doc["paths"]["/api/kb/articles"]
    assert doc["paths"]["/api/kb/articles"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]["$ref"].endswith("KbArticleInput")


async def test_an_article_page_shows_markdown_without_running_html(stack):
    stack.agent("boss", role="supervisor")
    boss = await stack.login("boss")
    status, created = await stack.call("POST", "/api/kb/articles", headers=boss, json={
        "title": "<b>T</b>", "body": "**bold** <script>alert(1)</script> [x](javascript:alert(1))",
        "language": "en", "tags": []})
    status, page = await stack.call("GET", f"/kb/{created['id']}")
    assert "<strong>bold</strong>" in page and "<script>" not in page
    assert "javascript:" not in page and "&lt;b&gt;T&lt;/b&gt;" in page


async def test_replicas_starting_together_both_come_up_with_the_files_once(pg_url):  # noqa: F811
    """Two handoff replicas import the same new files at once: the second waits on the first's
    unique slugs, then finds them in place instead of failing its start-up."""
    engine = make_engine(pg_url)
    migrate(engine)
    maker = make_sessionmaker(engine)
    first_inside, release = threading.Event(), threading.Event()

    def first_replica() -> None:
        with maker.begin() as db:
            files.sync(db, KB_DIR)
            first_inside.set()
            release.wait(10)  # commit only once the second replica is blocked on the same slugs

    class Service:
        async def db(self, fn):
            def work():
                with maker.begin() as session:
                    return fn(session)
            return await asyncio.to_thread(work)

    first = threading.Thread(target=first_replica)
    first.start()
    assert first_inside.wait(10)
    second = asyncio.create_task(files.import_on_startup({SERVICE: Service()}))
    await asyncio.sleep(1.0)
    release.set()
    await asyncio.wait_for(second, 20)  # raised IntegrityError before the retry existed
    first.join(10)
    with maker.begin() as db:
        slugs = db.execute(select(KbArticle.slug, func.count()).group_by(KbArticle.slug)).all()
    assert slugs and all(n == 1 for _, n in slugs)
    assert {s for s, _ in slugs} >= {p.stem for p in KB_DIR.glob("*.md")}
    engine.dispose()
