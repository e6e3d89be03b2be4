from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionFallback, consecutive_fallbacks


def _tracker(intents):
    events = []
    for name in intents:
        events.append({"event": "user", "text": "x", "parse_data": {"intent": {"name": name}}})
        events.append({"event": "action", "name": "action_listen"})
    return Tracker("s", {}, {}, events, False, None, {}, "action_listen")


async def _run(intents):
    dispatcher = CollectingDispatcher()
    events = await ActionFallback().run(dispatcher, _tracker(intents), {})
    return dispatcher.messages, events


def test_counts_only_trailing_fallbacks():
    assert consecutive_fallbacks(_tracker(["nlu_fallback", "greet", "nlu_fallback"])) == 1
    assert consecutive_fallbacks(_tracker(["nlu_fallback", "nlu_fallback"])) == 2
    assert consecutive_fallbacks(_tracker([])) == 0


async def test_first_fallback_asks_to_rephrase():
    messages, events = await _run(["greet", "nlu_fallback"])
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]
    assert events == []


async def test_second_fallback_offers_a_human():
    messages, events = await _run(["nlu_fallback", "nlu_fallback"])
    assert [m["response"] for m in messages] == ["utter_offer_human"]
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_trigger", "value": "fallback"}]
