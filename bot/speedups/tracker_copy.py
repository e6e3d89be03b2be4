"""`tracker.copy()` without replaying the conversation.

Rasa 3.6 copies the tracker before every action it runs (`MessageProcessor._run_action`, and the
form's slot validation): `copy()` builds a new tracker and replays every event of the
conversation into it, so its cost grows with the conversation. A tracker's state is, by Rasa's
own rule, what replaying its events gives, so the same copy can be had from the current state
(`bot.tracker_cache.clone`: events shared, slots / active loop / latest action / latest user
message copied), adjusted to what Rasa's replayed copy differs in:

* it is a plain `DialogueStateTracker` built by `init_copy()`: no `sender_source`, no
  `model_id` / `assistant_id` (so events later added to the copy get no model metadata),
  `DEFAULT_SENDER_ID` for an empty sender id, a plain dict of slots;
* its follow-up action is what the events say: the processor clears the original's in place
  (`tracker.clear_followup_action()`) before running it, which replaying does not see.

The one deliberate difference: the copy has its own latest user message (entities list
included), where Rasa's replayed copy shares it with the original, so an `EntitiesAdded` applied
to the copy no longer leaks into the original. The processor applies the action's events to the
original afterwards anyway, and both events only ever add to / set that message idempotently.

Whatever the fast path cannot reproduce exactly is left to Rasa's replay: another tracker class
or extra attributes, free-form slots (`AnySlotDict`), a history that may have been cut by
`max_event_history`, and a follow-up action decided by an event we do not know.
"""
from __future__ import annotations

import itertools
import time
from collections import deque
from typing import Any, Iterable, List, Optional, Union

from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    FollowupAction,
    LoopInterrupted,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.constants import DEFAULT_SENDER_ID

from bot.speedups.patching import Patches
from bot.tracker_cache import clone

_RASA_COPY = DialogueStateTracker.copy
# the attributes of a tracker Rasa built: anything else would not survive Rasa's copy
_ATTRIBUTES = frozenset(DialogueStateTracker("x", []).__dict__)
_UNKNOWN = object()
_LEFT = object()

# what each event's apply_to does to the follow-up action, by the function itself (a subclass
# overriding apply_to is unknown and sends the copy to Rasa's replay)
_CLEARS = {UserUttered.apply_to, ActionExecuted.apply_to}
_REPLAYS = {UserUtteranceReverted.apply_to, ActionReverted.apply_to, SessionStarted.apply_to}
_LEAVES = {
    Event.apply_to,
    SlotSet.apply_to,
    BotUttered.apply_to,
    EntitiesAdded.apply_to,
    DefinePrevUserUtteredFeaturization.apply_to,
    AllSlotsReset.apply_to,
    ConversationPaused.apply_to,
    ConversationResumed.apply_to,
    ActiveLoop.apply_to,
    LoopInterrupted.apply_to,
    ActionExecutionRejected.apply_to,
}


def replayed_followup(tracker: DialogueStateTracker) -> Union[Optional[str], object]:
    """The follow-up action replaying the tracker's events gives, or `_UNKNOWN`.

    Only the processor changes it outside events, and only to None: any other value is the
    replayed one. Otherwise the newest event that sets it decides (usually the last event).
    """
    if tracker.followup_action is not None:
        return tracker.followup_action
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        apply_to = type(event).apply_to
        if apply_to in _REPLAYS:
            # a rewind / session start resets the tracker and replays the events it leaves: the
            # follow-up action is the one those events give (none of them replays again)
            return _followup(reversed(_applied(itertools.islice(events, index + 1))))
        result = _set_by(event, apply_to)
        if result is not _LEFT:
            return result
    return ACTION_LISTEN_NAME  # a new tracker's


def _followup(newest_first: Iterable[Event]) -> Union[Optional[str], object]:
    for event in newest_first:
        result = _set_by(event, type(event).apply_to)
        if result is not _LEFT:
            return result
    return ACTION_LISTEN_NAME  # what the reset left


def _set_by(event: Event, apply_to: Any) -> Union[Optional[str], object]:
    """What applying the event sets the follow-up action to: `_LEFT` alone, `_UNKNOWN`."""
    if apply_to in _CLEARS:
        return None
    if apply_to in _LEAVES:
        return _LEFT
    if apply_to is FollowupAction.apply_to:
        return event.action_name  # type: ignore[attr-defined]
    if apply_to is Restarted.apply_to:
        return ACTION_SESSION_START_NAME
    return _UNKNOWN


def _applied(events: Iterable[Event]) -> List[Event]:
    """Rasa's `applied_events()` of a tracker holding these events (it reads nothing else)."""
    bare = DialogueStateTracker.__new__(DialogueStateTracker)
    bare.events = deque(events)
    return bare.applied_events()


def fast_copy_possible(tracker: DialogueStateTracker) -> bool:
    history = tracker._max_event_history
    return (
        type(tracker) is DialogueStateTracker
        and type(tracker.slots) is dict
        and tracker.__dict__.keys() == _ATTRIBUTES
        and (history is None or len(tracker.events) < history)
    )


def copy(self: DialogueStateTracker) -> DialogueStateTracker:
    """What Rasa's `copy()` returns (a replay of every event), built from the current state."""
    followup = replayed_followup(self) if fast_copy_possible(self) else _UNKNOWN
    if followup is _UNKNOWN:
        return _RASA_COPY(self)
    twin = clone(self)
    twin.sender_id = self.sender_id or DEFAULT_SENDER_ID
    twin.sender_source = None
    twin.model_id = None
    twin.assistant_id = None
    twin.followup_action = followup  # type: ignore[assignment]
    # no user / bot message since the last reset: replay's _reset() made new placeholders, stamped
    # when made (the user one as the events after the reset left it: clone() copied it)
    if not _is_event(twin.latest_message, twin.events):
        twin.latest_message.timestamp = time.time()
    if not _is_event(twin.latest_bot_utterance, self.events):
        twin.latest_bot_utterance = BotUttered.empty()
    return twin


def _is_event(message: Optional[Event], events) -> bool:
    # the newest user and bot messages are near the end: the scan is short but for placeholders
    return any(event is message for event in reversed(events))


# trackers copied from their state instead of by replaying their events
PATCHES = Patches((DialogueStateTracker, "copy", copy))
install, uninstall = PATCHES.install, PATCHES.uninstall
