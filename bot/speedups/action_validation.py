"""Action-server responses checked against Rasa's schema with a validator built once.

Rasa 3.6 checks every action-server response with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). That call first validates the *schema itself*
against the JSON-Schema meta-schema and builds a new validator, on every action call: under
load it was a third of the Rasa server's CPU. The schema is a constant, so the check is the
same when the validator is built once: same schema, same validator class, same error (the
`best_match` of the instance's errors, as `jsonschema.validate` raises). Invalid responses
are still rejected with Rasa's own message.

Most responses hold only events whose schema is their type name alone (`bot`, `active_loop`, ...)
or a slot or an action: checking each of them against the schema's 25-way `oneOf` was most of
the remaining cost. `plainly_valid` recognises those responses with plain type checks that the
schema implies (a test compares it with jsonschema on every kind of event); anything it does not
recognise, valid or not, goes to the validator as before, so it only ever says yes early.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Optional, Text

from jsonschema import ValidationError, exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from bot.speedups.patching import Patches


@lru_cache(maxsize=1)
def response_validator() -> Any:
    schema = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, as jsonschema.validate would on every call
    return cls(schema)


# event types whose `oneOf` branch constrains nothing but the type name
_NAME_ONLY = frozenset({
    "user_featurization", "cancel_reminder", "reminder", "action_execution_rejected",
    "form_validation", "loop_interrupted", "form", "active_loop", "reset_slots", "resume",
    "pause", "followup", "export", "restart", "undo", "rewind", "bot", "session_started",
    "agent"})
_ACTION_FIELDS = (("policy", str), ("name", str), ("action_text", str))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _plain_event(event: Any) -> bool:
    if type(event) is not dict:
        return False
    kind: Optional[Any] = event.get("event")
    if type(kind) is not str:
        return False
    stamp, metadata = event.get("timestamp"), event.get("metadata")
    if not (stamp is None or _number(stamp)) or not (metadata is None or type(metadata) is dict):
        return False
    if kind in _NAME_ONLY:
        return True
    if kind == "slot":
        return type(event.get("name")) is str and "value" in event
    if kind == "action":
        confidence = event.get("confidence")
        return (all(event.get(key) is None or type(event[key]) is typ for key, typ in _ACTION_FIELDS)
                and (confidence is None or _number(confidence))
                and type(event.get("hide_rule_turn", False)) is bool)
    return False  # user, entities or an unknown type: the validator decides


def plainly_valid(result: Any) -> bool:
    """True only for a response the schema accepts; False means "ask the validator"."""
    if type(result) is not dict:
        return False
    events, responses = result.get("events", []), result.get("responses", [])
    return (type(events) is list and type(responses) is list
            and all(type(item) is dict for item in responses)
            and all(_plain_event(event) for event in events))


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    if plainly_valid(result):
        return True
    error = exceptions.best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    assert isinstance(error, ValidationError)
    error.message += (
        ". Failed to validate Action server response from API, make sure your response "
        "from the Action endpoint is valid. For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


# the prebuilt validator for every remote action
PATCHES = Patches((RemoteAction, "_validate_action_result", validate_action_result))
install, uninstall = PATCHES.install, PATCHES.uninstall
