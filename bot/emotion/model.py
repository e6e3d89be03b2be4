"""The trained linear emotion classifier: save, load and score (no scikit-learn at run time).

The artifact is one numpy .npz (no pickle): the feature vocabulary, the weight matrix, the
intercepts, the class names, and the DUTIR/HowNet word lexicon the features refer to.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np

from bot.emotion.features import features, lexicon_hits

log = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "models" / "emotion"
FILE_NAME = "emotion_linear.npz"


_DEFAULT_PATH = str(DEFAULT_DIR / FILE_NAME)


def model_path() -> Path:
    # An env override lets tests and deployments point at another artifact.
    return Path(os.environ.get("FRONTLINE_EMOTION_MODEL", _DEFAULT_PATH))


@dataclass
class LinearModel:
    vocab: Dict[str, int]
    coef: np.ndarray  # (n_features, n_classes) float32
    intercept: np.ndarray  # (n_classes,)
    classes: List[str]
    lexicon: Dict[str, str]
    one_vs_rest: bool = False  # SGD fits one binary model per class; L-BFGS one softmax

    def features(self, text: str, words: Sequence[str]) -> List[str]:
        return features(text, words, lexicon_hits(words, self.lexicon))

    def predict_proba(self, text: str, words: Sequence[str]) -> Dict[str, float]:
        get = self.vocab.get
        idx = list({i for i in map(get, self.features(text, words)) if i is not None})
        logits = self.intercept + (self.coef[idx].sum(axis=0) if idx else 0.0)
        if self.one_vs_rest:
            probs = 1.0 / (1.0 + np.exp(-logits.clip(-30.0, 30.0)))
        else:
            probs = np.exp(logits - logits.max())
        probs = probs / probs.sum()
        return {c: float(p) for c, p in zip(self.classes, probs)}

    def lexicon_classes(self, words: Sequence[str]) -> List[str]:
        return lexicon_hits(words, self.lexicon)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        names = sorted(self.vocab, key=self.vocab.__getitem__)
        # Write beside the target, then rename: a running bot never reads a half-written file.
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez_compressed(
            tmp,
            vocab=np.array(names, dtype=str),
            coef=self.coef.astype(np.float32),
            intercept=self.intercept.astype(np.float32),
            classes=np.array(self.classes, dtype=str),
            lex_words=np.array(list(self.lexicon), dtype=str),
            lex_classes=np.array(list(self.lexicon.values()), dtype=str),
            one_vs_rest=np.array(self.one_vs_rest),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> "LinearModel":
        with np.load(path, allow_pickle=False) as data:
            vocab = {str(w): i for i, w in enumerate(data["vocab"].tolist())}
            lexicon = dict(zip(data["lex_words"].tolist(), data["lex_classes"].tolist()))
            return cls(
                vocab=vocab,
                coef=data["coef"],
                intercept=data["intercept"],
                classes=[str(c) for c in data["classes"].tolist()],
                lexicon=lexicon,
                one_vs_rest=bool(data["one_vs_rest"]) if "one_vs_rest" in data.files else False,
            )


# Loaded models by path, and paths found missing (None): one load, one warning per path.
_cache: Dict[str, Optional[LinearModel]] = {}


# The classifier shipped inside the Rasa model (EmotionAnalyzer.load): used unless
# FRONTLINE_EMOTION_MODEL names another artifact explicitly.
_embedded: Optional[LinearModel] = None


def use_embedded(model: Optional[LinearModel]) -> None:
    global _embedded
    _embedded = model


def get_model(path: Optional[Path] = None) -> Optional[LinearModel]:
    """The trained model, or None (lexicon-only analysis) with one warning if it is missing.

    `path` (the component's `model_path` option) names the artifact; without it, the one in the
    Rasa model, else FRONTLINE_EMOTION_MODEL, else models/emotion/.
    """
    if path is not None:
        key = str(path)
    elif _embedded is not None and "FRONTLINE_EMOTION_MODEL" not in os.environ:
        return _embedded
    else:
        key = os.environ.get("FRONTLINE_EMOTION_MODEL", _DEFAULT_PATH)
    if key in _cache:
        return _cache[key]
    path = Path(key)
    if not path.exists():
        log.warning(
            "emotion model %s not found: lexicon-only analysis (run `python -m bot.emotion.train`)", path
        )
        _cache[key] = None
        return None
    _cache[key] = LinearModel.load(path)
    return _cache[key]


def reset_cache() -> None:
    """Forget missing paths (so a model trained since is picked up); loaded models stay."""
    for key in [k for k, v in _cache.items() if v is None]:
        del _cache[key]
