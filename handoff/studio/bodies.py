"""Request bodies of the designer studio's routes, declared as pydantic models like
handoff.bodies: the route table names them, the `bodies` middleware validates each request
against them and the OpenAPI document takes its schemas from them.

Whether an intent or action is in domain.yml, and whether a marked entity is in the message,
depend on the project's files and the stored turn: the handlers check those.
"""
from __future__ import annotations

from typing import Any, List, Literal, Optional

from pydantic import Field, StrictInt, constr, validator

from handoff.bodies import Body, text

KINDS = ("nlu", "story", "test")  # what reviewed turns become
MAX_TAGS, MAX_TAG = 20, 32
MAX_ENTITIES, MAX_ACTIONS, MAX_NAME = 20, 10, 128
MAX_TURNS = 500  # turns made into NLU examples at once
MAX_ENTITY_VALUE = 200


class DesignerTagsInput(Body):
    tags: List[text(MAX_TAG)] = Field(..., max_items=MAX_TAGS,
                                      description="the conversation's tags (replaces them)")


class DesignerEntity(Body):
    entity: text(64)
    value: constr(strict=True, min_length=1, max_length=MAX_ENTITY_VALUE) = Field(
        ..., description="the marked text as shown (masked)")


class DesignerCorrection(Body):
    """What the turn should have been understood as; a field left out is not changed."""
    intent: Optional[text(MAX_NAME)] = Field(None, description="an intent of domain.yml")
    entities: Optional[List[DesignerEntity]] = Field(None, max_items=MAX_ENTITIES)
    actions: Optional[List[text(MAX_NAME)]] = Field(
        None, max_items=MAX_ACTIONS, description="what the bot should have done after this "
        "turn (stories use it): actions or responses of domain.yml")


class DesignerChange(Body):
    """Turns as NLU examples (nlu: turn_ids), or a conversation as a story or test story
    (story, test: conversation_id, optionally only some turn_ids, and a name)."""
    kind: Literal[KINDS]  # type: ignore[valid-type]
    turn_ids: Optional[List[StrictInt]] = Field(None, max_items=MAX_TURNS)
    conversation_id: Optional[constr(strict=True, max_length=255)] = None
    name: Optional[constr(strict=True, strip_whitespace=True, max_length=200)] = None

    @validator("turn_ids", always=True)
    def nlu_needs_turns(cls, value: Optional[List[int]], values: dict) -> Optional[List[int]]:
        if values.get("kind") == "nlu" and not value:
            raise ValueError("the turns to make into NLU examples")
        return value

    @validator("conversation_id", always=True)
    def story_needs_conversation(cls, value: Optional[str], values: dict) -> Optional[str]:
        if values.get("kind") in ("story", "test") and not value:
            raise ValueError("the conversation to make into a story")
        return value

    @validator("name", always=True)
    def no_name(cls, value: Any) -> str:
        return value or ""
