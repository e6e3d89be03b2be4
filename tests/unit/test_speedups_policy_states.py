"""Dialogue states replayed once per conversation: the same states and predictions as Rasa's.

Recorded conversations of the real stack (bench/record_policy_trackers.py: the conversation set
- orders with rejections and FAQ between the form's questions, flows, handoffs, cancellations -
and random held-out messages) are fed event by event into one live tracker, as the server does,
and at every step Rasa's code and ours must give the same states, shared the same way, and at
every point where the server predicted, the trained model's policies the same prediction.
Rewinds, restarts, new sessions and loops ending are added on top: what our replay kept must
never be served once the events it came from no longer count.
"""
from __future__ import annotations

import contextlib
import gc
import gzip
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, EntitiesAdded,
                                     Event, Restarted, SessionStarted, SlotSet, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.speedups import policy_states

ROOT = Path(__file__).resolve().parents[2]
RECORDED = Path(__file__).parent / "data" / "policy_trackers.json.gz"


@contextlib.contextmanager
def rasas_own() -> Iterator[None]:
    """Rasa's original methods for a moment, without forgetting our kept replays."""
    Domain.states_for_tracker_history = policy_states._RASA_STATES
    RulePolicy._get_possible_keys = policy_states._RASA_POSSIBLE_KEYS
    try:
        yield
    finally:
        policy_states.install()


@pytest.fixture(scope="module")
def agent(trained_agent):
    return trained_agent


@pytest.fixture(scope="module")
def conversations() -> Dict[str, List[Dict[str, Any]]]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture
def patched():
    policy_states.install()
    yield
    policy_states.uninstall()


def _rule_policy(agent) -> RulePolicy:
    runner = agent.processor.graph_runner
    for node in runner._instantiated_nodes.values():  # type: ignore[attr-defined]
        if isinstance(getattr(node, "_component", None), RulePolicy):
            return node._component
    raise AssertionError("no RulePolicy in the model")


def shape(states: List[Dict[str, Any]]) -> List[List[int]]:
    """Which sub-dicts are one object (the featurizers edit them in place): first index of each."""
    first: Dict[int, int] = {}
    out = []
    for state in states:
        out.append([first.setdefault(id(sub), len(first)) for sub in state.values()])
    return out


def same_states(domain: Domain, tracker: DialogueStateTracker, **kwargs: Any) -> List[Dict]:
    ours = domain.states_for_tracker_history(tracker, **kwargs)
    again = domain.states_for_tracker_history(tracker, **kwargs)  # served from what was kept
    rasa = policy_states._RASA_STATES(domain, tracker, **kwargs)
    assert ours == rasa and again == rasa, kwargs
    assert shape(ours) == shape(rasa) == shape(again)
    assert not set(map(id, ours)) & set(map(id, again))  # never the same dicts twice
    return ours


def all_kinds_of_states(agent, tracker: DialogueStateTracker) -> None:
    domain = agent.domain
    data = _rule_policy(agent)._get_rule_only_data()
    for kwargs in ({}, {"ignore_rule_only_turns": True, "rule_only_data": data},
                   {"ignore_rule_only_turns": True, "rule_only_data": None},
                   {"omit_unset_slots": True}):
        same_states(domain, tracker, **kwargs)


def prediction_facts(agent, tracker: DialogueStateTracker) -> tuple:
    followup = tracker.followup_action
    action, prediction = agent.processor.predict_next_with_tracker_if_should(tracker)
    tracker.followup_action = followup  # Rasa's prediction clears it: the other run needs it too
    return (action.name(), prediction.max_confidence, prediction.policy_name, prediction.events,
            prediction.optional_events, prediction.probabilities, prediction.is_end_to_end_prediction,
            prediction.is_no_user_prediction, prediction.action_metadata)


def events_of(raw: List[Dict[str, Any]]) -> List[Event]:
    return [Event.from_parameters(e) for e in raw]


