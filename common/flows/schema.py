"""The JSON Schema of a flow file (structure only).

Cross-references (a `next` that names a missing step, an unknown step action, unreachable
steps, a flow without a resolved or an escalate end…) are checked in validator.py, where
the messages can say exactly what is wrong and on which line.
"""
from __future__ import annotations

from typing import Any, Dict

ID_PATTERN = "^[a-z][a-z0-9_]*$"

ID: Dict[str, Any] = {"type": "string", "pattern": ID_PATTERN}

BILINGUAL: Dict[str, Any] = {
    "type": "object",
    "required": ["zh", "en"],
    "properties": {
        "zh": {"type": "string", "minLength": 1},
        "en": {"type": "string", "minLength": 1},
    },
    "additionalProperties": False,
}

PER_LANGUAGE_STRINGS: Dict[str, Any] = {
    "type": "object",
    "properties": {
        "zh": {"type": "array", "items": {"type": "string", "minLength": 1}},
        "en": {"type": "array", "items": {"type": "string", "minLength": 1}},
    },
    "additionalProperties": False,
}

OPTION: Dict[str, Any] = {
    "type": "object",
    "required": ["id", "label", "next"],
    "properties": {
        "id": ID,
        "label": BILINGUAL,
        "next": ID,
        "intents": {"type": "array", "items": {"enum": ["affirm", "deny"]}, "uniqueItems": True},
        "matches": PER_LANGUAGE_STRINGS,
        "patterns": PER_LANGUAGE_STRINGS,
    },
    "additionalProperties": False,
}

MEDIA: Dict[str, Any] = {
    "type": "object",
    "required": ["type", "url"],
    "properties": {
        "type": {"enum": ["image", "video"]},
        "url": {"type": "string", "pattern": "^https://"},
        "caption": BILINGUAL,
    },
    "additionalProperties": False,
}

STEP: Dict[str, Any] = {
    "type": "object",
    "properties": {
        # a question step: prompt + options (+ media)
        "prompt": BILINGUAL,
        "media": MEDIA,
        "options": {"type": "array", "minItems": 1, "items": OPTION},
        # an action step: action + branches (+ args)
        "action": ID,
        "args": {"type": "object"},
        "branches": {"type": "object", "minProperties": 1, "additionalProperties": ID},
    },
    "additionalProperties": False,
}

FLOW_SCHEMA: Dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Frontline guided troubleshooting flow",
    "type": "object",
    "required": ["id", "trigger", "title", "start", "steps"],
    "properties": {
        "id": ID,
        "trigger": ID,
        "title": BILINGUAL,
        "description": {"type": "string"},
        "start": ID,
        "steps": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": ID_PATTERN},
            "additionalProperties": STEP,
        },
        "ends": {
            "type": "object",
            "properties": {"resolved": BILINGUAL, "escalate": BILINGUAL},
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}
