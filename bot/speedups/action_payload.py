"""The tracker sent to the action server without each earlier message's rankings.

Rasa 3.6 sends every custom action the whole session's events. Two thirds of those bytes are the
NLU rankings of every earlier shopper message (`intent_ranking`, and `response_selector` with the
full text of the candidate FAQ answers): after 20 messages a call carried about 100 KB, which
Rasa encoded and the action server decoded for every call. Here the earlier user events go out
with their intent, entities, emotion, language and text as before, but without those two
rankings; the latest message keeps everything (and `latest_message`, which rasa-sdk's
`tracker.latest_message` reads, is untouched). No Frontline action reads an earlier message's
rankings (a test checks the actions' code for it); a custom action that needs them gets them
with FRONTLINE_SPEEDUPS=off. Nothing in the tracker itself changes: the trimmed events are copies.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.core.actions.action import RemoteAction

from bot.speedups.patching import Patches

_RASA_CALL_FORMAT = RemoteAction._action_call_format
# what an earlier user event leaves out of its parse_data
RANKINGS = ("intent_ranking", "response_selector")


def trim_earlier_rankings(events: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The events with the rankings of every user event but the last taken out (copies)."""
    last = max((n for n, event in enumerate(events) if event.get("event") == "user"), default=-1)
    out = []
    for n, event in enumerate(events):
        parse_data = event.get("parse_data") if n < last and event.get("event") == "user" else None
        if isinstance(parse_data, dict) and any(key in parse_data for key in RANKINGS):
            event = {**event, "parse_data": {key: value for key, value in parse_data.items()
                                             if key not in RANKINGS}}
        out.append(event)
    return out


def action_call_format(self: RemoteAction, tracker: Any, domain: Any) -> Dict[Text, Any]:
    result = _RASA_CALL_FORMAT(self, tracker, domain)
    state = result.get("tracker")
    if isinstance(state, dict) and isinstance(state.get("events"), list):
        result["tracker"] = {**state, "events": trim_earlier_rankings(state["events"])}
    return result


# custom actions get the earlier messages without their rankings
PATCHES = Patches((RemoteAction, "_action_call_format", action_call_format))
install, uninstall = PATCHES.install, PATCHES.uninstall
