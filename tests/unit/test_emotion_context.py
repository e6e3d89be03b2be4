"""Emotion cues judged in their context: courtesy is no anger, a question asks, a negation negates,
and the cue list shows the phrase the shopper typed."""
from __future__ import annotations

import pytest

from bot.emotion import analyze
from bot.emotion.cues import zh_hits

POLITE = ["麻烦帮我转一下人工，谢谢", "麻烦您帮我查一下订单", "麻烦了,谢谢", "烦请帮我核实一下,谢谢",
          "请帮我看看物流,谢谢", "please transfer me to an agent, thanks",
          "Thanks! Could you please check my order?"]


@pytest.mark.parametrize("text", POLITE)
def test_a_polite_request_is_not_angry_and_shows_no_cue(text):
    result = analyze(text)
    assert not result.negative, result
    assert result.label != "angry"
    assert result.cues == []


@pytest.mark.parametrize("text, phrase", [("太麻烦了,什么破流程", "太麻烦"), ("麻烦死了!", "麻烦死"),
                                          ("真麻烦", "真麻烦")])
def test_trouble_that_is_a_complaint_still_counts(text, phrase):
    result = analyze(text)
    assert result.negative and result.label == "angry"
    assert phrase in result.cues


def test_an_a_not_a_question_is_not_a_negation():
    [hit] = zh_hits("你们是不是骗子?")
    assert hit.phrase == "是不是骗子"
    assert not hit.negated_negative and not hit.flipped
    assert hit.label == "angry"
    asserted = zh_hits("你们就是骗子")[0]
    assert hit.weight < asserted.weight  # asking counts less than accusing
    assert analyze("你们是不是骗子?").cues == ["是不是骗子"]


def test_an_english_question_weighs_less_than_the_statement():
    asked, said = analyze("is this a scam?"), analyze("this is a scam")
    assert asked.cues == ["scam"] and said.cues == ["scam"]
    assert asked.score < said.score


@pytest.mark.parametrize("text, phrase", [("I'm not angry, just asking where my order is", "not angry"),
                                          ("我不生气,就是问问什么时候发货", "不生气"),
                                          ("I'm not very happy with it", "not very happy"),
                                          ("I really hate this", "really hate")])
def test_the_cue_is_shown_as_typed(text, phrase):
    assert phrase in analyze(text).cues


@pytest.mark.parametrize("text", ["I'm not angry, just asking where my order is", "我不生气,就是问问什么时候发货"])
def test_a_negated_anger_cue_is_not_anger(text):
    assert not analyze(text).negative


def test_a_negated_contraction_keeps_its_verb():
    assert "don't like" in [c.lower() for c in analyze("I don't like being ignored, this is unacceptable").cues] \
        or "unacceptable" in analyze("I don't like being ignored, this is unacceptable").cues
