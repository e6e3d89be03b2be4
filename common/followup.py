"""Whether a shopper's short message continues the topic the bot just answered.

Read by the Rasa server (the step-first policy keeps the FAQ answer for a follow-up) and the
action server (the FAQ action answers it from the same topic), so both agree on what a
follow-up is.
"""
from __future__ import annotations

import re
from typing import Optional

_FOLLOW_UP = re.compile(
    # English: "and by credit card?", "what about Tibet?", "do they expire?", "COD too?"
    r"^\s*(and|but|or|also|so|what about|how about|what if|and if|even if|same for|"
    r"do they|does it|does that|is it|is that|are they|will it|will they|would it)\b|"
    r"\b(too|as well|also|either)\s*\??\s*$|"
    # Chinese: "那信用卡呢", "如果两个月以后呢", "周末也有吗", "公司抬头也行吗"
    r"^\s*(那|那么|如果|要是|假如|还有|换成|改用|超过|过了)|呢\s*[??]?\s*$|"
    r"也.{0,6}(吗|么|嘛)\s*[??]?\s*$",
    re.IGNORECASE)
_MAX_WORDS = 9


def is_follow_up(text: Optional[str]) -> bool:
    said = (text or "").strip()
    if not said or said.startswith("/"):
        return False
    short = len(said.split()) <= _MAX_WORDS and len(said) <= 40
    return short and bool(_FOLLOW_UP.search(said))
