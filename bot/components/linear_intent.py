"""Intents and retrieval intents (`faq/<key>`) from one linear model on hashed n-grams.

One classifier over every full label (`greet`, `faq/shipping_fee`, …) replaces DIET and the
ResponseSelector: a parse is a feature hash and one sparse matrix product, no TensorFlow call.
Its output has the shape Rasa's own components give, so policies, the FallbackClassifier and
`utter_faq` read it unchanged (the confidence is calibrated: bot/components/linear_core.py):
- `intent` / `intent_ranking`: retrieval labels summed into their retrieval intent (`faq`); the
  top intent carries the calibrated probability of being right, the others share the rest;
- `response_selector.<faq>`: the best `faq/<key>` with its share of the `faq` probability.
"""
from __future__ import annotations

import hashlib
import logging
import zlib
from collections import defaultdict
from pathlib import Path
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
from bot.components import negatives
from bot.components.linear_core import NONE, Calibrator, Fitted, describe, group, out_of_fold
from bot.components.ngrams import NgramSpec

logger = logging.getLogger(__name__)
MODEL_FILE = "linear_intent.joblib"
RANKING_LENGTH = 10


def _words(message: Message) -> List[str]:
    return [t.text for t in message.get(TEXT_TOKENS) or []]


def _segment(text: str) -> List[str]:
    """Words of a generated negative, cut as the pipeline's MixedTokenizer cuts a message."""
    import jieba

    return [w for w in jieba.lcut(text) if w.strip()]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent, IntentClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        # negatives: how many generated out-of-scope texts train the hidden `none` class (0: none);
        # calibration_folds: out-of-fold predictions the confidence is fitted on (0: uncalibrated)
        # stems: light English stems as extra word features (bot/components/ngrams.py)
        return {"n_features": 2 ** 18, "min_char": 1, "max_char": 4, "word_bigrams": True, "stems": False,
                "alpha": 1e-6, "epochs": 50, "random_state": 7, "negatives": 600, "calibration_folds": 3}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 fitted: Optional[Fitted] = None, calibrator: Optional[Calibrator] = None,
                 responses: Optional[Dict] = None) -> None:
        self._config = {**self.get_default_config(), **config}
        self._storage = model_storage
        self._resource = resource
        self._spec = NgramSpec(self._config["n_features"], self._config["min_char"], self._config["max_char"],
                               self._config["word_bigrams"], self._config["stems"])
        self._fitted = fitted
        self._calibrator = calibrator
        self._responses = responses or {}
        labels = fitted.labels if fitted is not None else []
        self._real = np.array([lab != NONE for lab in labels], dtype=bool)
        self._retrieval = sorted({group(lab) for lab in labels if "/" in lab})

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Changed model code (features, negatives, calibration) retrains this node, not a cached one."""
        here = Path(__file__).parent
        sources = [here / f"{name}.py" for name in ("linear_intent", "linear_core", "negatives", "ngrams")]
        return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()

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
        config = self._config
        features, labels = self.training_set(examples, labels)
        calibrator = None
        if config["calibration_folds"] >= 2:
            inputs, correct, _, _ = out_of_fold(features, labels, config["alpha"], config["epochs"],
                                             config["random_state"], config["calibration_folds"])
            calibrator = Calibrator.fit(inputs, correct)
        fitted = Fitted.fit(features, labels, config["alpha"], config["epochs"], config["random_state"])
        responses = {lab: training_data.responses.get(f"utter_{lab}", []) for lab in set(labels) if "/" in lab}
        with self._storage.write_to(self._resource) as folder:
            joblib.dump({"fitted": fitted, "calibrator": calibrator, "responses": responses}, folder / MODEL_FILE)
        self.__init__(self._config, self._storage, self._resource, fitted, calibrator, responses)
        return self._resource

    def training_set(self, examples: List[Message], labels: List[str]) -> Tuple[Any, List[str]]:
        """Hashed features of the examples and of the generated negatives (label `none`)."""
        rows = [self._spec.features(m.get(TEXT), _words(m)) for m in examples]
        extra = negatives.generate([m.get(TEXT) for m in examples], self._config["negatives"],
                                   self._config["random_state"])
        rows += [self._spec.features(text, _segment(text)) for text in extra]
        return self._spec.matrix(rows), labels + [NONE] * len(extra)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as folder:
                saved = joblib.load(folder / MODEL_FILE)
        except (ValueError, FileNotFoundError):
            logger.warning("LinearIntentClassifier: no trained model in this Rasa model")
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["fitted"], saved["calibrator"], saved["responses"])

    def process(self, messages: List[Message]) -> List[Message]:
        if self._fitted is None:
            return messages
        rows = [self._spec.features(m.get(TEXT) or "", _words(m)) for m in messages]
        shares, _, inputs, _ = describe(self._fitted, self._spec.matrix(rows))
        confidence = self._calibrator(inputs) if self._calibrator is not None else None
        for i, message in enumerate(messages):
            self._annotate(message, shares[i], None if confidence is None else float(confidence[i]))
        return messages

    def _annotate(self, message: Message, shares: np.ndarray, confidence: Optional[float]) -> None:
        row = shares * self._real
        row = row / max(float(row.sum()), 1e-12)
        grouped: Dict[str, float] = defaultdict(float)
        for label, p in zip(self._fitted.labels, row):
            if label != NONE:
                grouped[group(label)] += float(p)
        ranking = sorted(({"name": k, PREDICTED_CONFIDENCE_KEY: v} for k, v in grouped.items()),
                         key=lambda r: -r[PREDICTED_CONFIDENCE_KEY])
        if confidence is not None:
            # the top intent says how likely it is right; the others keep their order below it
            # and together never exceed what is left
            top = ranking[0][PREDICTED_CONFIDENCE_KEY]
            rest = min(confidence / max(top, 1e-12), (1.0 - confidence) / max(1.0 - top, 1e-12))
            ranking[0][PREDICTED_CONFIDENCE_KEY] = confidence
            for r in ranking[1:]:
                r[PREDICTED_CONFIDENCE_KEY] *= rest
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking[:RANKING_LENGTH], add_to_output=True)
        selectors = {RESPONSE_SELECTOR_RETRIEVAL_INTENTS: self._retrieval}
        for retrieval in self._retrieval:
            selectors[retrieval] = self._selection(retrieval, row, grouped[retrieval])
        message.set(RESPONSE_SELECTOR_PROPERTY_NAME, selectors, add_to_output=True)

    def _selection(self, retrieval: str, row: np.ndarray, total: float) -> Dict[str, Any]:
        keys: List[Tuple[str, float]] = sorted(
            ((lab, float(p) / total if total else 0.0) for lab, p in zip(self._fitted.labels, row)
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
