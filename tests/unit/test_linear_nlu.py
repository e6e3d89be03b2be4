"""The TensorFlow-free understanding: linear intents + faq selection, lookup entities, emotion in the model."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.importers.rasa import RasaFileImporter  # noqa: F401  (registers readers)
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
from rasa.shared.nlu.training_data.message import Message

from bot.components.linear_intent import LinearIntentClassifier
from bot.components.lookup_entities import LookupEntityExtractor
from bot.components.tokenizer import MixedTokenizer

NLU = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hello
    - hi there
    - 你好
    - 在吗
- intent: order_status
  examples: |
    - where is my order
    - has my parcel shipped
    - 我的快递到哪了
    - 订单发货了吗
- intent: troubleshoot_device_network
  examples: |
    - my [camera](product) is offline
    - the [Air Fryer](product) app lost wifi
    - [摄像头](product)连不上网
    - [门铃](product)离线了
- intent: csat_score
  examples: |
    - [5](csat_value) stars
    - 给[4](csat_value)分
    - [3](csat_value)
- intent: faq/shipping_fee
  examples: |
    - is shipping free
    - how much is delivery
    - 运费多少
    - 包邮吗
- intent: faq/return_policy
  examples: |
    - what is your return policy
    - can i return opened items
    - 退货政策是什么
    - 拆封了能退吗
"""


@pytest.fixture
def trained(tmp_path):
    data = RasaYAMLReader().reads(NLU)
    context = ExecutionContext(None, "test")
    storage = LocalModelStorage(tmp_path)
    tokenizer = MixedTokenizer.create(MixedTokenizer.get_default_config(), storage, Resource("tok"), context)
    tokenizer.process_training_data(data)
    # too few examples here to calibrate on: calibration is tested on data/nlu (test_linear_calibration)
    config = {**LinearIntentClassifier.get_default_config(), "n_features": 2 ** 14, "negatives": 0,
              "calibration_folds": 0}
    intents = LinearIntentClassifier.create(config, storage, Resource("intents"), context)
    intents.train(data)
    lookup = LookupEntityExtractor.create({}, storage, Resource("lookup"), context)
    lookup.train(data)
    # what a server does: a fresh load from the model storage
    loaded_intents = LinearIntentClassifier.load(config, storage, Resource("intents"), context)
    loaded_lookup = LookupEntityExtractor.load({}, storage, Resource("lookup"), context)

    def parse(text: str) -> Message:
        message = Message(data={"text": text})
        tokenizer.process([message])
        loaded_intents.process([message])
        loaded_lookup.process([message])
        return message

    return parse


def test_intents_are_classified_in_both_languages_after_a_reload(trained):
    assert trained("hello there").get("intent")["name"] == "greet"
    assert trained("我的订单到哪了").get("intent")["name"] == "order_status"
    ranking = trained("where is my parcel").get("intent_ranking")
    assert ranking[0]["name"] == "order_status"
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert "faq/shipping_fee" not in {r["name"] for r in ranking}  # retrieval labels fold into faq


def test_faq_questions_get_the_retrieval_intent_and_the_selected_answer_key(trained):
    message = trained("运费多少钱")
    assert message.get("intent")["name"] == "faq"
    selector = message.get("response_selector")
    assert selector["all_retrieval_intents"] == ["faq"]
    prediction = selector["faq"]["response"]
    assert prediction["intent_response_key"] == "faq/shipping_fee"
    assert prediction["utter_action"] == "utter_faq/shipping_fee"
    assert 0.5 < prediction["confidence"] <= 1.0
    assert trained("return policy for opened items").get("response_selector")["faq"]["response"][
        "intent_response_key"] == "faq/return_policy"


def test_products_are_looked_up_case_and_width_insensitively_and_as_whole_words(trained):
    entities = trained("my ＡＩＲ fryer is offline").get("entities")
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in entities] == [
        ("product", "Air Fryer", 3, 12)]
    assert trained("我家摄像头连不上网").get("entities")[0]["value"] == "摄像头"
    assert not trained("my cameraman is offline").get("entities")


def test_a_bare_number_is_a_score_only_when_the_shopper_is_rating(trained):
    rating = trained("5")
    assert rating.get("intent")["name"] == "csat_score"
    assert [(e["entity"], e["value"]) for e in rating.get("entities")] == [("csat_value", "5")]
    assert not [e for e in trained("where is my order 5").get("entities") or [] if e["entity"] == "csat_value"]
