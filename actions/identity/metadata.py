"""What the channel attached to the conversation (sealed identities, the client address)."""
from __future__ import annotations

from typing import Any, Dict

from rasa_sdk import Tracker


def conversation_metadata(tracker: Tracker) -> Dict[str, Any]:
    """The latest user message's metadata, else the newest earlier one that had any."""
    latest = (tracker.latest_message or {}).get("metadata")
    if latest:
        return dict(latest)
    for event in reversed(tracker.events):
        if event.get("event") == "user" and event.get("metadata"):
            return dict(event["metadata"])
    return {}
