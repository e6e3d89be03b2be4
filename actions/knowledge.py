"""Long-tail answers from the knowledge base kept by the handoff service.

The action server asks the service (signed with HANDOFF_TOKEN, like a handoff) for the
article that answers the shopper's question confidently; the service records the question
when none does, for the dashboard. Every edit in the console counts from the next question:
nothing is cached here and nothing is retrained.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlsplit

import aiohttp

from actions.texts import text
from common import signing
from common.config import service_url, shared_token
from common.kb_links import public_url

log = logging.getLogger(__name__)
ANSWER_PATH = "/api/bot/kb/answer"
TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Answer:
    article_id: int
    title: str
    excerpt: str
    url: str
    confidence: float


@dataclass(frozen=True)
class Lookup:
    answer: Optional[Answer]  # the confident article, if any
    checked: bool  # the knowledge base was asked (False: the service did not answer)


async def lookup(question: str, language: str, conversation_id: str,
                 timeout: float = TIMEOUT_SECONDS) -> Lookup:
    """The confident article for a question; `checked` is False when the service is down."""
    question = (question or "").strip()[:500]
    if not question:
        return Lookup(None, False)
    body = json.dumps({"question": question, "language": language,
                       "conversation_id": conversation_id}, ensure_ascii=False).encode()
    url = service_url() + ANSWER_PATH
    headers = {"Content-Type": "application/json",
               **signing.sign(shared_token(), "POST", urlsplit(url).path, body)}
    try:
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers,
                                    timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
                if resp.status != 200:
                    log.warning("knowledge base answered %s", resp.status)
                    return Lookup(None, False)
                data = await resp.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning("knowledge base unreachable: %s", exc)
        return Lookup(None, False)
    article = data.get("article") if isinstance(data, dict) else None
    if not isinstance(article, dict):
        return Lookup(None, True)
    try:
        return Lookup(Answer(int(article["id"]), str(article["title"]), str(article["body"]),
                             public_url() + str(article["url"]),
                             float(data.get("confidence") or 0)), True)
    except (KeyError, TypeError, ValueError):
        log.warning("knowledge base sent a malformed article")
        return Lookup(None, False)


def quote(answer: Answer, language: str) -> str:
    return text("kb.quote", language, title=answer.title, excerpt=answer.excerpt, url=answer.url)


def unknown(language: str) -> str:
    return text("kb.unknown", language)
