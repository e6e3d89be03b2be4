"""Dialogue policy: an answer to the flow step the bot just asked goes to that step first.

"did that, it works now" or "forget it, I'll call my ISP" typed at a troubleshooting step can
look like a coupon question or an order question to the intent classifier; the global rules
would then take the message away from the flow. This policy reads the message against the
step the bot asked (its option keywords and patterns, and the words that stop a flow) and, when
they match, predicts `action_flow_answer` above the rules. Otherwise it abstains.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from actions.flows.loader import FlowLibrary
from actions.flows.matching import is_cancel, match_text

ANSWER_ACTION = "action_flow_answer"
LISTEN = "action_listen"
_OPTION_IN_PAYLOAD = re.compile(r'"flow_option"\s*:\s*"([^":]*):')


FLOW_ACTIONS = ("action_flow_start", "action_flow_answer", "action_flow_resume")


def asked_step(tracker: DialogueStateTracker) -> Optional[str]:
    """The flow step the bot asked just before the shopper's latest message: the step whose
    buttons the last bot message showed or, when the conversation holds only the actions (as in
    `rasa test core`), the `flow_step` a flow action left."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return None
            seen_user = True
        elif isinstance(event, SessionStarted):
            return None
        elif isinstance(event, BotUttered) and seen_user:
            payloads = " ".join(str(b.get("payload") or "") for b in
                                (event.data or {}).get("buttons") or [])
            found = _OPTION_IN_PAYLOAD.search(payloads)
            return found.group(1) if found else None
        elif isinstance(event, ActionExecuted) and seen_user and event.action_name in FLOW_ACTIONS:
            return tracker.get_slot("flow_step")
    return None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT,
                          is_trainable=False)
class FlowStepFirstPolicy(Policy):
    """Nothing to learn: the flow files are the model. Give it a priority above RulePolicy."""

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_AND_RULE_DATA

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"priority": 7}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self.library = FlowLibrary()

    def train(self, training_trackers: List[TrackerWithCachedStates], domain: Domain,
              **kwargs: Any) -> Resource:
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: Optional[Dict[Text, Any]] = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        if self._answers_step(tracker) and ANSWER_ACTION in domain.action_names_or_texts:
            probabilities[domain.index_for_action(ANSWER_ACTION)] = 1.0
        return self._prediction(probabilities)

    def _answers_step(self, tracker: DialogueStateTracker) -> bool:
        if tracker.latest_action_name != LISTEN or tracker.active_loop_name:
            return False
        last = tracker.latest_message
        said = (last.text or "") if last else ""
        if not said or said.startswith("/"):
            return False  # buttons carry their own payload
        flow = self.library.get(tracker.get_slot("flow_id"))
        step_id = tracker.get_slot("flow_step")
        if flow is None or not step_id or flow.step(step_id) is None:
            return False
        if asked_step(tracker) != step_id:
            return False  # the shopper has moved on since the step was asked
        return is_cancel(said) or match_text(flow.steps[step_id], said, None) is not None
