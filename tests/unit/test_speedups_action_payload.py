"""Custom actions get the earlier messages without their NLU rankings; everything else, and the
tracker itself, as Rasa has them; and no action of ours reads an earlier message's rankings."""
import copy
import re
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.speedups import action_payload

ROOT = Path(__file__).resolve().parents[2]


def parse(text: str, intent: str) -> dict:
    return {"text": text, "intent": {"name": intent, "confidence": 0.9},
            "intent_ranking": [{"name": intent, "confidence": 0.9}, {"name": "faq", "confidence": 0.1}],
            "response_selector": {"all_retrieval_intents": ["faq"], "faq": {"ranking": [{"id": 1}]}},
            "entities": [{"entity": "order_id", "value": "E1", "start": 0, "end": 2}],
            "emotion": {"label": "angry"}, "language": "en"}


@pytest.fixture
def tracker():
    tracker = DialogueStateTracker("kim", [])
    for n, intent in enumerate(["order_status", "complain", "request_human"]):
        tracker.update(UserUttered(f"message {n}", parse_data=parse(f"message {n}", intent)))
        tracker.update(ActionExecuted("action_order_status"))
        tracker.update(SlotSet("order_id", f"E{n}"))
    return tracker


def call_format(tracker):
    action = RemoteAction("action_order_status", EndpointConfig("http://127.0.0.1:1"))
    return action._action_call_format(tracker, Domain.empty())


def test_earlier_messages_lose_only_their_rankings_and_the_tracker_is_untouched(tracker):
    before = copy.deepcopy([e.as_dict() for e in tracker.events])
    rasa = call_format(tracker)
    action_payload.install()
    try:
        ours = call_format(tracker)
    finally:
        action_payload.uninstall()
    assert [e.as_dict() for e in tracker.events] == before  # copies were trimmed, not the events
    assert {k: v for k, v in ours["tracker"].items() if k != "events"} == \
        {k: v for k, v in rasa["tracker"].items() if k != "events"}  # latest_message in full
    assert {k: v for k, v in ours.items() if k != "tracker"} == \
        {k: v for k, v in rasa.items() if k != "tracker"}
    users = [n for n, e in enumerate(rasa["tracker"]["events"]) if e["event"] == "user"]
    for n, (theirs, mine) in enumerate(zip(rasa["tracker"]["events"], ours["tracker"]["events"])):
        if n in users[:-1]:
            kept = {k: v for k, v in theirs["parse_data"].items()
                    if k not in ("intent_ranking", "response_selector")}
            assert mine == {**theirs, "parse_data": kept}
            assert mine["parse_data"]["entities"] and mine["parse_data"]["emotion"]
        else:  # the latest message and every other event as Rasa sends them
            assert mine == theirs
    assert len(ours["tracker"]["events"]) == len(rasa["tracker"]["events"])


def test_no_action_reads_an_earlier_messages_rankings():
    """Rankings are read from `latest_message` only: an action reading them from the events
    would see them missing."""
    for path in list((ROOT / "actions").rglob("*.py")) + list((ROOT / "common").rglob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"intent_ranking|response_selector", line):
                assert "latest_message" in line, f"{path}: {line.strip()}"
