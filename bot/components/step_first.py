"""Dialogue policy: a message is read against what the bot just asked or answered first.

- At a troubleshooting step, "did that, it works now" or "forget it, I'll call my ISP" can look
  like a coupon or order question to the intent classifier, and the global rules would take the
  message away from the flow. When the words match the step's options (keywords, patterns) or
  the words that stop a flow, this policy predicts `action_flow_answer` above the rules.
- Right after an FAQ answer, a short follow-up ("what about two months later?", "周末也有吗")
  can be classified as anything (goodbye, out_of_scope…). Unless it is a confident request for a
  task or a person, this policy predicts `action_faq_answer`, which reads it against that topic.

Otherwise it abstains.
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

from common.flows.loader import FlowLibrary
from common.flows.matching import is_cancel, match_text
from common.followup import is_follow_up

ANSWER_ACTION = "action_flow_answer"
FAQ_ACTION = "action_faq_answer"
# intents that start something of their own even right after an FAQ answer
TASK_INTENTS = ("request_human", "complain", "order_status", "logistics_problem", "change_address",
                "cancel_order", "return_request", "refund_status", "damaged_item", "coupon_inquiry",
                "csat_score", "emotion_escalation", "cancel", "send_image")
TASK_CONFIDENCE = 0.6
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


def answered_faq(tracker: DialogueStateTracker) -> bool:
    """The bot's turn just before the latest message was an FAQ answer."""
    seen_user = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            if seen_user:
                return False
            seen_user = True
        elif isinstance(event, SessionStarted):
            return False
        elif isinstance(event, BotUttered) and seen_user:
            return str((event.metadata or {}).get("utter_action") or "").startswith("utter_faq/")
        elif isinstance(event, ActionExecuted) and seen_user and event.action_name != LISTEN:
            # `rasa test core` holds only the actions: an FAQ action is the answer
            return event.action_name in (FAQ_ACTION, "utter_faq")
    return False


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
        elif self._follows_up_faq(tracker) and FAQ_ACTION in domain.action_names_or_texts:
            probabilities[domain.index_for_action(FAQ_ACTION)] = 1.0
        elif tracker.latest_action_name == FAQ_ACTION and not tracker.active_loop_name:
            # after an answer this policy may have chosen (the rules know only intent faq)
            probabilities[domain.index_for_action(LISTEN)] = 1.0
        return self._prediction(probabilities)

    @staticmethod
    def _follows_up_faq(tracker: DialogueStateTracker) -> bool:
        if tracker.latest_action_name != LISTEN or tracker.active_loop_name:
            return False
        last = tracker.latest_message
        if last is None or not is_follow_up(last.text):
            return False
        intent = last.intent or {}
        if intent.get("name") in TASK_INTENTS and \
                float(intent.get("confidence") or 0.0) >= TASK_CONFIDENCE:
            return False
        return answered_faq(tracker)

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
