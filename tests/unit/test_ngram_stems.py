"""English inflections share a stem feature, so a tense or plural the training data never used
still looks like the sentence it did use; Chinese and short words are left alone."""
from __future__ import annotations

import pytest

from bot.components.ngrams import NgramSpec, stem


@pytest.mark.parametrize("forms", [("arrive", "arrives", "arrived", "arriving"),
                                   ("ship", "ships", "shipped", "shipping"),
                                   ("refund", "refunds", "refunded", "refunding"),
                                   ("delivery", "deliveries"),
                                   ("wait", "waiting", "waited")])
def test_inflections_of_one_word_share_a_stem(forms):
    assert len({stem(w) for w in forms}) == 1


@pytest.mark.parametrize("word", ["is", "was", "news", "status", "address", "退款", "e2026"])
def test_short_words_chinese_and_words_ending_in_ss_us_is_keep_their_form(word):
    assert stem(word) == word


def test_stems_add_features_only_when_configured():
    words = ["when", "will", "it", "arrive"]
    plain = NgramSpec(stems=False).features("when will it arrive", words)
    stemmed = NgramSpec(stems=True).features("when will it arrive", words)
    assert not any(f.startswith("s:") for f in plain)
    assert "s:arriv" in stemmed and "t:will it" in stemmed
    # "arriving" and "arrive" meet on the stem feature, not on the word feature
    other = NgramSpec(stems=True).features("arriving", ["arriving"])
    assert "s:arriv" in other and "w:arrive" not in other
