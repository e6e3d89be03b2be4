"""analyze(text) -> EmotionResult: spaCy docs + cue lexicons + the trained linear classifier.

The classifier gives a probability per label from the wording; the cues (with negation and
intensifiers), punctuation/caps signals and risk flags shift that verdict in log-odds, so a
message is judged on what it says even when the model never saw such a sentence, and the
analyzer still works (lexicon only) when the model file is missing.
"""
from __future__ import annotations

import logging
import math
import re
import threading
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.util import get_words_and_spaces

from bot.emotion import cues as cue_mod
from bot.emotion.features import segment
from bot.emotion.model import get_model
from bot.lang import EN, detect_language
from common.emotion.types import NEGATIVE_LABELS, EmotionResult

# Longer input is cut for the word-level analysis (risk flags still scan everything):
# a shopper's emotion shows in the first lines, and this bounds the worst case.
ANALYSIS_CHARS = 1000
# Flags that are themselves a sign of anger, whatever the wording around them.
ANGRY_FLAGS = {"complaint_threat", "consumer_association_12315", "bad_review", "chargeback", "legal_threat"}
# Tuned on the dev set with scripts/eval_emotion.py (measurement only; nothing trained on it).
NEG_THRESHOLD = -0.3  # log-odds above which a message is negative
MODEL_TEMP = 0.3  # the classifier's log-odds are over-confident on words like 满意 in 不太满意
NEGATION_TRUST = 0.2  # share of the classifier's view kept when a negator flips a cue
QUESTION_DISCOUNT = 1.0  # log-odds off a short plain question with no cue
CUE_SCALE = 2.5  # log-odds per unit of hand-cue evidence, when the classifier is loaded
DUTIR_BONUS = {"angry": 0.15, "sad": 0.3, "anxious": 0.3}  # per DUTIR word, for the sub-label
DUTIR_NEG = 0.25  # log-odds toward negative per DUTIR angry/sad/anxious word
ANGRY_BIAS = 0.1  # anger is the default reading of a negative shop message
# The classifier's "angry" is mostly "bad review" (its training text), so it says little about
# anger versus sadness; its sad/anxious classes come from our own messages and DUTIR words.
PROB_WEIGHT = {"angry": 0.0, "sad": 1.0, "anxious": 1.0}

_QUESTION = re.compile(
    r"([?？]|[吗呢]\W*$|哪了|哪里|什么时候|怎么|多久|能不能|可以.{0,6}吗|请问|"
    r"^(where|when|what|how|can|could|do|does|is|are|will|why)\b)",
    re.I,
)
_LATIN = re.compile(r"[A-Za-z]")
_lock = threading.Lock()
_pipes: Dict[str, Tuple[Language, cue_mod.EnCueMatcher]] = {}


def _pipeline(lang: str) -> Tuple[Language, cue_mod.EnCueMatcher]:
    with _lock:
        if lang not in _pipes:
            import jieba

            jieba.setLogLevel(logging.WARNING)  # its start-up chatter is not ours to print
            if lang == EN:
                nlp = spacy.blank("en")
            else:
                nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
            _pipes[lang] = (nlp, cue_mod.EnCueMatcher(nlp))
        return _pipes[lang]


def _make_doc(nlp: Language, text: str, lang: str) -> Doc:
    if lang == EN:
        return nlp.make_doc(text)
    # What spaCy's zh tokenizer (segmenter "jieba") does, minus jieba's HMM pass: see segment().
    words, spaces = get_words_and_spaces(segment(text), text)
    return Doc(nlp.vocab, words=words, spaces=spaces)


