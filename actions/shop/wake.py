"""The sender running in this process, so a reply can have it send at once (not next tick)."""
from __future__ import annotations

from typing import Optional

from common.shop.sender import OutboxSender

_sender: Optional[OutboxSender] = None


def register(sender: Optional[OutboxSender]) -> None:
    global _sender
    _sender = sender


def nudge() -> None:
    """Queued something: the sender of this process sends it now (no-op when none runs)."""
    if _sender is not None:
        _sender.nudge()
