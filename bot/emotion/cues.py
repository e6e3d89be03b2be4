"""Cue finding on spaCy docs: lexicon cues with negation/weakening/intensifying, signals, risk flags.

Chinese: the doc is jieba-segmented, but jieba cuts cue phrases inconsistently ("很不满意" ->
很/不/满意, "气死我了" is one token), so Chinese cues are found on character offsets with one
longest-first regex and their modifiers read from the characters just before them.
English: a PhraseMatcher (LOWER) on tokens, modifiers from the preceding tokens, and a Matcher
for ALL-CAPS words. Both pipelines also carry the other language's cues for mixed messages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Tuple

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

from bot.emotion import lexicon as lx


@dataclass
class Hit:
    phrase: str  # the text as the shopper wrote it, with its modifier ("很不满意")
    label: str  # emotion the hit supports after modifiers
    weight: float  # >= 0
    negated_negative: bool = False  # "不是不满意": evidence *against* a negative reading
    flipped: bool = False  # a negator reversed the cue's polarity: the n-gram model misreads these
    polite: bool = False  # a courtesy ("谢谢", "thanks"): weighs as it is, not shown as an emotion cue


_CLAUSE_BREAK = re.compile(r"[，。,.!！?？;；\n]")
_NEG_WEAKENERS_ZH = ("不太", "不怎么", "不是很", "不是太", "不够", "不大")
_NEG_WEAKENERS_EN = ("not very", "not that", "not too", "not so", "not really")
_ZH_CUE_RE = re.compile("|".join(sorted(map(re.escape, lx.ZH_CUES), key=len, reverse=True)))
# Courtesy, not emotion: "麻烦(您)帮我…", "麻烦了", "烦请", "劳烦" contain 烦 but ask politely.
# "太麻烦了" (an intensifier before) and "麻烦死了" (死 after) stay complaints.
_POLITE_ZH = re.compile(
    r"(?<![太很真好超挺特别非常])麻烦(?=[你您帮给查看转处理尽快问告发安排核实确认再把让说解释了啦一下,，。!！\s]|$)"
    r"|烦请|劳烦")
_POLITE_CUES = {"谢谢", "感谢", "thanks", "thank"}
_FAULT_SUBJECT_ZH = re.compile(
    "(?:" + "|".join(map(re.escape, lx.ZH_FAULT_SUBJECTS)) + ")(?:也|都|还|一直|真的|特别|非常|比较)?$", re.I)
# A-not-A and 是否 questions: "是不是骗子?" asks whether, it neither asserts nor denies.
_ZH_QUESTION_FORMS = ("是不是", "是否", "是不")
QUESTION_WEIGHT = 0.6  # a cue the shopper asks about counts less than one they assert
_EN_QUESTION = re.compile(r"(?:^|[.!?]\s*)(?:is|are|was|were|do|does|did|will|would|can|could|am)\b[^.!?]*\?", re.I)


def _phrase_re(phrase: str) -> str:
    # English phrases match whole words only ("sue" is not in "suede", "refund" not in "refundable").
    # Python's \b treats Chinese characters as word characters, so "打12315" needs lookarounds.
    if phrase.isascii():
        return rf"(?<![A-Za-z0-9]){re.escape(phrase)}(?![A-Za-z0-9])"
    return re.escape(phrase)


_RISK_RE = {
    flag: re.compile("|".join(_phrase_re(p) for p in sorted(phrases, key=len, reverse=True)), re.I)
    for flag, phrases in lx.RISK_PHRASES.items()
}
_UPPER = re.compile(r"[A-Z]")
_CAPS_IGNORE = {"APP", "WIFI", "USB", "SMS", "OK", "ID", "CEO", "TV", "LED", "GPS", "PDF", "FAQ", "VIP", "ASAP"}


def _apply(label: str, weight: float, negated: bool, weakened_neg: bool, weaker: bool, stronger: bool) -> Hit:
    if label == "happy":
        if weakened_neg:  # 不太满意 / not very happy: mildly negative
            return Hit("", "angry", weight * 0.6, flipped=True)
        if negated:  # 不满意 / not happy: negative
            return Hit("", "angry", weight * 1.1, flipped=True)
        return Hit("", "happy", weight * (0.5 if weaker else 1.4 if stronger else 1.0))
    if weakened_neg:  # 不太担心: barely anything
        return Hit("", label, weight * 0.2)
    if negated:  # 不是不满意 / not unhappy: counts against a negative verdict
        return Hit("", label, weight, negated_negative=True, flipped=True)
    return Hit("", label, min(weight * (0.5 if weaker else 1.5 if stronger else 1.0), 1.6))


def _zh_prefix(text: str, start: int) -> str:
    prefix = text[max(0, start - 4) : start]
    parts = _CLAUSE_BREAK.split(prefix)
    return parts[-1] if parts else ""


def without_courtesy(text: str) -> str:
    """The text with polite 麻烦/烦请/劳烦 read as the "please" they mean: the review-trained
    classifier only knows 麻烦 as "hassle"."""
    return _POLITE_ZH.sub("请", text)


def _polite_spans(text: str) -> List[Tuple[int, int]]:
    return [m.span() for m in _POLITE_ZH.finditer(text)]


def zh_hits(text: str) -> List[Hit]:
    hits: List[Hit] = []
    polite = _polite_spans(text)
    for m in _ZH_CUE_RE.finditer(text):
        if any(s <= m.start() and m.end() <= e for s, e in polite):
            continue  # the 烦 of a polite 麻烦
        if m.group() in lx.ZH_POOR_CUES and _FAULT_SUBJECT_ZH.search(text[max(0, m.start() - 8):m.start()]):
            continue  # "信号很差": a symptom, not a feeling
        label, weight = lx.ZH_CUES[m.group()]
        prefix = _zh_prefix(text, m.start())
        mod = ""
        weakened_neg = next((w for w in _NEG_WEAKENERS_ZH if prefix.endswith(w)), "")
        asked = next((q for q in _ZH_QUESTION_FORMS if prefix.endswith(q)), "")
        negated = weaker = stronger = False
        if asked:
            hit = Hit(asked + m.group(), label, weight * QUESTION_WEIGHT)
            hits.append(hit)
            continue
        if weakened_neg:
            mod = weakened_neg
        else:
            neg = next((n for n in lx.ZH_NEGATORS if prefix.endswith(n)), "")
            if neg:
                # "很不满意": the negator belongs to the cue word; what precedes it intensifies.
                negated, mod = True, neg
            weak = next((w for w in lx.ZH_WEAKENERS if prefix[: len(prefix) - len(mod)].endswith(w)), "")
            strong = next((s for s in lx.ZH_INTENSIFIERS if prefix[: len(prefix) - len(mod)].endswith(s)), "")
            if weak:
                weaker, mod = True, weak + mod
            elif strong:
                stronger, mod = True, strong + mod
        hit = _apply(label, weight, negated, bool(weakened_neg), weaker, stronger)
        hit.phrase = mod + m.group()
        hit.polite = m.group() in _POLITE_CUES and not (negated or weakened_neg)
        hits.append(hit)
    return hits


def _fault_subject_en(doc: Doc, start: int) -> bool:
    """A fault's subject (lx.EN_FAULT_SUBJECTS) among the few words before, in one clause."""
    for token in reversed(doc[max(0, start - 5):start]):
        if _CLAUSE_BREAK.fullmatch(token.text) or token.lower_ in ("and", "but"):
            return False
        if token.lower_ in lx.EN_FAULT_SUBJECTS:
            return True
    return False


