"""Action-server responses checked against Rasa's schema with a validator built once.

Rasa 3.6 checks every action-server response with `jsonschema.validate(result, schema)`
(`RemoteAction._validate_action_result`). That call first validates the *schema itself*
against the JSON-Schema meta-schema and builds a new validator, on every action call: under
load it was a third of the Rasa server's CPU. The schema is a constant, so the check is the
same when the validator is built once: same schema, same validator class, same error (the
`best_match` of the instance's errors, as `jsonschema.validate` raises). Invalid responses
are still rejected with Rasa's own message.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

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


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
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
