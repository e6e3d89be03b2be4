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
    for _ in range(5):
        remote_action._validate_action_result(VALID[1])
    assert len(calls) == 1
    action_validation.response_validator.cache_clear()
