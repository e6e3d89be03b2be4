"""Segmentation and scoring of knowledge-base search.

The database's full-text index finds candidates (any query word); the confidence that an
article answers the question is the share of the question's content words the article
contains, title words counting double. Both steps see the same jieba segmentation, so
"退货政策" in a question meets "退货" and "政策" in an article.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Iterable, List, Set

import jieba

jieba.setLogLevel(logging.WARNING)
_WORD = re.compile(r"^[\w\u3400-\u9fff]+$")
STOPWORDS: Set[str] = set("""
的 了 吗 呢 啊 吧 呀 么 嘛 哦 我 你 您 他 她 它 们 我们 你们 他们 是 在 有 和 与 或 及 怎么 怎么样 怎样
如何 什么 啥 哪 哪里 哪儿 哪个 哪些 可以 能 能否 能不能 可不可以 请问 请 一下 这个 那个 这 那 就 都 也 还 要 想
会 对 把 被 给 让 从 到 吗 多少 几 个 一个 没有 不 没 呢 为什么 为何 时候 谢谢 你好 您好 么样
the a an is are was were be been do does did can could would should will i you we they it its my
your our me us to of in on for and or with at by from how what when where why which who whom
please there this that these those have has had any some about if so not no yes am as into than
""".split())
# A question is answered when the article holds this share of its content words...
CONFIDENT = 0.6
# ...and at least this many of them (one word in common is a coincidence, not an answer).
MIN_MATCHED = 2


def terms(text: str) -> List[str]:
    """Content words of a text, jieba-segmented (search mode), lower-cased, no stop words."""
    out: List[str] = []
    for token in jieba.lcut_for_search((text or "").lower()):
        token = token.strip()
        if token and _WORD.match(token) and token not in STOPWORDS and token != "_":
            out.append(_singular(token))
    return out


def _singular(token: str) -> str:
    """'cards' and 'card' are one word to a shopper (English plural only; no stemming)."""
    if token.isascii() and token.isalpha() and len(token) > 3 and token.endswith("s") \
            and not token.endswith("ss"):
        return token[:-1]
    return token


def index_text(title: str, tags: Iterable[str], body: str) -> str:
    """What the full-text index stores: segmented words separated by spaces."""
    return " ".join(terms(" ".join([title, " ".join(tags), body])))


@dataclass(frozen=True)
class Scored:
    article_id: int
    confidence: float
    matched: int


def confidence(query: Iterable[str], title: str, tags: Iterable[str], body: str,
               article_id: int = 0) -> Scored:
    wanted = set(query)
    if not wanted:
        return Scored(article_id, 0.0, 0)
    heading = set(terms(title + " " + " ".join(tags)))
    text = heading | set(terms(body))
    hit = [t for t in wanted if t in text]
    weight = sum(2 if t in heading else 1 for t in hit)
    # A question word missing from the article counts once, a word found in the title twice.
    denominator = weight + (len(wanted) - len(hit))
    return Scored(article_id, round(weight / denominator, 3) if denominator else 0.0, len(hit))


def is_confident(scored: Scored, query_size: int) -> bool:
    needed = MIN_MATCHED if query_size >= MIN_MATCHED else 1
    return scored.confidence >= CONFIDENT and scored.matched >= needed
