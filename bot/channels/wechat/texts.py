"""The WeChat channel's fixed sentences (unsupported message kinds, errors, the button hint),
read from bot/channels/wechat/texts.yml, which designers edit, through common.texts.

The channel speaks before the assistant has seen the shopper's language, so it says each
sentence in both languages, Chinese (the shop's language) first.
"""
from __future__ import annotations

from pathlib import Path

from common.texts import LANGUAGES, Catalogue

TEXTS = Catalogue.from_yaml(Path(__file__).with_name("texts.yml"))


def both(key: str, between: str = "\n") -> str:
    """The Chinese and the English text of `key`, joined by `between`."""
    return between.join(TEXTS.raw(key, lang) for lang in LANGUAGES)