class EnCueMatcher:
    """PhraseMatcher over LOWER for English cues, usable on the zh or en pipeline's docs."""

    def __init__(self, nlp: Language) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for phrase in lx.EN_CUES:
            self.phrases.add(phrase, [nlp.make_doc(phrase)])
        self.caps = Matcher(nlp.vocab)
        self.caps.add("CAPS", [[{"IS_UPPER": True, "IS_ALPHA": True, "LENGTH": {">=": 3}}]])

    def hits(self, doc: Doc) -> List[Hit]:
        found: List[Tuple[int, int]] = []
        hits: List[Hit] = []
        questions = [m.span() for m in _EN_QUESTION.finditer(doc.text)]
        # Longest first so "sick and tired" wins over nothing shorter inside it.
        for match_id, start, end in sorted(self.phrases(doc), key=lambda m: m[1] - m[2]):
            if any(s < end and start < e for s, e in found):
                continue
            found.append((start, end))
            key = doc.vocab.strings[match_id]
            label, weight = lx.EN_CUES[key]
            if key in lx.EN_POOR_CUES and _fault_subject_en(doc, start):
                continue  # "the wifi signal is terrible": a symptom, not a feeling
            first = max(0, start - 3)
            tokens = [t for t in doc[first:start] if not t.is_space]
            before = [t.lower_ for t in tokens]
            window = " ".join(before)
            weakened_neg = next((w for w in _NEG_WEAKENERS_EN if window.endswith(w)), "")
            negator = None if weakened_neg else next(
                (t for t in reversed(tokens) if t.lower_ in lx.EN_NEGATORS), None)
            weaker = next((w for w in lx.EN_WEAKENERS if window.endswith(w)), "")
            stronger = bool(before) and before[-1] in lx.EN_INTENSIFIERS
            hit = _apply(label, weight, negator is not None, bool(weakened_neg), bool(weaker), stronger)
            # the phrase as typed, from its modifier on ("I'm not angry" shows "not angry",
            # "don't like" keeps its "do")
            begin = start
            if negator is not None:
                begin = negator.i - (1 if negator.lower_ == "n't" else 0)
            elif weakened_neg or weaker:
                begin = start - len((weakened_neg or weaker).split())
            elif stronger:
                begin = start - 1
            hit.phrase = doc[max(begin, 0):end].text
            span = (doc[start].idx, doc[end - 1].idx + len(doc[end - 1]))
            if negator is None and any(s <= span[0] and span[1] <= e for s, e in questions):
                hit.weight *= QUESTION_WEIGHT  # "is this a scam?" asks, it does not accuse
            hit.polite = key in _POLITE_CUES and hit.label == "happy"
            hits.append(hit)
        return hits

    def caps_words(self, doc: Doc) -> List[str]:
        if len(_UPPER.findall(doc.text)) < 3:  # cheap pre-check: most messages have no caps run
            return []
        return [doc[s:e].text for _, s, e in self.caps(doc) if doc[s:e].text not in _CAPS_IGNORE]


_BANGS = re.compile(r"[!！]{2,}")
_QUESTIONS = re.compile(r"[?？]{2,}")
_QCLAUSE = re.compile(r"[^?？。.!！,，]+[?？]")


def signals(text: str) -> Dict[str, str]:
    """Punctuation and repetition signals -> the cue text to report."""
    found: Dict[str, str] = {}
    if _BANGS.search(text):
        found["bangs"] = _BANGS.search(text).group()
    if _QUESTIONS.search(text):
        found["questions"] = _QUESTIONS.search(text).group()
    clauses = [c.strip().lower() for c in _QCLAUSE.findall(text)]
    if len(clauses) >= 3 or len(clauses) != len(set(clauses)):
        found["repeated_question"] = "repeated question"
    return found


def risk_flags(text: str) -> List[Tuple[str, str]]:
    """(flag, phrase) for every risk flag whose phrase occurs; searched over the whole text."""
    out = []
    for flag, pattern in _RISK_RE.items():
        m = pattern.search(text)
        if m:
            out.append((flag, m.group()))
    return out
