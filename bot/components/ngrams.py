"""Hashed word and character n-gram features of a message: no vocabulary to store, no TensorFlow.

Words come from the pipeline's tokenizer (jieba for Chinese, words for English); character
n-grams within each whitespace-separated chunk make the features robust to typos and to
unsegmented Chinese. Text is NFKC-normalised and case-folded first, so full-width and
half-width forms, and upper and lower case, give the same features. English words also give a
light stem ("arriving", "arrives", "arrived" -> "arriv"), so an inflection the training data
never used still shares a word feature with one it did.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, List, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


# longest first; a stem keeps at least three letters so "is", "was", "news" stay themselves
_SUFFIXES = ("ingly", "edly", "ings", "ing", "ied", "ies", "ed", "es", "ly", "s")
_ENGLISH = re.compile(r"[a-z]+")


def stem(word: str) -> str:
    """A light English stem: common inflection suffixes off, no dictionary, no download."""
    if not _ENGLISH.fullmatch(word) or len(word) < 5:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix in ("ies", "ied"):
                return word[:-3] + "y"
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            word = word[: -len(suffix)]
            # "shipped" -> "shipp" -> "ship", so the doubled consonant of an inflection goes too
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
                word = word[:-1]
            return word.rstrip("e") if len(word) > 3 else word
    return word.rstrip("e") if len(word) > 3 else word


@dataclass(frozen=True)
class NgramSpec:
    n_features: int = 2 ** 18
    min_char: int = 1
    max_char: int = 4
    word_bigrams: bool = True
    stems: bool = False

    def features(self, text: str, words: Sequence[str]) -> List[str]:
        words = [fold(w) for w in words if w.strip()]
        found = ["w:" + w for w in words]
        if self.word_bigrams:
            found += ["b:" + a + " " + b for a, b in zip(words, words[1:])]
        if self.stems:
            stems = [stem(w) for w in words]
            found += ["s:" + s for s in stems]
            if self.word_bigrams:
                found += ["t:" + a + " " + b for a, b in zip(stems, stems[1:])]
        for chunk in fold(text).split():
            padded = f" {chunk} "
            for n in range(self.min_char, self.max_char + 1):
                found += ["c:" + padded[i:i + n] for i in range(len(padded) - n + 1)]
        return found

    def matrix(self, rows: Iterable[List[str]]) -> csr_matrix:
        """Sublinear term counts, L2-normalised per row: a bag of features a linear model reads."""
        hasher = FeatureHasher(self.n_features, input_type="string", alternate_sign=False)
        counts = hasher.transform(rows).tocsr()
        counts.data = 1.0 + np.log(counts.data)
        return normalize(counts)
