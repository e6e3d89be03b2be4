from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.language import LanguageDetector
from bot.lang import detect_language


def test_chinese_and_english():
    assert detect_language("包邮吗") == "zh"
    assert detect_language("is shipping free") == "en"


def test_mixed_text_with_english_word_is_chinese():
    assert detect_language("我的order到哪了") == "zh"
    assert detect_language("app登录不上") == "zh"


def test_mostly_english_with_one_chinese_word_is_english():
    assert detect_language("hello, where is my package, it was supposed to arrive yesterday 谢谢") == "en"


def test_order_and_tracking_numbers_say_nothing():
    assert detect_language("E202611180042") is None
    assert detect_language("SF1234567890123") is None
    assert detect_language("订单E202611180042") == "zh"
    assert detect_language("order E202611180042") == "en"


def test_emoji_only_and_empty_have_no_language():
    assert detect_language("😡😡😡") is None
    assert detect_language("") is None
    assert detect_language(None) is None
    assert detect_language("   ") is None


def test_very_long_text_is_fast_and_correct():
    assert detect_language("快递太慢了" * 4000) == "zh"
    assert detect_language("where is my order " * 4000) == "en"


def _process(text):
    detector = LanguageDetector()
    message = Message(data={TEXT: text})
    detector.process([message])
    return message


def test_component_adds_language_entity_and_output():
    message = _process("我的order到哪了")
    entities = [e for e in message.get(ENTITIES) if e["entity"] == "language"]
    assert [e["value"] for e in entities] == ["zh"]
    assert message.as_dict(only_output_properties=True)["language"] == "zh"


def test_component_keeps_other_entities_and_adds_nothing_for_emoji():
    message = Message(data={TEXT: "👍", ENTITIES: [{"entity": "order_id", "value": "E1"}]})
    LanguageDetector().process([message])
    assert message.get(ENTITIES) == [{"entity": "order_id", "value": "E1"}]
    assert message.get("language") is None
