"""Entities the regexes do not cover (product, device model, amount, score), looked up by value.

Training learns, for every entity type that no regex in data/nlu extracts, the values designers
annotated (`[空气炸锅](product)`) and the intents they were annotated under. A message gets the
longest annotated values found in its text, case- and width-insensitively (ASCII values only as
whole words), and only when the predicted intent is one the entity was seen with: a bare "5" is
a `csat_value` in a rating, not in an order question.
"""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Dict, List, Set, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES, ENTITY_ATTRIBUTE_TYPE, ENTITY_ATTRIBUTE_VALUE, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.shared.utils.io import read_json_file, dump_obj_as_json_to_file

from bot.components.ngrams import fold

FILE = "lookup_entities.json"
_ASCII_WORD = re.compile(r"^[0-9a-z]")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class LookupEntityExtractor(GraphComponent, EntityExtractorMixin):
    def __init__(self, model_storage: ModelStorage, resource: Resource,
                 values: Dict[str, Dict[str, str]] = None, intents: Dict[str, List[str]] = None) -> None:
        self._storage = model_storage
        self._resource = resource
        self._values = values or {}          # entity -> folded surface -> value
        self._intents = {k: set(v) for k, v in (intents or {}).items()}
        self._patterns = {entity: self._compile(surfaces) for entity, surfaces in self._values.items()}

    @staticmethod
    def _compile(surfaces: Dict[str, str]) -> re.Pattern:
        alternatives = []
        for surface in sorted(surfaces, key=len, reverse=True):
            escaped = re.escape(surface)
            # ASCII values only as whole words ("cam" is not in "camera"); Chinese has no spaces
            if _ASCII_WORD.match(surface):
                escaped = rf"(?<![0-9a-z]){escaped}(?![0-9a-z])"
            alternatives.append(escaped)
        return re.compile("|".join(alternatives))

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LookupEntityExtractor":
        return cls(model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        with_regex = {r["name"] for r in training_data.regex_features}
        values: Dict[str, Dict[str, str]] = defaultdict(dict)
        intents: Dict[str, Set[str]] = defaultdict(set)
        for message in training_data.entity_examples:
            for entity in message.get(ENTITIES) or []:
                kind = entity[ENTITY_ATTRIBUTE_TYPE]
                if kind in with_regex:
                    continue
                surface = fold(message.get(TEXT)[entity["start"]:entity["end"]]).strip()
                if surface:
                    values[kind].setdefault(surface, str(entity[ENTITY_ATTRIBUTE_VALUE]))
                    intents[kind].add(message.get(INTENT))
        saved = {"values": values, "intents": {k: sorted(v) for k, v in intents.items()}}
        with self._storage.write_to(self._resource) as folder:
            dump_obj_as_json_to_file(folder / FILE, saved)
        self.__init__(self._storage, self._resource, saved["values"], saved["intents"])
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LookupEntityExtractor":
        try:
            with model_storage.read_from(resource) as folder:
                saved = read_json_file(folder / FILE)
        except (ValueError, FileNotFoundError):
            return cls(model_storage, resource)
        return cls(model_storage, resource, saved["values"], saved["intents"])

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            found = self._find(message)
            if found:
                found = self.add_extractor_name(found)
                message.set(ENTITIES, (message.get(ENTITIES) or []) + found, add_to_output=True)
        return messages

    def _find(self, message: Message) -> List[Dict[str, Any]]:
        text = message.get(TEXT) or ""
        folded = fold(text)
        if len(folded) != len(text):
            return []  # offsets would not map back onto the shopper's text
        intent = (message.get(INTENT) or {}).get("name")
        taken: List[Tuple[int, int]] = [(e["start"], e["end"]) for e in message.get(ENTITIES) or []
                                        if "start" in e and e.get("entity") != "language"]
        found = []
        for entity, pattern in self._patterns.items():
            if intent not in self._intents.get(entity, set()):
                continue
            for match in pattern.finditer(folded):
                start, end = match.span()
                if any(start < b and a < end for a, b in taken):
                    continue
                taken.append((start, end))
                found.append({"entity": entity, "start": start, "end": end,
                              "value": self._values[entity][match.group(0)]})
        return found
