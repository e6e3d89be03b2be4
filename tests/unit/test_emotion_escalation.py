"""Strong negative emotion turns the turn into an offer of a human; calm messages are untouched."""
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.emotion_offer import ActionOfferHumanForEmotion, carry_on_payload
from bot.emotion import analyze
from bot.emotion.escalation import ESCALATION_INTENT, EmotionEscalation


def _parse(text, intent):
    message = Message(data={TEXT: text, INTENT: {"name": intent, "confidence": 0.9},
                            ENTITIES: [{"entity": "order_id", "value": "E202600000002"}]})
    message.set("emotion", analyze(text).to_dict(), add_to_output=True)
    EmotionEscalation().process([message])
    return message


def test_risk_flag_replaces_intent_and_keeps_the_original():
    message = _parse("订单E202600000002三天没动了,再不处理我就打12315投诉你们", "logistics_problem")
    assert message.get(INTENT)["name"] == ESCALATION_INTENT
    original = message.get("emotion_escalation")
    assert original["intent"] == "logistics_problem"
    assert original["entities"] == [{"entity": "order_id", "value": "E202600000002"}]


def test_english_fury_escalates():
    message = _parse("WHERE IS MY ORDER?!!! this is a scam, i will dispute the charge with my bank", "order_status")
    assert message.get(INTENT)["name"] == ESCALATION_INTENT


def test_calm_messages_keep_their_intent():
    for text, intent in (("我的快递到哪了", "order_status"), ("where is my order", "order_status"),
                         ("我要退款", "return_request")):
        assert _parse(text, intent).get(INTENT)["name"] == intent


def test_complaints_keep_their_own_transfer():
    assert _parse("我要打12315投诉你们", "complain").get(INTENT)["name"] == "complain"


async def test_offer_has_a_human_button_and_a_carry_on_button():
    latest = {"intent": {"name": ESCALATION_INTENT},
              "emotion_escalation": {"intent": "logistics_problem",
                                     "entities": [{"entity": "order_id", "value": "E202600000002"}]}}
    tracker = Tracker("s", {"language": "en"}, latest, [], False, None, {}, "action_listen")
    dispatcher = CollectingDispatcher()
    events = await ActionOfferHumanForEmotion().run(dispatcher, tracker, {})
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/request_human", '/logistics_problem{"order_id": "E202600000002"}']
    assert "human agent" in dispatcher.messages[0]["text"]
    assert events[0]["name"] == "handoff_trigger" and events[0]["value"] == "negative_emotion"


def test_carry_on_never_loops_back_into_the_offer():
    assert carry_on_payload({"intent": "nlu_fallback"}) == "/greet"
    assert carry_on_payload({}) == "/greet"


def test_an_unsure_angry_message_carries_on_with_the_best_guess():
    text = "where the hell is my order?!! it's been a week, this is ridiculous"
    message = Message(data={TEXT: text, INTENT: {"name": "nlu_fallback", "confidence": 0.3},
                            ENTITIES: [], "intent_ranking": [
                                {"name": "nlu_fallback", "confidence": 0.3},
                                {"name": "order_status", "confidence": 0.45},
                                {"name": "logistics_problem", "confidence": 0.41}]})
    message.set("emotion", analyze(text).to_dict(), add_to_output=True)
    EmotionEscalation().process([message])
    assert message.get(INTENT)["name"] == ESCALATION_INTENT
    assert carry_on_payload(message.get("emotion_escalation")) == "/order_status"
    # a guess below the floor is no guess: the carry-on button greets instead of guessing
    weak = Message(data={TEXT: text, INTENT: {"name": "nlu_fallback", "confidence": 0.3},
                         ENTITIES: [], "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                                                          {"name": "greet", "confidence": 0.12}]})
    weak.set("emotion", analyze(text).to_dict(), add_to_output=True)
    EmotionEscalation().process([weak])
    assert carry_on_payload(weak.get("emotion_escalation")) == "/greet"
