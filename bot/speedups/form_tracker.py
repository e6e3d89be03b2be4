"""The form's temporary tracker for slot validation, without replaying the conversation.

Before the action server validates the slots a shopper just gave, Rasa 3.6's `FormAction` builds
a temporary tracker (`_temporary_tracker`): every event since the last restart replayed into a
new tracker, then a `SlotSet` of the requested slot, the form's `ActionExecuted` and the candidate
slot events. That cost grows with the conversation and is paid on every form turn.

Replaying the events of a tracker that holds no `Restarted` gives what its `copy()` gives, which
bot.speedups.tracker_copy builds from the current state, when the tracker is one Rasa would build
the same way: a plain tracker with the domain's slots, no cap on its history, not a rule tracker,
with a sender id. The three new events then go onto the copy as Rasa's replay applies them.
Any other tracker goes to Rasa's replay.
"""
from __future__ import annotations

from typing import List

from rasa.core.actions.forms import FormAction
from rasa.shared.core.constants import REQUESTED_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, Restarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.speedups import tracker_copy
from bot.speedups.patching import Patches

_RASA = FormAction._temporary_tracker


def same_as_replay(tracker: DialogueStateTracker, domain: Domain) -> bool:
    return (
        type(tracker) is DialogueStateTracker
        and bool(tracker.sender_id)
        and not tracker.is_rule_tracker
        and tracker._max_event_history is None
        and [(name, type(slot)) for name, slot in tracker.slots.items()]
        == [(slot.name, type(slot)) for slot in domain.slots]
        and not any(isinstance(event, Restarted) for event in tracker.events)
    )


def temporary_tracker(self: FormAction, current_tracker: DialogueStateTracker,
                      additional_events: List[Event], domain: Domain) -> DialogueStateTracker:
    if not same_as_replay(current_tracker, domain):
        return _RASA(self, current_tracker, additional_events, domain)
    twin = tracker_copy.copy(current_tracker)  # Rasa's replayed copy, when it cannot do better
    for event in [SlotSet(REQUESTED_SLOT, self.get_slot_to_fill(current_tracker)),
                  ActionExecuted(self.name()), *additional_events]:
        twin.update(event)
    return twin


PATCHES = Patches((FormAction, "_temporary_tracker", temporary_tracker))
install, uninstall = PATCHES.install, PATCHES.uninstall
