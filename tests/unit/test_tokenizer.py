from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.components.tokenizer import MixedTokenizer


def _tokens(text):
    tokenizer = MixedTokenizer(MixedTokenizer.get_default_config(), None, None)
    return [t.text for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


def test_english_has_no_space_tokens():
    assert _tokens("where is my order") == ["where", "is", "my", "order"]


def test_mixed_text_segments_both_scripts():
    tokens = _tokens("我的order到哪了")
    assert "order" in tokens
    assert all(t.strip() for t in tokens)
    assert "".join(tokens) == "我的order到哪了"


def test_token_offsets_point_into_the_text():
    text = "退款 refund 到账没"
    tokenizer = MixedTokenizer(MixedTokenizer.get_default_config(), None, None)
    for token in tokenizer.tokenize(Message(data={TEXT: text}), TEXT):
        assert text[token.start:token.end] == token.text


def test_empty_and_emoji():
    assert _tokens("") == []
    assert _tokens("😡") == ["😡"]


def test_supports_any_language():
    assert MixedTokenizer.supported_languages() is None
