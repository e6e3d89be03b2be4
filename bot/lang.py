"""Language detection for Chinese and English shop talk (no model, no download).

A message with Chinese characters is Chinese unless English clearly dominates
("我的order到哪了" is zh; "my order 订单 has not arrived yet at all" is en). Text with
neither (emoji, digits, an order number) has no language: the conversation keeps the
language it had.
"""
from __future__ import annotations

import re
from typing import Optional

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Order numbers and tracking numbers start with letters but say nothing about language.
_CODE = re.compile(r"\b[A-Za-z]{1,3}\d{6,}\b")

ZH = "zh"
EN = "en"


def detect_language(text: Optional[str]) -> Optional[str]:
    if not text:
        return None
    sample = _CODE.sub(" ", text[:2000])
    cjk = len(_CJK.findall(sample))
    words = len(_LATIN_WORD.findall(sample))
    if cjk == 0 and words == 0:
        return None
    if cjk == 0:
        return EN
    # One Chinese character carries about as much as one English word; a shopper who
    # types Chinese at all reads Chinese, so English must outweigh it clearly.
    return EN if words >= 3 * cjk else ZH
