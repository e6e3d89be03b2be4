"""Graph component: strong negative emotion or a risk flag turns the turn into an offer of a human.

Works like Rasa's FallbackClassifier: it runs after the intent classifier and, when
`bot.emotion.should_escalate` holds for the message's emotion, replaces the intent with
`emotion_escalation` (the rule in data/stories/handoff.yml offers a human at once). The
original intent and entities stay in the parse data under `emotion_escalation`, so the offer
can let the shopper carry on with what they asked. Complaints and explicit requests for a
human keep their intent: their own rules already transfer.

config.yml pipeline entry, after FallbackClassifier:
    - name: bot.emotion.escalation.EmotionEscalation
"""
from __future__ import annotations

from typing import Any, Dict, List, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY,
                                       PREDICTED_CONFIDENCE_KEY)
from rasa.shared.nlu.training_data.message import Message

from common.emotion.summary import should_escalate

ESCALATION_INTENT = "emotion_escalation"
FALLBACK_INTENT = "nlu_fallback"
# An angry message is often unsure between two order intents (FallbackClassifier's ambiguity
# rule); carrying on with the best guess beats starting over with a greeting.
MIN_GUESS_CONFIDENCE = 0.2
# Intents whose own rules already hand over, or that answer a question the bot asked.
KEEP = frozenset({"complain", "request_human", "csat_score", "affirm", "deny", "inform"})


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class EmotionEscalation(GraphComponent):
    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "EmotionEscalation":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            intent = message.get(INTENT) or {}
            name = intent.get(INTENT_NAME_KEY)
            if name in KEEP or not should_escalate(message.get("emotion")):
                continue
            confidence = intent.get(PREDICTED_CONFIDENCE_KEY)
            if name == FALLBACK_INTENT:
                name, confidence = best_guess(message)
            original = {
                "intent": name,
                "confidence": confidence,
                "entities": [e for e in message.get(ENTITIES, []) if e.get("entity") != "language"],
            }
            message.set("emotion_escalation", original, add_to_output=True)
            message.set(INTENT, {INTENT_NAME_KEY: ESCALATION_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0},
                        add_to_output=True)
        return messages


def best_guess(message: Message) -> Tuple[Text, Any]:
    """The classifier's top intent under the fallback, if it is a reasonable guess."""
    for entry in message.get(INTENT_RANKING_KEY) or []:
        name = entry.get(INTENT_NAME_KEY)
        if name in (FALLBACK_INTENT, ESCALATION_INTENT):
            continue
        if float(entry.get(PREDICTED_CONFIDENCE_KEY) or 0) >= MIN_GUESS_CONFIDENCE:
            return name, entry.get(PREDICTED_CONFIDENCE_KEY)
        break
    return FALLBACK_INTENT, None
