"""The handoff service's words (notices to shoppers, console strings, labels of codes).

One gettext catalogue per language, `handoff/locale/<lang>/LC_MESSAGES/handoff.po`, read once
at start-up (no compiled .mo file to keep in step).
"""
from __future__ import annotations

from common.texts import Catalogue
from handoff.config import PACKAGE_DIR

LOCALE_DIR = PACKAGE_DIR / "locale"
TEXTS = Catalogue.from_po(LOCALE_DIR, "handoff")