def test_recorded_conversations_cover_the_journeys(conversations):
    names = " ".join(conversations)
    for journey in ("status", "flow", "handoff", "faq", "cancel", "random"):
        assert journey in names, journey
    actions = {e.get("name") for events in conversations.values() for e in events
               if e.get("event") == "action"}
    assert {"order_form", "action_faq_answer", "action_flow_answer", "action_handoff"} <= actions
    assert any(e.get("event") == "action_execution_rejected"
               for events in conversations.values() for e in events)


def test_same_states_and_predictions_event_by_event(agent, conversations, patched):
    predictions = carried_on = steps = 0
    for name, raw in conversations.items():
        events = events_of(raw)
        tracker = DialogueStateTracker(f"t-{name}", agent.domain.slots)
        replay = None
        for index, event in enumerate(events):
            tracker.update(event)
            all_kinds_of_states(agent, tracker)
            kept = policy_states._kept()[(id(tracker), False)]  # ours served it, not Rasa's fallback
            carried_on += kept is replay  # the kept replay went on over the new event
            steps += 1
            replay = kept
            following = events[index + 1] if index + 1 < len(events) else None
            if isinstance(following, ActionExecuted) and following.action_name != "action_session_start":
                ours = prediction_facts(agent, tracker)
                with rasas_own():
                    rasa = prediction_facts(agent, tracker)
                assert ours == rasa, (name, index)
                predictions += 1
    assert predictions > 500
    assert carried_on > steps / 2  # the path that carries a replay on was tested, not only restarts


def _played(agent, raw: List[Dict[str, Any]], name: str) -> DialogueStateTracker:
    tracker = DialogueStateTracker(name, agent.domain.slots)
    for event in events_of(raw):
        tracker.update(event)
    return tracker


@pytest.mark.parametrize("rewind", [
    [UserUtteranceReverted()],
    [ActionReverted()],
    [UserUtteranceReverted(), UserUtteranceReverted()],
    [Restarted()],
    [ActionExecuted("action_session_start"), SessionStarted()],
    [ActiveLoop(None)],
    [ActiveLoop("order_form"), ActionExecuted("order_form")],
])
def test_a_rewind_is_never_served_from_the_kept_replay(agent, conversations, patched, rewind):
    for name in [n for n in conversations if "status" in n or "flow" in n][:6]:
        tracker = _played(agent, conversations[name], name)
        before = same_states(agent.domain, tracker)
        for event in rewind:
            tracker.update(event)
            all_kinds_of_states(agent, tracker)
        if not isinstance(rewind[0], ActiveLoop):
            assert agent.domain.states_for_tracker_history(tracker) != before


def test_events_replaced_in_place_or_cut_are_replayed_from_the_start(agent, conversations, patched):
    name = next(n for n in conversations if "status" in n)
    tracker = _played(agent, conversations[name], name)
    same_states(agent.domain, tracker)
    # same count of events, a different one at the end; then a shorter list
    last = tracker.events.pop()
    tracker.events.append(SlotSet("order_id", "E000000000000"))
    assert policy_states._RASA_STATES(agent.domain, tracker) != []
    same_states(agent.domain, tracker)
    tracker.events.pop()
    tracker.events.append(last)
    for _ in range(5):
        tracker.events.pop()
        same_states(agent.domain, tracker)


def test_a_new_tracker_at_a_dead_trackers_address_gets_its_own_states(agent, conversations, patched):
    names = list(conversations)[:12]
    for first, second in zip(names, names[1:]):
        tracker = _played(agent, conversations[first], first)
        same_states(agent.domain, tracker)
        del tracker
        gc.collect()
        other = _played(agent, conversations[second], second)  # may reuse the address
        same_states(agent.domain, other)


