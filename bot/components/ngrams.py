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
from functools import lru_cache
from typing import Dict, Iterable, List, Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction import FeatureHasher
from sklearn.preprocessing import normalize
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2


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
        """Sublinear term counts, L2-normalised per row: a bag of features a linear model reads.

        The same matrix as `FeatureHasher(alternate_sign=False)` + `normalize` (reference_matrix),
        built from a memo of each feature's column: a message's n-grams have almost all been
        hashed before, and sklearn's per-call checks cost more than the hashing itself.
        """
        columns = _columns(self.n_features)
        indices: List[np.ndarray] = []
        counts: List[np.ndarray] = []
        indptr = [0]
        for row in rows:
            row_columns, row_counts = np.unique(columns(row), return_counts=True)
            indices.append(row_columns)
            counts.append(row_counts)
            indptr.append(indptr[-1] + len(row_columns))
        if len(indptr) == 1:
            raise ValueError("Cannot vectorize empty sequence.")  # as FeatureHasher says
        data = 1.0 + np.log(np.concatenate(counts).astype(np.float64))
        matrix = csr_matrix((data, np.concatenate(indices).astype(np.int32), np.array(indptr, np.int32)),
                            shape=(len(indptr) - 1, self.n_features))
        inplace_csr_row_normalize_l2(matrix)  # what `normalize` runs on a CSR matrix
        return matrix

    def reference_matrix(self, rows: Iterable[List[str]]) -> csr_matrix:
        """`matrix` as sklearn builds it: what the fast one must equal."""
        hasher = FeatureHasher(self.n_features, input_type="string", alternate_sign=False)
        counts = hasher.transform(rows).tocsr()
        counts.data = 1.0 + np.log(counts.data)
        return normalize(counts)


class _ColumnMemo:
    """Feature string -> hashed column, each computed by sklearn's own hasher once."""

    LIMIT = 200_000  # a serving process sees far fewer distinct n-grams; training a few more

    def __init__(self, n_features: int) -> None:
        self.hasher = FeatureHasher(n_features, input_type="string", alternate_sign=False)
        self.known: Dict[str, int] = {}

    def __call__(self, features: List[str]) -> np.ndarray:
        known = self.known
        missing = [f for f in set(features) if f not in known]
        if missing:
            if len(known) + len(missing) > self.LIMIT:
                known.clear()  # start again, with every feature of this row to hash
                missing = list(set(features))
            # one feature per row: each row's single index is that feature's column
            hashed = self.hasher.transform([[f] for f in missing])
            known.update(zip(missing, hashed.indices.tolist()))
        return np.fromiter((known[f] for f in features), dtype=np.int64, count=len(features))


@lru_cache(maxsize=None)
def _columns(n_features: int) -> _ColumnMemo:
    return _ColumnMemo(n_features)
