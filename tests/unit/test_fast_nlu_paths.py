"""The linear classifier's fast paths give what the straightforward sklearn/scipy code gives.

Feature hashing (memoised columns) and the nearest-example similarity (only the chosen label's
rows) are checked against their reference implementations on every held-out text, and whole
parses (intent, ranking, confidences, response selection, entities, emotion) are compared with
the model run on the reference implementations.
"""
from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any, List

import jieba
import numpy as np
import pytest

from bot.components import linear_core, ngrams
from bot.components.linear_core import Fitted
from bot.components.ngrams import NgramSpec
from bot.emotion.component import EMOTION

ROOT = Path(__file__).resolve().parents[2]
EDGE_TEXTS = ["", "   ", "a", "🙂🙂", "zzzz qqqq xxxx", "a" * 300, "订单 E202611180042 到哪了 where is it"]


def texts() -> List[str]:
    from scripts.eval_nlu import load_holdout
    return [example.text for example in load_holdout(ROOT / "tests" / "nlu_holdout")] + EDGE_TEXTS


@pytest.fixture(scope="module")
def agent(trained_agent):
    return trained_agent


@pytest.fixture(scope="module")
def fitted(agent) -> Fitted:
    nodes = agent.processor.graph_runner._instantiated_nodes
    [classifier] = [n._component for name, n in nodes.items() if "LinearIntentClassifier" in name]
    return classifier._fitted


def feature_rows(spec: NgramSpec) -> List[List[str]]:
    return [spec.features(text, [w for w in jieba.lcut(text) if w.strip()]) for text in texts()]


def same_csr(a, b) -> bool:
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
            and np.array_equal(a.indices, b.indices) and np.array_equal(a.data, b.data))


def test_hashed_features_equal_sklearns_for_every_text(monkeypatch):
    spec = NgramSpec()
    rows = feature_rows(spec)
    assert same_csr(spec.matrix(rows), spec.reference_matrix(rows))  # all at once, as training
    for row in rows:
        assert same_csr(spec.matrix([row]), spec.reference_matrix([row]))  # one, as a parse
    # a memo that overflows starts again and still gives the same columns
    monkeypatch.setattr(ngrams._ColumnMemo, "LIMIT", 50)
    ngrams._columns.cache_clear()
    assert same_csr(spec.matrix(rows[:20]), spec.reference_matrix(rows[:20]))
    assert len(ngrams._columns(spec.n_features).known) <= max(50, max(len(set(r)) for r in rows[:20]))
    ngrams._columns.cache_clear()
    with pytest.raises(ValueError):
        spec.matrix([])


def test_nearest_example_similarity_equals_the_full_product(fitted):
    spec = NgramSpec()
    features = spec.matrix(feature_rows(spec))
    chosen = linear_core.describe(fitted, features)[1]
    other = np.random.default_rng(7).integers(0, len(fitted.labels), features.shape[0])
    for labels in (chosen, other):
        ours = fitted.nearest(features, labels)
        assert np.array_equal(ours, fitted.reference_nearest(features, labels))
        assert (ours > 0).mean() > 0.5  # real similarities, not a wall of zeros
    for i in range(0, features.shape[0], 37):  # one message at a time, as a parse
        assert np.array_equal(fitted.nearest(features[i], chosen[i:i + 1]),
                              fitted.reference_nearest(features[i], chosen[i:i + 1]))
    assert not linear_core._scratch(features.shape[1]).any()  # the scratch row is left zeroed


def close(a: Any, b: Any, path: str = "") -> None:
    """Equal structures, floats within 1e-9."""
    if isinstance(a, float) and isinstance(b, float):
        assert math.isclose(a, b, rel_tol=0, abs_tol=1e-9), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), path
        for key in a:
            close(a[key], b[key], f"{path}.{key}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            close(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


def test_whole_parses_equal_the_reference_implementations(agent, monkeypatch):
    all_texts = texts()

    def parse_all() -> List[dict]:
        return [asyncio.run(agent.parse_message(text)) for text in all_texts]

    ours = parse_all()
    monkeypatch.setattr(NgramSpec, "matrix", NgramSpec.reference_matrix)
    monkeypatch.setattr(Fitted, "nearest", Fitted.reference_nearest)
    reference = parse_all()
    for text, a, b in zip(all_texts, ours, reference):
        close(a, b, text)
    assert len({p["intent"]["name"] for p in ours}) > 20
    assert all(EMOTION in p for p in ours)  # the emotion is part of what is compared


def test_chinese_without_latin_letters_needs_no_spacy_doc():
    """Such messages skip the doc: its words are `_zh_words`, and it has no capitals to find."""
    from bot.emotion import analyzer, cues

    nlp, matcher = analyzer._pipeline("zh")
    zh = [t for t in texts() if t.strip() and not analyzer._LATIN.search(t)]
    zh += ["你好  世界", "我 的\t订单\n到哪了", "  退款！！ 快点  ", "１２３ 全角"]
    assert len(zh) > 300
    for text in zh:
        head = cues.without_courtesy(text[:analyzer.ANALYSIS_CHARS])
        doc = analyzer._make_doc(nlp, head, "zh")
        assert analyzer._zh_words(head) == [t.text for t in doc if not t.is_space], text
        assert matcher.caps_words(doc) == [], text
