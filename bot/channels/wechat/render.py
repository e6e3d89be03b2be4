"""Turning Rasa's bot messages into WeChat text, and typed digits back into button payloads.

WeChat text messages have no buttons, so options are numbered in the text and the last set is kept
per shopper; a reply of "2" (or "２", "2.") then means the second button's payload.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Optional

from bot.channels.wechat.texts import both

WECHAT_TEXT_LIMIT_BYTES = 2048  # WeChat's limit for one text message (UTF-8 bytes)
BUTTON_HINT = both("button_hint", " / ")
IMAGE_LABEL = f"[{both('label.image', ' ')}]"
ATTACHMENT_LABEL = f"[{both('label.attachment', ' ')}]"
_DIGIT_RE = re.compile(r"^\s*[(（]?\s*(\d{1,2})\s*[)）.。、]?\s*$")


@dataclass
class RenderedTurn:
    """Everything the bot said in one turn, as WeChat-sized text chunks plus the numbered buttons."""

    chunks: list[str] = field(default_factory=list)
    buttons: list[dict[str, Any]] = field(default_factory=list)


def split_utf8(text: str, limit: int = WECHAT_TEXT_LIMIT_BYTES) -> list[str]:
    """Split into chunks of at most ``limit`` UTF-8 bytes, preferring line breaks, never
    cutting a character in half (Chinese characters are 3 bytes)."""
    text = text.strip()
    if not text:
        return []
    chunks: list[str] = []
    while len(text.encode("utf-8")) > limit:
        cut = _max_prefix_chars(text, limit)
        newline = text.rfind("\n", 0, cut)
        # Break at a line end when it keeps at least half the chunk; otherwise a hard cut.
        if newline > cut // 2:
            cut = newline
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text:
        chunks.append(text)
    return chunks


def _max_prefix_chars(text: str, limit: int) -> int:
    """Largest number of leading characters whose UTF-8 encoding fits in ``limit`` bytes."""
    total = 0
    for index, char in enumerate(text):
        total += len(char.encode("utf-8"))
        if total > limit:
            return max(index, 1)
    return len(text)


def _message_text(message: dict[str, Any], first_number: int) -> tuple[str, list[dict[str, Any]]]:
    parts: list[str] = []
    buttons: list[dict[str, Any]] = []
    if message.get("text"):
        parts.append(str(message["text"]))
    options = message.get("buttons") or message.get("quick_replies") or []
    for offset, button in enumerate(options):
        title = str(button.get("title") or button.get("payload") or "")
        parts.append(f"{first_number + offset}. {title}")
        buttons.append({"title": title, "payload": button.get("payload") or title})
    custom = message.get("custom")
    if isinstance(custom, dict) and isinstance(custom.get("text"), str):
        parts.append(custom["text"])
    if message.get("image"):
        parts.append(f"{IMAGE_LABEL} {message['image']}")
    if message.get("attachment"):
        parts.append(f"{ATTACHMENT_LABEL} {message['attachment']}")
    return "\n".join(parts), buttons


def render_turn(messages: list[dict[str, Any]], limit: int = WECHAT_TEXT_LIMIT_BYTES) -> RenderedTurn:
    """Merge a turn's messages into as few texts as possible: the CS API allows only a few
    messages per shopper message, so every separate bubble would waste quota."""
    texts: list[str] = []
    buttons: list[dict[str, Any]] = []
    for message in messages:
        text, new_buttons = _message_text(message, len(buttons) + 1)
        if text:
            texts.append(text)
        buttons.extend(new_buttons)
    if buttons:
        texts.append(BUTTON_HINT)
    return RenderedTurn(chunks=split_utf8("\n\n".join(texts), limit), buttons=buttons)


def map_digit(text: str, buttons: list[dict[str, Any]]) -> Optional[str]:
    """Payload of the numbered button the shopper typed, or None when the text is not a choice."""
    if not buttons:
        return None
    match = _DIGIT_RE.match(unicodedata.normalize("NFKC", text))
    if not match:
        return None
    index = int(match.group(1))
    if 1 <= index <= len(buttons):
        return str(buttons[index - 1]["payload"])
    return None
