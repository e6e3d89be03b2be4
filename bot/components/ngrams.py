"""Hashed word and character n-gram features of a message: no vocabulary to store, no TensorFlow.

Words come from the pipeline's tokenizer (jieba for Chinese, words for English); character
n-grams within each whitespace-separated chunk make the features robust to typos and to
unsegmented Chinese. Text is NFKC-normalised and case-folded first, so full-width and
half-width forms, and upper and lower case, give the same features.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Iterable, List, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@dataclass(frozen=True)
class NgramSpec:
    n_features: int = 2 ** 18
    min_char: int = 1
    max_char: int = 4
    word_bigrams: bool = True

    def features(self, text: str, words: Sequence[str]) -> List[str]:
        words = [fold(w) for w in words if w.strip()]
        found = ["w:" + w for w in words]
        if self.word_bigrams:
            found += ["b:" + a + " " + b for a, b in zip(words, words[1:])]
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
