"""Every button the assistant shows (domain responses, flow steps and ends, the order form,
the emotion offer) round-trips to the intended intent or slot in both languages, and never
changes the conversation's language: Rasa parses a `/intent{...}` payload without NLU, and the
language detector's entity does not survive that parse."""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest
import yaml
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import form_steps
from actions.emotion_offer import carry_on_payload
from actions.flows.conversation import chosen_option
from actions.flows.engine import Engine, FlowState
from actions.orders import conversation as orders
from actions.orders.aftersales import photo_from_message
from actions.orders.asks import ActionAskDamagePhoto, ActionAskReturnReason
from actions.orders.status import human_button
from bot.components.language import LanguageDetector
from common.flows.loader import FlowLibrary

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
LANGS = ("zh", "en")
Button = Tuple[str, Dict[str, str]]  # where it was shown, the button


def parse(payload: str) -> Dict[str, Any]:
    """What Rasa's NLU graph makes of a button: the language detector runs on the text, then
    the regex message handler unpacks the payload."""
    message = Message(data={"text": payload})
    LanguageDetector().process([message])
    unpacked = RegexMessageHandler().process([message], DOMAIN)[0]
    return {"intent": (unpacked.get("intent") or {}).get("name"),
            "entities": unpacked.get("entities") or [], "text": payload}


def tracker(parsed: Dict[str, Any], requested: str = "", language: str = "zh") -> Tracker:
    slots = {"language": language, "requested_slot": requested or None}
    return Tracker("buttons", slots, parsed, [], False, None, {}, "action_listen")


def domain_buttons() -> List[Button]:
    raw = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found = []
    for name, variants in raw["responses"].items():
        for variant in variants:
            found += [(name, b) for b in variant.get("buttons") or []]
    return found


def flow_buttons(lang: str) -> List[Button]:
    found = []
    engine = Engine(lang)
    for flow in FlowLibrary().flows().values():
        for step in flow.steps.values():
            if step.is_question:
                state = FlowState(flow.id, step.id, [])
                turn = engine.reask(flow, state)
                found += [(f"{flow.id}:{step.id}", b) for m in turn.messages for b in m.buttons]
        offer = engine.offer_resume(flow, FlowState(flow.id, flow.start, []))
        found += [(f"{flow.id}:offer", b) for m in offer.messages for b in m.buttons]
        done = engine.finish(flow, FlowState(flow.id, None, []), "resolved", [])
        found += [(f"{flow.id}:csat", b) for m in done.messages for b in m.buttons]
    return found


def action_buttons(lang: str) -> List[Button]:
    found = [("human_button", b) for b in human_button(lang)]
    for action in (ActionAskReturnReason(), ActionAskDamagePhoto()):
        dispatcher = CollectingDispatcher()
        asyncio.run(action.run(dispatcher, tracker({"text": ""}, language=lang), {}))
        found += [(action.name(), b) for m in dispatcher.messages for b in m["buttons"]]
    offer = CollectingDispatcher()
    t = Tracker("b", {"language": lang, "form_misses": 2, "requested_slot": "phone_last4"},
                {"text": "x"}, [], False, None, {}, "action_listen")
    form_steps.after_validation("phone_last4", t, [{"event": "slot", "name": "phone_last4",
                                                    "value": None}], offer, lang)
    found += [("form_offer_human", b) for m in offer.messages for b in m["buttons"]]
    found.append(("which_order", {"title": "E202611180042", "payload": '/inform{"order_id":"E202611180042"}'}))
    found.append(("confirm", {"title": "yes", "payload": "/affirm"}))
    found.append(("emotion", {"title": "carry on", "payload": carry_on_payload(
        {"intent": "order_status", "entities": [{"entity": "language", "value": "en"},
                                                {"entity": "order_id", "value": "E202611180042"}]})}))
    return found


def all_buttons(lang: str) -> List[Button]:
    return domain_buttons() + flow_buttons(lang) + action_buttons(lang)


@pytest.mark.parametrize("lang", LANGS)
def test_every_button_is_an_explicit_payload_that_keeps_the_language(lang):
    buttons = all_buttons(lang)
    assert len(buttons) > 40
    for where, button in buttons:
        payload = button["payload"]
        assert payload.startswith("/"), f"{where}: {payload!r} would be read by NLU"
        parsed = parse(payload)
        assert parsed["intent"] in DOMAIN.intents, f"{where}: {payload!r}"
        names = [e["entity"] for e in parsed["entities"]]
        assert "language" not in names, f"{where}: {payload!r} would change the language"
        assert set(names) <= set(DOMAIN.entities), f"{where}: {payload!r}"


@pytest.mark.parametrize("lang", LANGS)
def test_form_buttons_fill_their_slot(lang):
    validator = orders.ValidateOrderForm()
    reasons = [b for w, b in action_buttons(lang) if w == "action_ask_return_reason"]
    assert [b["payload"] for b in reasons] == [
        '/inform{"return_reason":"no_reason"}', '/inform{"return_reason":"quality"}',
        '/inform{"return_reason":"wrong_item"}']
    for button in reasons:
        parsed = parse(button["payload"])
        t = tracker(parsed, "return_reason", lang)
        extracted = asyncio.run(validator.extract_return_reason(CollectingDispatcher(), t, {}))
        value = validator.validate_return_reason(extracted["return_reason"], CollectingDispatcher(), t, {})
        assert value["return_reason"] == button["payload"].split('"')[3]
        # "no_reason" is not "no": the form is not abandoned
        assert not form_steps.gives_up("return_reason", t, parsed["intent"])
    photo = [b for w, b in action_buttons(lang) if w == "action_ask_damage_photo"]
    assert photo_from_message(tracker(parse(photo[0]["payload"]), "damage_photo", lang)) == "none"
    picked = parse('/inform{"order_id":"E202611180042"}')
    assert asyncio.run(validator.extract_order_id(
        CollectingDispatcher(), tracker(picked, "order_id", lang), {})) == {"order_id": "E202611180042"}


@pytest.mark.parametrize("lang", LANGS)
def test_flow_buttons_choose_their_option(lang):
    for where, button in flow_buttons(lang):
        parsed = parse(button["payload"])
        if where.endswith(":csat"):
            assert parsed["intent"] == "csat_score"
            assert parsed["entities"][0]["entity"] == "csat_value"
            continue
        option = chosen_option(tracker(parsed, language=lang))
        assert option is not None and option in button["payload"], where
        if not where.endswith(":offer"):
            assert option.split(":")[0] == where.split(":")[1]


def test_confirmation_buttons_map_to_the_confirmation_slot():
    mappings = DOMAIN.as_dict()["slots"]["order_confirmed"]["mappings"]
    assert {(m["intent"], m["value"]) for m in mappings} == {("affirm", True), ("deny", False)}
    assert parse("/affirm")["intent"] == "affirm" and parse("/deny")["intent"] == "deny"
