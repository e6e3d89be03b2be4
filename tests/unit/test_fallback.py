from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

import pytest

from actions import knowledge
from actions.fallback import ActionFallback, consecutive_fallbacks

ARTICLE = knowledge.Answer(7, "Founders", "Frontline was founded in 2019 by two engineers.",
                           "http://shop.test/kb/7", 0.8)


@pytest.fixture(autouse=True)
def knowledge_base(monkeypatch):
    """The service's answer to the next question (None: no confident article)."""
    state = {"answer": None, "checked": True, "asked": []}

    async def lookup(question, language, conversation_id, timeout=2.0):
        state["asked"].append((question, language, conversation_id))
        return knowledge.Lookup(state["answer"], state["checked"])
    monkeypatch.setattr(knowledge, "lookup", lookup)
    return state


def _tracker(intents):
    events = []
    for name in intents:
        events.append({"event": "user", "text": "x", "parse_data": {"intent": {"name": name}}})
        events.append({"event": "action", "name": "action_listen"})
    return Tracker("s", {}, {"text": "x"}, events, False, None, {}, "action_listen")


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
    assert [m["response"] for m in messages] == [None, "utter_ask_rephrase"]
    assert messages[0]["text"] == knowledge.unknown("zh")
    assert events == []


async def test_a_knowledge_base_that_is_down_is_not_reported_as_knowing_nothing(knowledge_base):
    knowledge_base["checked"] = False
    messages, _ = await _run(["greet", "nlu_fallback"])
    assert [m["response"] for m in messages] == ["utter_ask_rephrase"]


async def test_a_confident_article_answers_instead_of_rephrasing(knowledge_base):
    knowledge_base["answer"] = ARTICLE
    messages, events = await _run(["nlu_fallback", "nlu_fallback"])
    assert len(messages) == 1 and events == []
    assert "Founders" in messages[0]["text"] and "http://shop.test/kb/7" in messages[0]["text"]
    assert "founded in 2019" in messages[0]["text"]
    assert knowledge_base["asked"] == [("x", "zh", "s")]


async def test_second_fallback_offers_a_human():
    messages, events = await _run(["nlu_fallback", "nlu_fallback"])
    assert [m["response"] for m in messages] == ["utter_offer_human"]
    assert events == [{"event": "slot", "timestamp": None, "name": "handoff_trigger", "value": "fallback"}]
