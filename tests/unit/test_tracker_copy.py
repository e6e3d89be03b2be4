"""Tracker copies built from the current state: the same tracker as Rasa's replay, kept apart."""
from __future__ import annotations

import random

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActionExecutionRejected, ActionReverted,
                                     ActiveLoop, AllSlotsReset, BotUttered, ConversationPaused,
                                     ConversationResumed, DefinePrevUserUtteredFeaturization,
                                     EntitiesAdded, FollowupAction, LoopInterrupted, Restarted,
                                     SessionStarted, SlotSet, StoryExported, UserUttered,
                                     UserUtteranceReverted)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.shared.importers.importer import TrainingDataImporter

from bot.speedups import tracker_copy

RASA_COPY = tracker_copy._RASA_COPY


@pytest.fixture(scope="module")
def project():
    """The project's domain and its stories and rules (test stories included) as trackers."""
    importer = TrainingDataImporter.load_from_config(
        "config.yml", "domain.yml", ["data", "tests/test_stories.yml"])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                     remove_duplicates=False).generate()
    assert len(trackers) > 50
    return domain, trackers


def _message(tracker: DialogueStateTracker, message) -> tuple:
    """A latest message as values; a placeholder (no message since a reset) is stamped with the
    time it was made, which no copy can share."""
    fields = dict(vars(message))
    if not any(event is message for event in tracker.events):
        fields["timestamp"] = "placeholder"
    return type(message), fields, list(getattr(message, "entities", []))


def _snapshot(tracker: DialogueStateTracker) -> dict:
    """Everything a caller can see of a tracker, as plain values."""
    return {
        "state": tracker.current_state(EventVerbosity.ALL),
        "class": type(tracker),
        "attributes": sorted(tracker.__dict__),
        "slots": {name: (type(slot), dict(vars(slot))) for name, slot in tracker.slots.items()},
        "slot_dict": type(tracker.slots),
        "active_loop": tracker.active_loop,
        "latest_message": _message(tracker, tracker.latest_message),
        "latest_bot": _message(tracker, tracker.latest_bot_utterance),
        "latest_action": tracker.latest_action,
        "followup": tracker.followup_action,
        "paused": tracker._paused,
        "ids": (tracker.sender_id, tracker.sender_source, tracker.model_id, tracker.assistant_id,
                tracker.is_rule_tracker, tracker._max_event_history, tracker.events.maxlen),
        "events": [(type(e), dict(vars(e))) for e in tracker.events],
        "applied": [type(e) for e in tracker.applied_events()],
    }


def _assert_same_copy(tracker: DialogueStateTracker, domain: Domain) -> DialogueStateTracker:
    before = _snapshot(tracker)
    ours = tracker_copy.copy(tracker)
    rasas = RASA_COPY(tracker)
    assert _snapshot(ours) == _snapshot(rasas)
    assert ours.past_states(domain) == rasas.past_states(domain)
    assert _snapshot(tracker) == before  # copying changes nothing
    # the copies also go on the same way, as the processor does with its temporary tracker
    follow = [ActionExecuted("order_form"), SlotSet("order_id", "E202611180042"),
              ActionExecuted("action_listen"), UserUttered("again", {"name": "affirm"}),
              EntitiesAdded([{"entity": "order_id", "value": "E1", "start": 0, "end": 2}])]
    ours.update_with_events(follow, domain, override_timestamp=False)
    rasas.update_with_events(follow, domain, override_timestamp=False)
    assert _snapshot(ours) == _snapshot(rasas)
    assert _snapshot(tracker) == before  # nor does changing our copy
    return ours


EXTRAS = [
    lambda: EntitiesAdded([{"entity": "order_id", "value": "E202611180042", "start": 0,
                            "end": 13}]),
    lambda: DefinePrevUserUtteredFeaturization(False),
    lambda: ActionExecutionRejected("order_form"),
    lambda: LoopInterrupted(True),
    lambda: FollowupAction("action_handoff"),
    lambda: ConversationPaused(),
    lambda: ConversationResumed(),
    lambda: BotUttered("one moment", {"elements": None}),
    lambda: AllSlotsReset(),
    lambda: UserUtteranceReverted(),
    lambda: ActionReverted(),
    lambda: Restarted(),
    lambda: SessionStarted(),
    lambda: ActiveLoop(None),
]


def _live_conversations(trackers, seed: int):
    """Each story replayed as the server sees it: extra events in between (rejections, rewinds,
    restarts, handoff pauses, added entities) and the follow-up action cleared by the processor."""
    rng = random.Random(seed)
    for story in trackers:
        live = DialogueStateTracker(story.sender_id or "shopper", story.slots.values())
        if rng.random() < 0.5:
            live.model_id, live.assistant_id = "model-1", "frontline"
        for event in story.events:
            live.update(event.__class__.from_parameters(event.as_dict()))
            if rng.random() < 0.3:
                live.update(rng.choice(EXTRAS)())
            if live.followup_action is not None and rng.random() < 0.5:
                live.clear_followup_action()  # the processor, about to run it
            yield live