def test_a_replay_that_failed_half_way_is_not_kept(agent, conversations, patched, monkeypatch):
    name = next(n for n in conversations if "status" in n)
    events = events_of(conversations[name])
    tracker = DialogueStateTracker(name, agent.domain.slots)
    for event in events[:-3]:
        tracker.update(event)
    same_states(agent.domain, tracker)
    for event in events[-3:]:
        tracker.update(event)
    original = Domain.get_active_state
    monkeypatch.setattr(Domain, "get_active_state", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        agent.domain.states_for_tracker_history(tracker)
    monkeypatch.setattr(Domain, "get_active_state", original)
    assert (id(tracker), False) not in policy_states._kept()
    same_states(agent.domain, tracker)


def test_entities_added_to_the_latest_message_count(agent, conversations, patched):
    name = next(n for n in conversations if "status" in n)
    tracker = DialogueStateTracker(name, agent.domain.slots)
    for event in events_of(conversations[name]):
        tracker.update(event)
        if isinstance(event, UserUttered):
            same_states(agent.domain, tracker)
            tracker.update(EntitiesAdded([{"entity": "order_id", "value": "E202611180042"}]))
            same_states(agent.domain, tracker)


def test_the_rule_search_stops_at_the_longest_rule_with_rasas_result(agent, conversations, patched):
    policy = _rule_policy(agent)
    checked = 0
    for name, raw in list(conversations.items())[:20]:
        tracker = _played(agent, raw, name)
        states = policy._prediction_states(tracker, agent.domain, False,
                                           rule_only_data=policy._get_rule_only_data())
        for lookup in policy.lookup.values():
            if isinstance(lookup, dict) and lookup:
                ours = policy._get_possible_keys(lookup, states)
                assert ours == policy_states._RASA_POSSIBLE_KEYS(policy, lookup, states)
                checked += bool(ours)
    assert checked


LISTEN_GREET = {"prev_action": {"action_name": "action_listen"}, "user": {"intent": "greet"}}
AFTER_A = {"prev_action": {"action_name": "utter_a"}}
AFTER_B = {"prev_action": {"action_name": "utter_b"}}
CRAFTED_RULES = [[AFTER_A, LISTEN_GREET], [LISTEN_GREET], [{}, LISTEN_GREET],
                 [AFTER_B, AFTER_A, LISTEN_GREET], [{}, AFTER_A, LISTEN_GREET]]


@pytest.mark.parametrize("states", [
    [AFTER_A, LISTEN_GREET], [AFTER_B, LISTEN_GREET], [LISTEN_GREET], [{}, LISTEN_GREET],
    [AFTER_B, AFTER_A, LISTEN_GREET], [AFTER_A, AFTER_A, LISTEN_GREET],
    [{}, AFTER_A, LISTEN_GREET], [AFTER_A, AFTER_B, AFTER_A, LISTEN_GREET], [AFTER_B], [],
])
def test_the_rule_search_on_rules_that_end_at_each_turn(agent, patched, states):
    """The oldest turn of the longest rule still rules keys out; one further back never does."""
    policy = _rule_policy(agent)
    lookup = {json.dumps(rule, sort_keys=True): f"utter_{n}" for n, rule in enumerate(CRAFTED_RULES)}
    rasa = policy_states._RASA_POSSIBLE_KEYS(policy, lookup, states)
    assert policy._get_possible_keys(lookup, states) == rasa
    assert policy._get_possible_keys({}, states) == set()


def test_the_crafted_rules_tell_apart_what_the_turns_rule_out(agent):
    policy = _rule_policy(agent)
    lookup = {json.dumps(rule, sort_keys=True): f"utter_{n}" for n, rule in enumerate(CRAFTED_RULES)}
    found = {len(policy_states._RASA_POSSIBLE_KEYS(policy, lookup, s))
             for s in ([AFTER_B, AFTER_A, LISTEN_GREET], [AFTER_A, AFTER_A, LISTEN_GREET],
                       [{}, AFTER_A, LISTEN_GREET], [LISTEN_GREET])}
    assert len(found) > 2  # the oldest turn of the longest rules changes the answer


def test_uninstall_gives_rasas_methods_back():
    policy_states.install()
    policy_states.uninstall()
    assert Domain.states_for_tracker_history is policy_states._RASA_STATES
    assert RulePolicy._get_possible_keys is policy_states._RASA_POSSIBLE_KEYS
