"""Action-server responses: the prebuilt validator accepts and rejects exactly what Rasa's does."""
from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.speedups import action_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "order_id", "value": "E202611180042", "timestamp": None},
                {"event": "active_loop", "name": "order_form"},
                {"event": "followup", "name": "action_handoff"},
                {"event": "action_execution_rejected", "name": "order_form"}],
     "responses": [{"text": "hi", "buttons": [{"title": "yes", "payload": "/affirm"}]}]},
    {},
]
INVALID = [
    {"events": [{"event": "slot"}]},                      # a slot event without its name
    {"events": [{"name": "x"}]},                          # no event type
    {"events": "not a list"},
    {"responses": ["a bare string"]},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.fixture
def remote_action():
    action_validation.install()
    yield RemoteAction.__new__(RemoteAction)
    action_validation.uninstall()


@pytest.mark.parametrize("response", VALID)
def test_valid_responses_pass_as_with_rasa(remote_action, response):
    jsonschema.validate(response, RemoteAction.action_response_format_spec())
    assert remote_action._validate_action_result(response) is True


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_fail_with_rasas_error(remote_action, response):
    with pytest.raises(jsonschema.ValidationError) as expected:
        jsonschema.validate(response, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as raised:
        remote_action._validate_action_result(response)
    assert raised.value.message.startswith(expected.value.message)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_schema_is_checked_once_not_per_call(remote_action, monkeypatch):
    action_validation.response_validator.cache_clear()
    cls = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    calls = []
    original = cls.check_schema
    monkeypatch.setattr(cls, "check_schema", classmethod(lambda c, s: (calls.append(1), original(s))))
    for _ in range(5):  # a user event: the fast check leaves it to the validator
        remote_action._validate_action_result({"events": [{"event": "user", "text": "hi"}]})
    assert len(calls) == 1
    action_validation.response_validator.cache_clear()


def _branches():
    spec = RemoteAction.action_response_format_spec()
    return spec["properties"]["events"]["items"]["oneOf"]


def test_the_types_checked_by_name_alone_are_those_the_schema_constrains_by_name_alone():
    name_only = {branch["properties"]["event"]["const"] for branch in _branches()
                 if set(branch["properties"]) == {"event"} and "required" not in branch}
    assert name_only == action_validation._NAME_ONLY


def _variants():
    """Events of every type the schema knows, with each field right and wrong."""
    stamps = [None, 1, 1.5, True, "noon"]
    metas = [None, {}, {"k": 1}, [], "m"]
    kinds = [b["properties"]["event"]["const"] for b in _branches()] + ["no_such_event", 7, None]
    for kind in kinds:
        for stamp in stamps:
            for meta in metas:
                yield {"event": kind, "timestamp": stamp, "metadata": meta}
        yield {"event": kind}
        yield {"event": kind, "name": "x", "value": None}
    for name in ["order_id", None, 3]:
        yield {"event": "slot", "name": name, "value": 1}
        yield {"event": "slot", "name": name}
    for field, values in {"policy": ["RulePolicy", None, 1], "name": ["utter_x", None, {}],
                          "action_text": ["hi", None, 2], "confidence": [0.9, 1, None, "high", True],
                          "hide_rule_turn": [True, False, None, 0]}.items():
        for value in values:
            yield {"event": "action", field: value}
    yield {"event": "user", "text": "hi", "parse_data": {"intent": {"name": "greet"}}}
    yield {"event": "entities", "entities": [{"entity": "order_id", "value": "E1"}]}
    yield "not an event"
    yield ["event", "bot"]


def test_the_fast_check_says_yes_only_to_what_the_schema_accepts():
    validator = action_validation.response_validator()
    fast = 0
    responses = [{"events": [event]} for event in _variants()] + [
        {"events": [{"event": "bot"}], "responses": [{"text": "hi"}]},
        {"events": [{"event": "bot"}], "responses": ["hi"]},
        {"events": None}, {"responses": None}, {"events": {"event": "bot"}}, [], "x", None, {}]
    for response in responses:
        if action_validation.plainly_valid(response):
            fast += 1
            assert validator.is_valid(response), response
    assert fast > 100  # the common responses do take the fast way


def test_what_actions_return_takes_the_fast_way(remote_action, monkeypatch):
    monkeypatch.setattr(action_validation, "response_validator",
                        lambda: pytest.fail("the validator ran for a plain response"))
    assert remote_action._validate_action_result(VALID[1]) is True