def test_fast_copy_is_rasas_replayed_copy_on_every_turn_of_every_story(project):
    domain, trackers = project
    turns = fast = 0
    for live in _live_conversations(trackers, seed=7):
        _assert_same_copy(live, domain)
        turns += 1
        fast += tracker_copy.fast_copy_possible(live) and \
            tracker_copy.replayed_followup(live) is not tracker_copy._UNKNOWN
    assert turns > 500
    assert fast > 0.6 * turns  # the fast path is the usual one, not the fallback


def test_follow_up_action_cleared_by_the_processor_comes_back_as_replay_gives_it(project):
    domain, _ = project
    rewound = [FollowupAction("action_handoff"), ActionExecuted("action_listen"),
               UserUttered("hm", {"name": "nlu_fallback"}), UserUtteranceReverted()]
    for setters, expected in (([FollowupAction("action_handoff")], "action_handoff"),
                              ([Restarted()], "action_session_start"),
                              (rewound, "action_handoff"),
                              ([Restarted(), SessionStarted()], "action_listen")):
        tracker = DialogueStateTracker("shopper", domain.slots)
        tracker.update(ActionExecuted("action_listen"))
        tracker.update_with_events(setters, domain)
        tracker.update(SlotSet("language", "en"))
        tracker.clear_followup_action()
        assert tracker_copy.fast_copy_possible(tracker)
        assert tracker_copy.replayed_followup(tracker) == expected
        _assert_same_copy(tracker, domain)


def test_copy_and_original_never_change_each_other(project):
    domain, _ = project
    tracker = DialogueStateTracker("shopper", domain.slots)
    tracker.update_with_events([
        ActionExecuted("action_listen"),
        UserUttered("where is E202611180042", {"name": "order_status", "confidence": 0.9},
                    [{"entity": "order_id", "value": "E202611180042", "start": 9, "end": 22}]),
        ActionExecuted("order_form"), ActiveLoop("order_form"), SlotSet("language", "en"),
        ActionExecuted("action_listen"),
        UserUttered("no", {"name": "deny", "confidence": 0.8}),
    ], domain, override_timestamp=False)
    before = _snapshot(tracker)
    ours = tracker_copy.copy(tracker)
    ours.update_with_events([
        EntitiesAdded([{"entity": "order_id", "value": "E9", "start": 0, "end": 2}]),
        DefinePrevUserUtteredFeaturization(True), LoopInterrupted(True), SlotSet("language", "zh"),
        ActionExecutionRejected("order_form"), ActiveLoop(None), AllSlotsReset(),
        ConversationPaused(),
    ], domain)
    assert _snapshot(tracker) == before
    copied = _snapshot(ours)
    tracker.update_with_events([
        EntitiesAdded([{"entity": "order_id", "value": "E7", "start": 0, "end": 2}]),
        SlotSet("language", "zh"), LoopInterrupted(True), ActionExecuted("utter_goodbye"),
    ], domain)
    assert _snapshot(ours) == copied


@pytest.mark.parametrize("odd", ["subclass", "any_slots", "cut_history", "extra_attribute",
                                 "unknown_event"])
def test_trackers_the_fast_path_cannot_reproduce_go_to_rasas_replay(project, odd):
    domain, _ = project
    events = [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
              ActionExecuted("utter_greet"), FollowupAction("action_handoff")]
    cls = type("StoredTracker", (DialogueStateTracker,), {}) if odd == "subclass" \
        else DialogueStateTracker
    tracker = cls("shopper", None if odd == "any_slots" else domain.slots,
                  max_event_history=3 if odd == "cut_history" else None)
    tracker.update_with_events(events, domain, override_timestamp=False)
    if odd == "extra_attribute":
        tracker.note = "set by someone"
    if odd == "unknown_event":
        tracker.update(StoryExported())
    tracker.clear_followup_action()
    assert tracker_copy.fast_copy_possible(tracker) is False or \
        tracker_copy.replayed_followup(tracker) is tracker_copy._UNKNOWN
    ours, rasas = tracker_copy.copy(tracker), RASA_COPY(tracker)
    assert _snapshot(ours) == _snapshot(rasas)


def test_install_makes_copy_fast_and_uninstall_restores_rasas():
    tracker_copy.install()
    try:
        assert DialogueStateTracker.copy is tracker_copy.copy
    finally:
        tracker_copy.uninstall()
    assert DialogueStateTracker.copy is RASA_COPY
