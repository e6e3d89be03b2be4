"""The building blocks of the service's OpenAPI schemas, shared by handoff.openapi and by the
schemas each part of the service merges into it (after-sales, studio)."""
from __future__ import annotations

from typing import Any, Dict, Sequence

S = Dict[str, Any]

STR, INT, NUM, BOOL = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
TIME = {"type": "string", "format": "date-time", "nullable": True}
ANY = {"type": "object", "additionalProperties": True}


def obj(props: S, required: Sequence[str] = ()) -> S:
    schema: S = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    return schema


def array(item: S) -> S:
    return {"type": "array", "items": item}


def ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}
