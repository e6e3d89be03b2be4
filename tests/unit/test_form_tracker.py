"""The form's temporary tracker built from a copy: the same tracker as Rasa's replay."""
from __future__ import annotations

import time

from rasa.core.actions.forms import FormAction
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, Restarted, SlotSet, UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.speedups import form_tracker
from tests.unit.test_tracker_copy import _live_conversations, _snapshot, project  # noqa: F401

CANDIDATES = [[SlotSet("order_id", "E202611180042")],
              [SlotSet("phone_last4", "1234"), SlotSet("order_id", None)],
              []]


def test_the_temporary_tracker_is_rasas_on_every_turn_of_every_story(project, monkeypatch):
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.0)  # the events each side makes
    domain, trackers = project
    form = FormAction("order_form", None)
    turns = fast = 0
    for n, live in enumerate(_live_conversations(trackers, seed=11)):
        before = _snapshot(live)
        candidate = CANDIDATES[n % len(CANDIDATES)]
        ours = form_tracker.temporary_tracker(form, live, candidate, domain)
        rasas = form_tracker._RASA(form, live, candidate, domain)
        assert _snapshot(ours) == _snapshot(rasas)
        assert ours.past_states(domain) == rasas.past_states(domain)
        assert _snapshot(live) == before  # the conversation itself is left alone
        ours.update(UserUttered("again", {"name": "affirm"}))  # nor does the copy reach back
        assert _snapshot(live) == before
        turns += 1
        fast += form_tracker.same_as_replay(live, domain)
    assert turns > 500 and fast > 0.3 * turns


def test_a_restarted_conversation_goes_to_rasas_replay(project):
    domain, _ = project
    tracker = DialogueStateTracker("shopper", domain.slots)
    for event in [ActionExecuted("action_listen"), UserUttered("hi", {"name": "greet"}),
                  Restarted(), ActiveLoop("order_form"), SlotSet("requested_slot", "order_id")]:
        tracker.update(event)
    assert not form_tracker.same_as_replay(tracker, domain)
    temp = form_tracker.temporary_tracker(FormAction("order_form", None), tracker, [], domain)
    assert [type(e) for e in temp.events][:2] == [ActiveLoop, SlotSet]  # after the restart only


def test_installed_with_the_other_speedups():
    from bot import speedups
    speedups.install()
    assert FormAction._temporary_tracker is form_tracker.temporary_tracker
