"""Personal data in shopper messages: masked for review, replaced by placeholders in training data.

A message is cut into pieces; a piece that is personal data carries both its masked form
(what the designer sees: 138****5678) and a realistic placeholder (what training data gets:
13800001234). Only those two forms are ever stored, never the original value.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple

# Entity types whose values identify a person (or their order, parcel, address).
PERSONAL_ENTITIES = ("phone", "order_id", "tracking_no", "address", "name", "email",
                     "phone_last4", "new_address")
# Same shapes as data/nlu/regex.yml, plus e-mail; digit look-arounds because Chinese
# characters count as word characters.
PATTERNS: List[Tuple[str, re.Pattern]] = [
    ("email", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
    ("tracking_no", re.compile(r"(?<![A-Za-z0-9])(?:[Ss][Ff]|[Yy][Tt]|[Jj][Dd])\d{13}(?!\d)")),
    ("phone", re.compile(r"(?<![A-Za-z0-9])(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")),
    ("order_id", re.compile(r"(?<![A-Za-z0-9])[Ee]\d{12}(?!\d)")),
    ("order_id", re.compile(r"(?<![A-Za-z0-9])\d{10,20}(?!\d)")),
    # Chinese addresses by shape: [province][city][district] street + number [building/room];
    # not starting on a verb or preposition ("改地址到上海市…" masks from 上海市).
    ("address", re.compile(r"(?![到在寄送址是改为成往至的])(?:[\u4e00-\u9fff]{2,3}[省市])?"
                           r"(?:[\u4e00-\u9fff]{2,3}市)?(?:[\u4e00-\u9fff]{1,4}[区县])?"
                           r"[\u4e00-\u9fff\d]{1,6}?[路街道巷弄]\d+号(?:\d+[栋幢楼室]|\d+单元)*")),
    ("address", re.compile(r"\b\d{1,5}\s+(?:[A-Z][a-z]+\s){1,3}(?:Street|St|Road|Rd|Avenue|Ave|"
                           r"Lane|Ln|Drive|Dr|Boulevard|Blvd)\b\.?")),
]
PLACEHOLDERS: Dict[str, List[str]] = {
    "phone": ["13800001234", "13900005678", "15000002468"],
    "order_id": ["E202601010001", "E202601020002", "E202601030003"],
    "tracking_no": ["SF1000000000001", "YT2000000000002", "JD3000000000003"],
    "address": ["上海市浦东新区示例路1号", "北京市海淀区样例街2号", "杭州市西湖区演示路3号"],
    "address_en": ["1 Sample Street", "2 Example Road", "3 Demo Avenue"],
    "email": ["shopper@example.com", "buyer@example.com", "customer@example.com"],
    "name": ["张三", "李四", "王五"], "name_en": ["Alex Doe", "Sam Roe", "Kim Poe"],
    "phone_last4": ["1234", "5678", "2468"],
}


@dataclass
class Piece:
    masked: str
    safe: str
    entity: Optional[str] = None  # set on personal data

    def to_list(self) -> list:
        return [self.masked, self.safe, self.entity]


def mask_value(kind: str, value: str) -> str:
    if kind == "phone" and len(re.sub(r"\D", "", value)) >= 7:
        digits = re.sub(r"\D", "", value)
        return f"{digits[:3]}****{digits[-4:]}"
    if kind in ("order_id", "tracking_no") and len(value) > 6:
        return value[:2] + "*" * (len(value) - 6) + value[-4:]
    if kind == "email" and "@" in value:
        return value[0] + "***@" + value.split("@", 1)[1]
    return "*" * min(len(value), 8) if kind != "address" else "[地址/address]"


def placeholder(kind: str, index: int, value: str) -> str:
    ascii_text = value.isascii()
    key = f"{kind}_en" if ascii_text and f"{kind}_en" in PLACEHOLDERS else kind
    options = PLACEHOLDERS.get(key) or ["****"]
    return options[index % len(options)]


def _spans(text: str, entities: Iterable[Dict[str, Any]]) -> List[Tuple[int, int, str]]:
    found: List[Tuple[int, int, str]] = []
    for ent in entities:
        start, end, kind = ent.get("start"), ent.get("end"), str(ent.get("entity") or "")
        if kind in PERSONAL_ENTITIES and isinstance(start, int) and isinstance(end, int) \
                and 0 <= start < end <= len(text):
            found.append((start, end, kind))
    for kind, pattern in PATTERNS:
        found.extend((m.start(), m.end(), kind) for m in pattern.finditer(text))
    found.sort(key=lambda s: (s[0], -(s[1] - s[0])))
    merged: List[Tuple[int, int, str]] = []
    for span in found:  # first and longest wins; overlaps are dropped
        if merged and span[0] < merged[-1][1]:
            continue
        merged.append(span)
    return merged


def split(text: str, entities: Iterable[Dict[str, Any]] = ()) -> List[Piece]:
    """The message as pieces: plain text, and personal data with its masked and safe forms."""
    pieces: List[Piece] = []
    at, counts = 0, {}
    for start, end, kind in _spans(text, list(entities)):
        if start > at:
            pieces.append(Piece(text[at:start], text[at:start]))
        value = text[start:end]
        index = counts.get(kind, 0)
        counts[kind] = index + 1
        pieces.append(Piece(mask_value(kind, value), placeholder(kind, index, value), kind))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:], text[at:]))
    return pieces


def from_lists(rows: Iterable[list]) -> List[Piece]:
    return [Piece(r[0], r[1], r[2] if len(r) > 2 else None) for r in rows or []]


def masked_text(pieces: List[Piece]) -> str:
    return "".join(p.masked for p in pieces)


def safe_text(pieces: List[Piece]) -> str:
    return "".join(p.safe for p in pieces)


def to_safe_span(pieces: List[Piece], value: str) -> Optional[Tuple[int, int]]:
    """Where `value` (a substring of the masked text, as the designer marked it) lies in the
    safe text. A marked piece of personal data maps to its placeholder whole."""
    masked = masked_text(pieces)
    start = masked.find(value) if value else -1
    if start < 0:
        return None
    end = start + len(value)
    m_at = s_at = 0
    safe_start = safe_end = None
    for p in pieces:
        m_end, s_end = m_at + len(p.masked), s_at + len(p.safe)
        if p.entity:  # personal data: any overlap takes the whole placeholder
            if start < m_end and end > m_at:
                safe_start = s_at if safe_start is None else safe_start
                safe_end = s_end
        else:
            if safe_start is None and m_at <= start < m_end:
                safe_start = s_at + (start - m_at)
            if m_at < end <= m_end:
                safe_end = s_at + (end - m_at)
        m_at, s_at = m_end, s_end
    if safe_start is None or safe_end is None or safe_end <= safe_start:
        return None
    return safe_start, safe_end


def mask_free_text(text: str) -> str:
    """Bot replies and tags: only the masked form is kept."""
    return masked_text(split(text))
