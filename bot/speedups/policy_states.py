"""The conversation's dialogue states replayed once per message, not once per policy and call.

Rasa 3.6 turns the tracker into "states" (one per bot action: the user's last message, the slots,
the previous action, the active loop) for every policy and call: MemoizationPolicy once,
RulePolicy once for text and once for intent, on every prediction, and a message makes two or
three predictions. Each time `Domain.states_for_tracker_history` replays the whole conversation
into a fresh tracker (`generate_all_prior_trackers`): under load that was half of the policies'
CPU. Here one replay per conversation is kept (LRU, per thread) with the state of each turn:

- another call on the same tracker with the same events reuses the turns;
- when the tracker has only gained events since (the bot's action, its messages, slots), the
  kept replay carries on over the new events alone, as Rasa's replay would go through them;
- anything that changes which past events count (a restart, a new session, a rewind or undo,
  a loop starting or stopping, a loop action's turn, which Rasa folds into the loop's earlier
  turns) or any other change of the event list replays from the start, as Rasa does.

The states are then derived from the turns by Rasa's own steps (rule-only turns hidden, rule-only
slots and loops removed, the previous ML action substituted) into new dicts on every call, with
the same sharing between them as Rasa's, because the featurizers edit the states they get.

RulePolicy also matches every rule against every turn of the conversation, back to its start,
although a turn further back than the longest rule cannot rule a key out (Rasa's
`_is_rule_applicable` returns True for it): the search stops at the longest rule's length, or
when no rule is left. Both return exactly what Rasa's code returns (tests/unit compare them on
recorded conversations).
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from functools import lru_cache
from operator import is_
from typing import Any, Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (ActionExecuted, ActionReverted, ActiveLoop, Restarted,
                                     SessionStarted, UserUtteranceReverted)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.speedups.patching import Patches

_RASA_STATES = Domain.states_for_tracker_history
_RASA_POSSIBLE_KEYS = RulePolicy._get_possible_keys
_RASA_IS_RULE_APPLICABLE = RulePolicy._is_rule_applicable
_RASA_RULE_KEY_TO_STATE = RulePolicy._rule_key_to_state

# events after which the applied events are no longer the earlier ones plus the new ones
_REPLAY_FROM_START = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)
_SCALARS = (str, int, float, bool, type(None))
CONVERSATIONS_KEPT = 64  # more than a server's conversations in one prediction loop at a time

# one turn: the state Rasa's `get_active_state` gives before the action, the previous action
# sub-state, the action's `hide_rule_turn`, and whether that turn may change "hidden"
Turn = Tuple[State, Optional[Dict[Text, Any]], bool, bool]


class _Replay:
    """Rasa's replay of one tracker's applied events, kept at its end, with the turns seen."""

    def __init__(self, tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool):
        self.tracker_ref = weakref.ref(tracker)
        self.domain = domain
        self.omit_unset_slots = omit_unset_slots
        self.events = tuple(tracker.events)
        self.loop_names = {e.name for e in self.events if isinstance(e, ActiveLoop) and e.name}
        self.replayed = tracker.init_copy()
        self.turns: List[Turn] = []
        self.tail: Optional[Turn] = None
        self.run(tracker.applied_events())

    def run(self, events: Any) -> None:
        """What `generate_all_prior_trackers` yields, from where the replay stands."""
        replayed = self.replayed
        for event in events:
            if isinstance(event, ActionExecuted):
                self.turns.append(self._turn(event.hide_rule_turn))
            replayed.update(event)
        self.tail = self._turn(False)

    def _turn(self, hide_rule_turn: bool) -> Turn:
        replayed, domain = self.replayed, self.domain
        state = domain.get_active_state(replayed, omit_unset_slots=self.omit_unset_slots)
        prev_action = domain._get_prev_action_sub_state(replayed)
        if not all(map(_flat, state.values())) or not (prev_action is None or _flat(prev_action)):
            raise _NotFlat()
        return (state, prev_action, hide_rule_turn,
                not replayed.followup_action
                and not replayed.latest_action_name == replayed.active_loop_name)

    def extend_to(self, tracker: DialogueStateTracker) -> bool:
        """Carry on over the tracker's new events if that is what a replay from the start gives."""
        events = tuple(tracker.events)
        old = self.events
        if len(events) < len(old) or not all(map(is_, old, events)):
            return False
        new = events[len(old):]
        for event in new:
            if isinstance(event, _REPLAY_FROM_START) or (
                    isinstance(event, ActionExecuted) and event.action_name in self.loop_names):
                return False
        if new:
            self.run(new)
            self.events = events
        return True


class _NotFlat(Exception):
    """A state holds a mutable value: copying sub-dicts would not be a deep copy."""


def _flat(sub_state: Any) -> bool:
    if not isinstance(sub_state, dict):
        return False
    for value in sub_state.values():
        if isinstance(value, tuple):
            if not all(isinstance(item, _SCALARS) for item in value):
                return False
        elif not isinstance(value, _SCALARS):
            return False
    return True


