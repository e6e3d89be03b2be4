"""Rasa graph component: adds `emotion` (label, negative, score, cues, risk_flags) to every message.

config.yml pipeline entry (after the tokenizer, anywhere before the policies):
    - name: bot.emotion.component.EmotionAnalyzer
The trained classifier is read from models/emotion/ (or FRONTLINE_EMOTION_MODEL, or the
component's `model_path` option); without it the analyzer runs on its lexicons alone.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emotion import model as emotion_model

EMOTION = "emotion"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class EmotionAnalyzer(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"model_path": None}

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionAnalyzer":
        return cls(config.get("model_path"))

    def __init__(self, model_path: Optional[str] = None) -> None:
        if model_path:
            os.environ["FRONTLINE_EMOTION_MODEL"] = str(model_path)
            emotion_model.reset_cache()
        from bot.emotion.analyzer import analyze

        self._analyze = analyze
        # Warm up spaCy, jieba and the classifier now, not on the first shopper's message.
        self._analyze("你好")
        self._analyze("hello")

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            result = self._analyze(message.get(TEXT) or "")
            message.set(EMOTION, result.to_dict(), add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing downstream trains on emotion; training examples are left as they are.
        return training_data
