"""Intents and retrieval intents (`faq/<key>`) from one linear model on hashed n-grams.

One classifier over every full label (`greet`, `faq/shipping_fee`, …) replaces DIET and the
ResponseSelector: a parse is a feature hash and one sparse matrix product, no TensorFlow call.
Its output has the shape Rasa's own components give, so policies, the FallbackClassifier and
`utter_faq` read it unchanged:
- `intent` / `intent_ranking`: retrieval labels summed into their retrieval intent (`faq`);
- `response_selector.<faq>`: the best `faq/<key>` with its share of the `faq` probability.
"""
from __future__ import annotations

import logging
import zlib
from collections import defaultdict
from typing import Any, Dict, List, Optional, Text, Tuple

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
    TEXT_TOKENS,
)
from rasa.nlu.constants import (
    RESPONSE_SELECTOR_PREDICTION_KEY,
    RESPONSE_SELECTOR_PROPERTY_NAME,
    RESPONSE_SELECTOR_RANKING_KEY,
    RESPONSE_SELECTOR_RESPONSES_KEY,
    RESPONSE_SELECTOR_RETRIEVAL_INTENTS,
    RESPONSE_SELECTOR_UTTER_ACTION_KEY,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.linear_model import SGDClassifier

from bot.components.ngrams import NgramSpec

logger = logging.getLogger(__name__)
MODEL_FILE = "linear_intent.joblib"
RANKING_LENGTH = 10


def _words(message: Message) -> List[str]:
    return [t.text for t in message.get(TEXT_TOKENS) or []]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"n_features": 2 ** 18, "min_char": 1, "max_char": 4, "word_bigrams": True,
                "alpha": 1e-6, "epochs": 50, "random_state": 7}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 model: Optional[SGDClassifier] = None, responses: Optional[Dict] = None) -> None:
        self._config = config
        self._storage = model_storage
        self._resource = resource
        self._spec = NgramSpec(config["n_features"], config["min_char"], config["max_char"],
                               config["word_bigrams"])
        self._model = model
        self._responses = responses or {}
        self._labels: List[str] = list(model.classes_) if model is not None else []
        # features x classes, C-ordered: a message's few hashed features pick whole rows, so a
        # parse reads ~100 rows instead of copying the transposed coefficient matrix every call
        self._weights = np.ascontiguousarray(model.coef_.T) if model is not None else None
        self._bias = model.intercept_ if model is not None else None
        self._retrieval = sorted({lab.split("/", 1)[0] for lab in self._labels if "/" in lab})

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        labels = [m.get(INTENT_RESPONSE_KEY) or m.get(INTENT) for m in examples]
        if len(set(labels)) < 2:
            logger.warning("LinearIntentClassifier needs two intents or more; nothing trained")
            return self._resource
        features = self._spec.matrix(self._spec.features(m.get(TEXT), _words(m)) for m in examples)
        # logistic loss: probabilities a fallback threshold can read; SGD trains in about a second
        # where lbfgs takes over a minute on the same hashed features
        model = SGDClassifier(loss="log_loss", alpha=self._config["alpha"], max_iter=self._config["epochs"],
                              tol=None, random_state=self._config["random_state"])
        model.fit(features, labels)
        responses = {lab: training_data.responses.get(f"utter_{lab}", []) for lab in set(labels) if "/" in lab}
        with self._storage.write_to(self._resource) as folder:
            joblib.dump({"model": model, "responses": responses}, folder / MODEL_FILE)
        self.__init__(self._config, self._storage, self._resource, model, responses)
        return self._resource

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as folder:
                saved = joblib.load(folder / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model in this Rasa model")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["model"], saved["responses"])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._model is None:
            return messages
        rows = [self._spec.features(m.get(TEXT) or "", _words(m)) for m in messages]
        probabilities = self._probabilities(self._spec.matrix(rows))
        for message, row in zip(messages, probabilities):
            self._annotate(message, row)
        return messages

    def _probabilities(self, features) -> np.ndarray:
        """What SGDClassifier.predict_proba gives for log loss (one-vs-rest sigmoids, normalised)."""
        scores = np.asarray(features @ self._weights) + self._bias
        sigmoid = 1.0 / (1.0 + np.exp(-scores))
        return sigmoid / sigmoid.sum(axis=1, keepdims=True)

    def _annotate(self, message: Message, row: np.ndarray) -> None:
        grouped: Dict[str, float] = defaultdict(float)
        for label, p in zip(self._labels, row):
            grouped[label.split("/", 1)[0]] += float(p)
        ranking = sorted(({"name": k, PREDICTED_CONFIDENCE_KEY: v} for k, v in grouped.items()),
                         key=lambda r: -r[PREDICTED_CONFIDENCE_KEY])
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking[:RANKING_LENGTH], add_to_output=True)
        selectors = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self._retrieval}
        for retrieval in self._retrieval:
            selectors[retrieval] = self._selection(retrieval, row, grouped[retrieval])
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)

    def _selection(self, retrieval: str, row: np.ndarray, total: float) -> Dict[str, Any]:
        keys: List[Tuple[str, float]] = sorted(
            ((lab, float(p) / total if total else 0.0) for lab, p in zip(self._labels, row)
             if lab.startswith(retrieval + "/")), key=lambda kv: -kv[1])
        best, confidence = keys[0]
        return {
            RESPONSE_SELECTOR_PREDICTION_KEY: {
                RESPONSE_SELECTOR_RESPONSES_KEY: self._responses.get(best) or [{TEXT: best}],
                PREDICTED_CONFIDENCE_KEY: confidence,
                INTENT_RESPONSE_KEY: best,
                RESPONSE_SELECTOR_UTTER_ACTION_KEY: f"utter_{best}",
            },
            RESPONSE_SELECTOR_RANKING_KEY: [
                {"id": zlib.crc32(k.encode("utf-8")), PREDICTED_CONFIDENCE_KEY: c, INTENT_RESPONSE_KEY: k}
                for k, c in keys[:RANKING_LENGTH]],
        }