_local = threading.local()


def _kept() -> "OrderedDict[Tuple[int, bool], _Replay]":
    kept = getattr(_local, "replays", None)
    if kept is None:
        kept = _local.replays = OrderedDict()
    return kept


def _replay_for(tracker: DialogueStateTracker, domain: Domain, omit_unset_slots: bool) -> _Replay:
    kept = _kept()
    key = (id(tracker), omit_unset_slots)
    replay = kept.pop(key, None)  # put back only once it stands where the tracker does
    if replay is not None and (replay.tracker_ref() is not tracker or replay.domain is not domain
                               or not replay.extend_to(tracker)):
        replay = None
    if replay is None:
        replay = _Replay(tracker, domain, omit_unset_slots)
    kept[key] = replay
    while len(kept) > CONVERSATIONS_KEPT:
        kept.popitem(last=False)
    return replay


def _states(domain: Domain, turns: List[Turn], ignore_rule_only_turns: bool,
            rule_only_data: Optional[Dict[Text, Any]]) -> List[State]:
    """Rasa's `states_for_tracker_history` loop over kept turns, on new dicts."""
    states: List[State] = []
    last_ml_action_sub_state = None
    turn_was_hidden = False
    actions: Dict[int, Dict[Text, Any]] = {}  # one copy per previous-action dict, shared as Rasa's

    def own(action: Dict[Text, Any]) -> Dict[Text, Any]:
        copied = actions.get(id(action))
        if copied is None:
            copied = actions[id(action)] = dict(action)
        return copied

    for kept_state, prev_action, hide_rule_turn, may_hide in turns:
        if ignore_rule_only_turns:
            if not turn_was_hidden:
                last_ml_action_sub_state = prev_action
            if may_hide:
                turn_was_hidden = hide_rule_turn
            if turn_was_hidden:
                continue
        state = {key: own(value) if key == PREVIOUS_ACTION else dict(value)
                 for key, value in kept_state.items()}
        if ignore_rule_only_turns:
            domain._remove_rule_only_features(state, rule_only_data)
            if states:
                domain._substitute_rule_only_user_input(state, states[-1])
            if last_ml_action_sub_state:
                state[PREVIOUS_ACTION] = own(last_ml_action_sub_state)
        states.append(domain._clean_state(state))
    return states


def states_for_tracker_history(self: Domain, tracker: DialogueStateTracker,
                               omit_unset_slots: bool = False, ignore_rule_only_turns: bool = False,
                               rule_only_data: Optional[Dict[Text, Any]] = None) -> List[State]:
    if type(tracker) is not DialogueStateTracker:  # training trackers keep states of their own
        return _RASA_STATES(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    try:
        replay = _replay_for(tracker, self, omit_unset_slots)
    except _NotFlat:
        return _RASA_STATES(self, tracker, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    assert replay.tail is not None
    return _states(self, replay.turns + [replay.tail], ignore_rule_only_turns, rule_only_data)


@lru_cache(maxsize=4096)
def _reversed_rule(rule_key: Text) -> Tuple[State, ...]:
    """A rule's states, newest first: Rasa's `_is_rule_applicable` rebuilds this on every call."""
    return tuple(reversed(RulePolicy._rule_key_to_state(rule_key)))


def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
    """Rasa's `_get_possible_keys` with `_is_rule_applicable` inlined, stopping where it stops
    ruling keys out: beyond the longest rule still possible, or when none is left."""
    if type(self)._is_rule_applicable is not _RASA_IS_RULE_APPLICABLE or \
            type(self)._rule_key_to_state is not _RASA_RULE_KEY_TO_STATE:
        return _RASA_POSSIBLE_KEYS(self, lookup, states)
    rules = {key: _reversed_rule(key) for key in lookup}
    possible_keys = set(rules)
    longest = max(map(len, rules.values()), default=0)
    matches = self._does_rule_match_state
    for i, state in enumerate(reversed(states)):
        if i >= longest or not possible_keys:
            break  # every key still possible stays so (Rasa's filter keeps them all)
        current_previous_action = state.get(PREVIOUS_ACTION)
        kept = set()
        for key in possible_keys:
            rule = rules[key]
            if i >= len(rule):
                kept.add(key)
                continue
            rule_state = rule[i]
            rule_previous_action = rule_state.get(PREVIOUS_ACTION)
            if not rule_previous_action and not current_previous_action:
                kept.add(key)
            elif rule_previous_action and current_previous_action and matches(rule_state, state):
                kept.add(key)
        possible_keys = kept
    return possible_keys


def clear() -> None:
    """Forget the kept replays of this thread."""
    _kept().clear()


# each conversation replayed once; the rule search stops at the longest rule
PATCHES = Patches((Domain, "states_for_tracker_history", states_for_tracker_history),
                  (RulePolicy, "_get_possible_keys", get_possible_keys), after_uninstall=clear)
install, uninstall = PATCHES.install, PATCHES.uninstall
