"""The linear intent model without Rasa: hashed n-grams -> SGD logistic -> a calibrated confidence.

Why calibrated: one-vs-rest sigmoids normalised against each other make *some* intent win on any
text, so gibberish and vague questions came out at 0.5-0.9 and never reached the fallback. Two
fixes, both fitted on data/nlu only:
- a `none` model trained on generated negatives (bot/components/negatives.py) against every real
  example says how much a text looks like nobody's intent; it is never reported as an intent;
- the reported confidence is the probability that the top label is right, from a small logistic
  model over the margin between the top two scores, the top score, the `none` share and the cosine
  similarity to the nearest training example of that label (short texts like "ok?" are only
  affirm when they are close to an affirm example). It is fitted on out-of-fold predictions.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold

NONE = "__none__"


def group(label: str) -> str:
    return label.split("/", 1)[0]


@dataclass
class Fitted:
    """One trained linear model: weights as features x classes, and its training rows."""
    labels: List[str]
    weights: np.ndarray
    bias: np.ndarray
    # training rows of real labels (L2-normalised), transposed to features x rows so that a
    # message's few features pick a few rows of it: the nearest-example similarity stays cheap
    rows_t: csr_matrix
    row_labels: np.ndarray    # index into labels for every row
    membership: np.ndarray    # intents x labels: which labels sum into which reported intent

    @classmethod
    def fit(cls, features: csr_matrix, labels: Sequence[str], alpha: float, epochs: int,
            seed: int) -> "Fitted":
        # logistic loss: per-class scores a confidence can be built on; SGD trains in seconds
        # where lbfgs takes over a minute on the same hashed features
        labels = np.asarray(labels, dtype=object)
        real = labels != NONE
        model = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed)
        model.fit(features[real], list(labels[real]))
        names = [str(c) for c in model.classes_]
        weights, bias = model.coef_.T, model.intercept_.copy()
        if (~real).any():
            # `none` is its own yes/no model over all texts: trained into the intents' one-vs-rest
            # models, the shuffled negatives taught them to distrust the character n-grams that
            # carry misspelt requests (Bitext tune half 0.966 -> 0.960); apart, the intents' choice
            # is exactly what it was without negatives
            gate = SGDClassifier(loss="log_loss", alpha=alpha, max_iter=epochs, tol=None, random_state=seed)
            gate.fit(features, (~real).astype(int))
            weights, bias = np.hstack([weights, gate.coef_.T]), np.append(bias, gate.intercept_)
            names.append(NONE)
        index = {n: i for i, n in enumerate(names)}
        groups = sorted({group(lab) for lab in names if lab != NONE})
        membership = np.array([[group(lab) == g and lab != NONE for lab in names] for g in groups], float)
        return cls(names, np.ascontiguousarray(weights), bias, features[real].T.tocsr(),
                   np.array([index[lab] for lab in labels[real]]), membership)

    def scores(self, features: csr_matrix) -> np.ndarray:
        return np.asarray(features @ self.weights) + self.bias

    def nearest(self, features: csr_matrix, label_index: np.ndarray) -> np.ndarray:
        """Cosine similarity of each row to its closest training example of the given label.

        Only that label's training rows are scored (a dot product each, with the message as a
        dense vector), not all of them as `reference_nearest` does; the sums run over the same
        products in the same order, so every value is the same to the last bit."""
        by_label = self._rows_by_label()
        best = np.zeros(features.shape[0])
        dense = _scratch(features.shape[1])
        for i, label in enumerate(label_index):
            rows = by_label.get(int(label))
            if rows is None:
                continue  # no training row of that label: 0, as the masked maximum gives
            lo, hi = features.indptr[i], features.indptr[i + 1]
            columns = features.indices[lo:hi]
            dense[columns] = features.data[lo:hi]
            try:
                best[i] = max(0.0, float((rows @ dense).max()))
            finally:
                dense[columns] = 0.0  # the scratch row is all zeros again for the next message
        return best

    def reference_nearest(self, features: csr_matrix, label_index: np.ndarray) -> np.ndarray:
        """`nearest` over every training row, masked to the label: what the fast one must equal."""
        sims = (features @ self.rows_t).toarray()
        mask = self.row_labels[None, :] == label_index[:, None]
        return np.where(mask, sims, 0.0).max(axis=1, initial=0.0)

    def _rows_by_label(self) -> Dict[int, csr_matrix]:
        """Training rows (examples x features, sorted columns) of each label, made on first use."""
        by_label = self.__dict__.get("_by_label")
        if by_label is None:
            examples = self.rows_t.T.tocsr()
            examples.sort_indices()
            by_label = {int(label): examples[np.flatnonzero(self.row_labels == label)]
                        for label in np.unique(self.row_labels)}
            self.__dict__["_by_label"] = by_label
        return by_label

    def __getstate__(self) -> Dict:
        # the per-label rows are derived: a saved model stores only the fitted fields
        return {k: v for k, v in self.__dict__.items() if k != "_by_label"}


_SCRATCH = threading.local()


def _scratch(size: int) -> np.ndarray:
    """A zeroed dense row of `size`, one per thread, kept: allocating 2 MB per message cost more
    than the similarity itself. Callers leave it zeroed."""
    row = getattr(_SCRATCH, "row", None)
    if row is None or row.shape[0] != size:
        row = _SCRATCH.row = np.zeros(size)
    return row


def describe(fitted: Fitted, features: csr_matrix) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per row: normalised shares over the labels, the chosen label index, calibration inputs, and
    the top two intents' shares (among real intents) the reported ranking is scaled from.

    The chosen label is the best label of the best intent once retrieval labels (`faq/<key>`) are
    summed into their intent, which is how Rasa reports it.
    """
    scores = fitted.scores(features)
    sigmoid = 1.0 / (1.0 + np.exp(-np.clip(scores, -30, 30)))
    shares = sigmoid / sigmoid.sum(axis=1, keepdims=True)
    real = np.array([lab != NONE for lab in fitted.labels])
    membership = fitted.membership
    grouped = shares @ membership.T
    top_group = grouped.argmax(axis=1)
    in_group = np.where(membership[top_group].astype(bool), shares, -1.0)
    chosen = in_group.argmax(axis=1)
    real_scores = np.where(real[None, :], scores, -np.inf)
    ordered = np.sort(real_scores, axis=1)
    none = sigmoid[:, ~real].sum(axis=1) if (~real).any() else np.zeros(len(chosen))
    rows = np.arange(len(chosen))
    top = grouped[rows, top_group] / np.maximum(grouped.sum(axis=1), 1e-12)
    inputs = np.column_stack([
        scores[rows, chosen],                      # how sure the chosen label's own model is
        scores[rows, chosen] - ordered[:, -2],     # margin over the runner-up
        np.log(np.clip(top, 1e-6, 1.0)),           # the old normalised confidence
        none,                                      # the `none` model's probability
        fitted.nearest(features, chosen),          # closeness to a real example of that label
    ])
    ranked = np.sort(grouped, axis=1)
    total = np.maximum(grouped.sum(axis=1, keepdims=True), 1e-12)
    two = (ranked[:, ::-1][:, :2] if grouped.shape[1] > 1 else np.column_stack([ranked[:, -1], 0 * ranked[:, -1]]))
    return shares, chosen, inputs, two / total


