"""Feature strings for the statistical emotion classifier.

Training (bot.emotion.train) and inference (bot.emotion.model) must produce the very same
features, so both call `features()`. Features are plain strings (char n-grams, words, lexicon
hits) looked up in a vocabulary: a dict lookup per feature keeps inference far under 1 ms,
where a scikit-learn vectorizer call alone costs more than that per single message.
"""
from __future__ import annotations

import re
from typing import List, Mapping, Sequence

_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z']+")
# Long messages say what they mean early; capping keeps the 10,000-character worst case fast.
MAX_CHARS = 400


def segment(text: str) -> List[str]:
    """jieba words, precise mode without the HMM for unknown words.

    The HMM pass costs a third of the segmentation time and only guesses new words, which
    the char n-grams cover anyway. Training and the spaCy docs both use this function.
    """
    import jieba

    return [w for w in jieba.cut(text, cut_all=False, HMM=False) if w]


def normalize(text: str) -> str:
    text = text[:MAX_CHARS].lower()
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


def char_ngrams(text: str, low: int = 1, high: int = 3) -> List[str]:
    # Grams with spaces are kept (cheaper than testing each); mixed-text ones are rare and harmless.
    n = len(text)
    return [text[i : i + size] for size in range(low, high + 1) for i in range(n - size + 1)]


def features(
    text: str, words: Sequence[str], lexicon_hits: Sequence[str] = ()
) -> List[str]:
    """Char 1-3 grams of Chinese text, English words and bigrams, jieba words, lexicon classes."""
    norm = normalize(text)
    out: List[str] = []
    if _CJK.search(norm):
        out.extend(char_ngrams(norm))
    latin = _LATIN_WORD.findall(norm)
    out.extend("w:" + w for w in latin)
    out.extend("b:" + a + "_" + b for a, b in zip(latin, latin[1:]))
    out.extend("j:" + w for w in words if len(w) > 1 and _CJK.search(w))
    out.extend("lex:" + h for h in lexicon_hits)
    if "!" in norm or "！" in norm:
        out.append("sig:bang")
    if "?" in norm or "？" in norm:
        out.append("sig:q")
    return out


def lexicon_hits(words: Sequence[str], lexicon: Mapping[str, str]) -> List[str]:
    """Classes of the DUTIR/HowNet words found among the jieba words (baked into the model)."""
    return [lexicon[w] for w in words if w in lexicon]
