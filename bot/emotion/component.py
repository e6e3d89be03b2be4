"""Rasa graph component: adds `emotion` (label, negative, score, cues, risk_flags) to every message.

config.yml pipeline entry (after the tokenizer, anywhere before the policies):
    - name: bot.emotion.component.EmotionAnalyzer
Training copies the trained classifier (models/emotion/, or FRONTLINE_EMOTION_MODEL, or the
component's `model_path` option) into the Rasa model, so models/frontline.tar.gz alone carries
it; the `model_path` option, else an explicit FRONTLINE_EMOTION_MODEL, still wins at run time.
Without any, the analyzer runs on its lexicons alone and says so once.
"""
from __future__ import annotations

import functools
import hashlib
import logging
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emotion import model as emotion_model
from bot.emotion.analyzer import analyze

EMOTION = "emotion"
log = logging.getLogger(__name__)


def _source(config: Dict[Text, Any]) -> Path:
    return Path(config.get("model_path") or emotion_model.model_path())


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class EmotionAnalyzer(GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"model_path": None}

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """A retrained classifier retrains this node, although the NLU data did not change."""
        source = _source(config)
        return hashlib.sha256(source.read_bytes()).hexdigest() if source.exists() else "absent"

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionAnalyzer":
        return cls(config.get("model_path"), model_storage, resource, config)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "EmotionAnalyzer":
        try:
            with model_storage.read_from(resource) as folder:
                stored = folder / emotion_model.FILE_NAME
                if stored.exists():
                    emotion_model.use_embedded(emotion_model.LinearModel.load(stored))
        except ValueError:
            pass  # trained before the classifier was stored in the model: the files on disk
        return cls(config.get("model_path"), model_storage, resource, config)

    def __init__(self, model_path: Optional[str] = None, model_storage: Optional[ModelStorage] = None,
                 resource: Optional[Resource] = None, config: Optional[Dict[Text, Any]] = None) -> None:
        self._storage = model_storage
        self._resource = resource
        self._config = config or {"model_path": model_path}
        # the component's own option, for this component only (nothing process-wide)
        self._model_path = Path(model_path) if model_path else None
        if self._model_path is not None:
            emotion_model.reset_cache()  # a classifier trained since is picked up
        self._analyze = functools.partial(analyze, model_path=self._model_path)
        # Warm up spaCy, jieba and the classifier now, not on the first shopper's message.
        self._analyze("你好")
        self._analyze("hello")

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            result = self._analyze(message.get(TEXT) or "")
            message.set(EMOTION, result.to_dict(), add_to_output=True)
        return messages

    def train(self, training_data: TrainingData) -> Resource:
        """Store the trained classifier inside the Rasa model; nothing trains on the NLU data."""
        source = _source(self._config)
        if not source.exists():
            log.warning("emotion model %s not found: the Rasa model will analyse emotion with lexicons "
                        "only (run `python -m bot.emotion.train` first)", source)
            return self._resource
        with self._storage.write_to(self._resource) as folder:
            shutil.copyfile(source, folder / emotion_model.FILE_NAME)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Nothing downstream trains on emotion; training examples are left as they are.
        return training_data
