"""What the conversation says about the flow: read from the tracker, never kept in memory.

Whether the shopper is answering the current step is decided by the last bot message
before their message: if it carried this step's buttons, they are answering it; if it was
the offer to continue, they are answering that; anything else means the flow is paused
(other talk or a new session came in between).
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional

from actions.flows.engine import OFFER_RESUME, OPTION_ENTITY, FlowState

STEP = "step"
OFFER = "offer"
PAUSED = "paused"
_OPTION_IN_PAYLOAD = re.compile(r'"flow_option"\s*:\s*"([^"]*)"')


def flow_state(tracker: Any) -> FlowState:
    record = tracker.get_slot("flow_record") or []
    return FlowState(tracker.get_slot("flow_id"), tracker.get_slot("flow_step"),
                     [dict(e) for e in record if isinstance(e, dict)])


def _last_user_index(events: List[Dict[str, Any]]) -> int:
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") == "user":
            return index
    return len(events)


def last_bot_message(tracker: Any) -> Optional[Dict[str, Any]]:
    """The bot message just before the shopper's latest message, within this session."""
    events = list(tracker.events or [])
    for event in reversed(events[:_last_user_index(events)]):
        kind = event.get("event")
        if kind == "session_started":
            return None
        if kind == "bot":
            return event
    return None


def _options_in(message: Optional[Dict[str, Any]]) -> List[str]:
    buttons = ((message or {}).get("data") or {}).get("buttons") or []
    found = []
    for button in buttons:
        match = _OPTION_IN_PAYLOAD.search(str(button.get("payload") or ""))
        if match:
            found.append(match.group(1))
    return found


def answering(tracker: Any, state: FlowState) -> str:
    """STEP, OFFER or PAUSED for the shopper's latest message."""
    options = _options_in(last_bot_message(tracker))
    if OFFER_RESUME in options:
        return OFFER
    if state.step and any(o.split(":", 1)[0] == state.step for o in options if ":" in o):
        return STEP
    return PAUSED


def chosen_option(tracker: Any) -> Optional[str]:
    """The flow_option entity of a button payload in the latest message."""
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if entity.get("entity") == OPTION_ENTITY and entity.get("value") is not None:
            return str(entity["value"])
    return None


def latest_intent(tracker: Any) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Any) -> str:
    text = (tracker.latest_message or {}).get("text") or ""
    return "" if text.startswith("/") else text


def dump_payload_option(value: str) -> str:
    return json.dumps({OPTION_ENTITY: value})
