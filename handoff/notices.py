"""What the service itself says to a shopper, via the relay.

The words are the `notice.*` texts of the service's catalogue (handoff/locale/): the service,
not the bot, decides when to say them (escalations, late tickets, hand-back).
"""
from __future__ import annotations

from typing import Dict, List, Optional

from handoff.texts import TEXTS


def notice(name: str, language: Optional[str], **values: object) -> str:
    return TEXTS.text(f"notice.{name}", language, **values)


def csat_buttons() -> List[Dict[str, str]]:
    return [{"title": str(n), "payload": str(n)} for n in range(5, 0, -1)]