def _zh_words(text: str) -> List[str]:
    """The non-space token texts `_make_doc(nlp, text, "zh")` would have, without the doc."""
    return [w for w in get_words_and_spaces(segment(text), text)[0] if not w.isspace()]


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def analyze(text: Optional[str], model_path: Optional[Path] = None) -> EmotionResult:
    """`model_path`: the classifier to use instead of the default one (bot.emotion.model.get_model)."""
    text = (text or "").strip()
    if not text:
        return EmotionResult()
    flags = cue_mod.risk_flags(text)
    head = cue_mod.without_courtesy(text[:ANALYSIS_CHARS])
    lang = detect_language(head) or "zh"
    nlp, en_matcher = _pipeline(EN if lang == EN else "zh")
    # Most Chinese messages have no Latin letters: no English matcher and no capitals to find,
    # so they need only the words, not a spaCy doc (the doc's tokens are these very words).
    latin = lang == EN or bool(_LATIN.search(head))
    doc = _make_doc(nlp, head, lang) if latin else None

    hits = en_matcher.hits(doc) if doc is not None else []
    if lang != EN:
        hits += cue_mod.zh_hits(head)
    hits += [cue_mod.Hit(ch, *cue_mod.lx.EMOJI_CUES[ch]) for ch in cue_mod.lx.EMOJI_CUES if ch in head]

    evidence: Dict[str, float] = defaultdict(float)
    counter = 0.0
    cue_list: List[str] = []
    for hit in hits:
        if not hit.polite:
            cue_list.append(hit.phrase)
        if hit.negated_negative:
            counter += hit.weight
        else:
            evidence[hit.label] += hit.weight
    for flag, phrase in flags:
        if flag in ANGRY_FLAGS:
            evidence["angry"] += 0.8
            if phrase not in cue_list:
                cue_list.append(phrase)

    model = get_model(model_path)
    sub: Dict[str, float] = defaultdict(float)
    if doc is not None:
        words = [t.text for t in doc if not t.is_space]
    else:
        words = _zh_words(head)
    if model is not None:
        probs = model.predict_proba(head, words)
        p_neg = sum(probs.get(lbl, 0.0) for lbl in NEGATIVE_LABELS)
        dutir = [lbl for lbl in model.lexicon_classes(words) if lbl in NEGATIVE_LABELS]
        for lbl in dutir:
            sub[lbl] += DUTIR_BONUS[lbl]  # DUTIR words tell angry/sad/anxious apart
        base = MODEL_TEMP * _logit(p_neg) + DUTIR_NEG * len(dutir)
        scale = CUE_SCALE
    else:
        probs = {}
        base, scale = -1.0, 2.5

    if any(hit.flipped for hit in hits):
        base *= NEGATION_TRUST
    if not evidence and not flags and _QUESTION.search(head[-40:]) and len(head) <= 30:
        # A plain question ("我的订单到哪了", "where is my order") is service talk; the review-
        # trained classifier reads delivery words as complaints, so it needs a cue to say so.
        base -= QUESTION_DISCOUNT
    neg_ev = sum(evidence[lbl] for lbl in ("angry", "sad", "anxious") if lbl in evidence)
    log_odds = base + scale * (neg_ev - evidence.get("happy", 0.0) - 1.5 * counter)

    sig = cue_mod.signals(head)
    caps = en_matcher.caps_words(doc) if doc is not None else []  # capitals are Latin letters
    leaning_negative = log_odds > -1.5
    if leaning_negative:
        if "bangs" in sig:
            evidence["angry"] += 0.5
            log_odds += 0.8
            cue_list.append(sig["bangs"])
        if "questions" in sig:
            evidence["angry" if "bangs" in sig else "anxious"] += 0.4
            log_odds += 0.5
            cue_list.append(sig["questions"])
        if len(caps) >= 2 or (caps and len(caps[0]) >= 5):
            evidence["angry"] += 0.6
            log_odds += 0.8
            cue_list.append(" ".join(caps[:3]))

    if "repeated_question" in sig:  # asking the same thing again is impatience, whatever the words
        evidence["angry"] += 0.5
        log_odds += 2.0
        cue_list.append(sig["repeated_question"])
    negative = log_odds > NEG_THRESHOLD
    score = _sigmoid(log_odds)
    if negative:
        label = _negative_label(evidence, sub, probs)
    else:
        happy_odds = _logit(probs["happy"] / (probs["happy"] + probs["neutral"])) if probs else -1.0
        happy_odds += 2.0 * evidence.get("happy", 0.0) - 0.5
        label = "happy" if happy_odds > 0 else "neutral"
        score = _sigmoid(happy_odds) if label == "happy" else 1.0 - score
    return EmotionResult(
        label=label,
        negative=negative,
        score=round(float(score), 3),
        cues=list(dict.fromkeys(c for c in cue_list if c))[:12],
        risk_flags=sorted({f for f, _ in flags}),
    )


def _negative_label(evidence: Dict[str, float], sub: Dict[str, float], probs: Dict[str, float]) -> str:
    # Anger is the default reading of a negative shop message: sad/anxious must out-evidence it.
    scores = {
        lbl: evidence.get(lbl, 0.0) + sub.get(lbl, 0.0) + PROB_WEIGHT[lbl] * probs.get(lbl, 0.0)
        for lbl in ("angry", "sad", "anxious")
    }
    scores["angry"] += ANGRY_BIAS
    return max(scores, key=scores.__getitem__)
