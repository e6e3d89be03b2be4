"""What a shopper typed at one step of the order form means, read before any global intent.

Shoppers answer a question inside a sentence ("my order is E2026…", "尾号是 1234",
"没有，拍不了"), in full-width digits, or with words the bot itself suggested. Each reader
here takes the raw text and returns the step's value or None; none of them rewrites the
text in a way that could join words to a number (spaces are only dropped *between digits*).
"""
from __future__ import annotations

import re
import unicodedata
from typing import Optional

_MOBILE = re.compile(r"1[3-9]\d{9}")
_DIGIT_GAP = re.compile(r"(?<=\d)[ \u00a0\-]+(?=\d)")
_DIGITS = re.compile(r"\d+")


def canonical(text: Optional[str]) -> str:
    """Full-width letters and digits as ASCII (NFKC), nothing else changed."""
    return unicodedata.normalize("NFKC", str(text or ""))


def last4_in(text: Optional[str]) -> Optional[str]:
    """Four phone digits in an answer ("1234", "尾号是１２３４", "it's 12 34"), else None.

    A single run of exactly four digits counts; a full mobile number gives its last four.
    """
    said = canonical(text)
    fours = [r for r in _DIGITS.findall(said) if len(r) == 4]
    if len(fours) == 1:  # "the last 4 digits are 0027": the one four-digit group
        return fours[0]
    runs = _DIGITS.findall(_DIGIT_GAP.sub("", said))
    if len(runs) == 1 and len(runs[0]) == 4:  # "12 34"
        return runs[0]
    mobiles = [r for r in runs if _MOBILE.fullmatch(r)]
    if len(runs) == 1 and mobiles:
        return mobiles[0][-4:]
    return None


# --- yes / no at a confirmation question ---------------------------------------------------
# Checked in this order: a "keep it" answer wins over a "yes" inside it ("yes, keep it").
_KEEP = re.compile(
    r"\b(keep (it|the order|my order|the address)|don'?t cancel|do not cancel|no\b|nope|not now|"
    r"changed my mind|leave it|never ?mind|wait|hold on|actually no)|"
    r"不取消|不要取消|不行|不好|别取消|先不|不用|不了|不改|别改|不要改|保留|留着|还是要|算了|再想想|等等|不是|不对|否",
    re.IGNORECASE)
_YES = re.compile(
    r"\b(yes|yeah|yep|yup|sure|ok(ay)?|confirm(ed)?|go ahead|do it|please do|correct|right|"
    r"cancel it|that'?s right|proceed)\b|"
    r"是的|是|对|确认|确定|好的|好|可以|行|嗯|没错|没问题|取消吧|就这样|改吧|麻烦了",
    re.IGNORECASE)


def yes_no_in(text: Optional[str]) -> Optional[bool]:
    """True for a yes, False for a no / keep-it, None when neither is clear."""
    said = canonical(text).strip()
    if not said or said.startswith("/"):
        return None
    if _KEEP.search(said):
        return False
    if _YES.search(said):
        return True
    return None


# --- the photo question: "reply 没有 / no photo" -------------------------------------------------
_NO_PHOTO = re.compile(
    r"没有|没照片|没图|没拍|无图|无照片|拍不了|不方便拍|不拍|跳过|不用了|^无$|"
    r"\bno (photo|picture|pic|image)s?\b|\bno\b|\bnope\b|\bnone\b|\bskip\b|"
    r"(don'?t|do not|didn'?t|can'?t|cannot) (have|take|send|upload)|without (a )?(photo|picture)|"
    r"\bnot now\b|\blater\b|稍后|以后再?(补|发|传)|晚点",
    re.IGNORECASE)


def declines_photo(text: Optional[str]) -> bool:
    """The shopper answered the photo question with "no photo" in some phrasing."""
    said = canonical(text).strip()
    return bool(said) and not said.startswith("/") and bool(_NO_PHOTO.search(said))


# --- leaving the form -------------------------------------------------------------------------
_ABORT = re.compile(
    r"^\s*(算了|不查了|不用查了|取消查询|不要了|不办了|不退了|不改了|先这样|不用了)|"
    r"^\s*(never ?mind|forget it|stop|cancel that|quit|leave it|no thanks)\b|"
    r"(问|说|咨询)(一?下)?(别的|其他|另外)|换个问题|另一个问题|"
    r"\b(another|a different|other) (question|thing|topic)\b|\bsomething else\b",
    re.IGNORECASE)


def leaves_form(text: Optional[str]) -> bool:
    """"算了" / "forget it" / "I have another question": stop asking for this step."""
    said = canonical(text)
    return not said.startswith("/") and bool(_ABORT.search(said))


_BARE_REFUSAL = re.compile(
    r"^\s*(no|nope|nah|no thanks|no thank you|don'?t want to|i'?d rather not|不|不要|不用|不用了|"
    r"不了|不想|不给|不想说|没|没必要)\s*[.!。!~]*\s*$", re.IGNORECASE)


def bare_refusal(text: Optional[str]) -> bool:
    """A plain "no" with nothing else in it."""
    return bool(_BARE_REFUSAL.match(canonical(text)))