@dataclass
class Calibrator:
    coef: np.ndarray
    intercept: float

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(inputs @ self.coef + self.intercept)))

    @classmethod
    def fit(cls, inputs: np.ndarray, correct: np.ndarray) -> "Calibrator":
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(inputs, correct.astype(int))
        return cls(model.coef_[0].copy(), float(model.intercept_[0]))


def scaled_top_two(confidence: np.ndarray, two: np.ndarray) -> np.ndarray:
    """The reported top two confidences: the top is the calibrated one, the others keep their
    order below it and together never exceed what is left."""
    top, second = two[:, 0], two[:, 1]
    rest = np.minimum(confidence / np.maximum(top, 1e-12), (1 - confidence) / np.maximum(1 - top, 1e-12))
    return np.column_stack([confidence, second * rest])


def out_of_fold(features: csr_matrix, labels: Sequence[str], alpha: float, epochs: int,
                seed: int, folds: int) -> Tuple[np.ndarray, np.ndarray, List[str], np.ndarray]:
    """Calibration inputs, whether the chosen label was right, the chosen labels and the top two
    intent shares, for every example, each from a model that never saw it."""
    labels = np.asarray(labels, dtype=object)
    counts: Dict[str, int] = {}
    for lab in labels:
        counts[lab] = counts.get(lab, 0) + 1
    # a label with fewer examples than folds cannot be stratified: it goes with the rest by hash
    strata = np.array([lab if counts[lab] >= folds else "__rare__" for lab in labels], dtype=object)
    inputs = np.zeros((len(labels), 5))
    two = np.zeros((len(labels), 2))
    chosen: List[str] = [""] * len(labels)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(np.zeros(len(labels)), strata):
        fitted = Fitted.fit(features[train], labels[train], alpha, epochs, seed)
        _, picked, rows, shares = describe(fitted, features[test])
        inputs[test] = rows
        two[test] = shares
        for i, p in zip(test, picked):
            chosen[i] = fitted.labels[p]
    return inputs, np.array([c == g and g != NONE for c, g in zip(chosen, labels)]), chosen, two
