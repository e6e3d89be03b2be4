"""Response generation that fills answers from the shop's policy file.

Registered in endpoints.yml as `nlg: {type: bot.nlg.ShopPolicyNLG}` so every response,
including retrieval (`utter_faq/*`) answers and responses the action server asks for,
may refer to `{shop.<path>}` values from data/shop.yml next to ordinary slot values.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from common import policy


class ShopPolicyNLG(TemplatedNaturalLanguageGenerator):
    def __init__(
        self, endpoint_config: Optional[EndpointConfig] = None, domain: Optional[Domain] = None
    ) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self,
        utter_action: Text,
        tracker: DialogueStateTracker,
        output_channel: Text,
        **kwargs: Any,
    ) -> Optional[Dict[Text, Any]]:
        filled_slots = tracker.current_slot_values()
        language = filled_slots.get("language") or "zh"
        values = policy.template_values(language)
        values.update(kwargs)
        return self.generate_from_slots(utter_action, filled_slots, output_channel, **values)
