"""Graph component that tags each message with its language.

It adds a `language` entity (zh/en), which fills the `language` slot through a
from_entity mapping, and a `language` key in the parse data. Messages without a
detectable language (emoji, bare numbers) add nothing, so the slot keeps its value.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.lang import detect_language

LANGUAGE = "language"
EXTRACTOR = "LanguageDetector"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False
)
class LanguageDetector(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            language = detect_language(text)
            message.set(LANGUAGE, language, add_to_output=True)
            if language is None:
                continue
            entity = {
                "entity": LANGUAGE,
                "value": language,
                "start": 0,
                "end": len(text),
                "extractor": EXTRACTOR,
            }
            entities = [e for e in message.get(ENTITIES, []) if e.get("entity") != LANGUAGE]
            message.set(ENTITIES, entities + [entity], add_to_output=True)
        return messages
