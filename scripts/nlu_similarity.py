"""When is an evaluation sentence the same as a training example? (scripts.nlu_overlap's rules)

Equality once normalised is not enough: a held-out `查一下订单` scores the model on the training
example `帮我查一下订单状态`, and `订单 12345` on `订单 67890`. Each sentence is compared as
*canonical tokens*: NFKC, case-folded, entity markup reduced to its text, Chinese modal particles
dropped, every Chinese character one token and every Latin word one token, anything with a digit
(order ids, phones, amounts) one placeholder `#`, and chat spellings read as the words they stand
for (`u` = `you`, `咋` = `怎么`). Rules, strongest first:

- equal      the normalised texts are equal (scripts.nlu_overlap.normalise)
- canonical  the canonical tokens are equal (numbers, spellings, particles aside)
- frame      both are annotated and their canonical tokens are equal once each annotated entity
             value is read as its entity type (`it was the [blender](product)` is training's
             `it was the [bluetooth headphones](product)`: the same sentence with another product)
- reordered  the same tokens in another order
- one-edit   one token inserted, deleted or replaced (both sentences ≥ 4 tokens)
- inside     the evaluation sentence stands whole inside a training example
- contains   a training example stands whole inside the evaluation sentence

`reordered`, `inside` and `contains` need the shorter side to be long enough to mean something:
≥ 4 Chinese characters or ≥ 3 English words (so "hi" inside "hi there" is not a hit).
Everything is looked up in indexes built once, so the project's ~6,000 sentences check in well
under a second.
"""
from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

RULES = ("equal", "canonical", "frame", "reordered", "one-edit", "inside", "contains")
PLACEHOLDER = "#"
Tokens = Tuple[str, ...]

# [text](entity), [text]{"entity": ...} and [text][...]: Rasa's inline entity annotations
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
# the entity type of an annotation: `(product)`, `(product:role)` or `{"entity": "product", ...}`
_ENTITY_TYPE = re.compile(r"\]\(([^):]*)|\]\{[^}]*?\"entity\"\s*:\s*\"([^\"]*)\"")
# the conversation set's slots ({o.id}, {o.phone4}) are filled with order numbers and digits
_TEMPLATE = re.compile(r"\{[a-z_]+\.[a-z0-9_]+\}")
# tone, not meaning: "谢谢你呀", "谢谢你啦" and "谢谢你" are one sentence to a classifier
_PARTICLES = re.compile("[吗呢啊呀吧啦哦嘛哈呐嘞咯喔哇噢]")
_FINAL_PARTICLES = re.compile("[了的]+$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORDS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[^\W_\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_APOSTROPHE = re.compile(r"(?<=\w)['’](?=\w)")
# spellings a shopper types for the same word; only spellings, never near-synonyms ("hi"/"hello")
_SPELLINGS_EN: Dict[str, str] = {
    "u": "you", "ya": "you", "ur": "your", "pls": "please", "plz": "please", "thx": "thanks",
    "thanx": "thanks", "ty": "thank you", "okay": "ok", "k": "ok", "im": "i am", "ive": "i have",
    "dont": "do not", "doesnt": "does not", "didnt": "did not",
    "cant": "can not", "cannot": "can not", "wont": "will not", "isnt": "is not", "wasnt": "was not",
    "havent": "have not", "hasnt": "has not", "arent": "are not", "whats": "what is",
    "wheres": "where is", "hows": "how is", "thats": "that is", "theres": "there is",
    "its": "it is", "wanna": "want to", "gonna": "going to", "r": "are", "n": "and", "coz": "because",
    "cuz": "because", "msg": "message", "addr": "address", "acct": "account", "pw": "password",
}
_SPELLINGS_ZH = {"咋": "怎么", "啥": "什么", "木有": "没有", "神马": "什么", "肿么": "怎么", "滴": "的",
                 "俺": "我", "亲亲": "亲", "哪儿": "哪里"}
_ZH_SPELLING = re.compile("|".join(sorted(map(re.escape, _SPELLINGS_ZH), key=len, reverse=True)))


def plain(text: str) -> str:
    """The text a shopper types: entity annotations reduced to their words."""
    return _ENTITY.sub(r"\1", text)


def normalise(text: str) -> str:
    """Case, width, punctuation, spaces and Chinese modal particles aside (rule `equal`)."""
    folded = unicodedata.normalize("NFKC", plain(text)).casefold()
    bare = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")
    return _FINAL_PARTICLES.sub("", _PARTICLES.sub("", bare)) or bare


def canonical(text: str) -> Tokens:
    """The sentence as tokens a classifier cannot tell apart (see the module's docstring)."""
    return _tokens(text, ending=True)


def _tokens(text: str, ending: bool) -> Tokens:
    """`canonical` of a sentence (`ending`) or of a piece of one (no final particles dropped)."""
    folded = unicodedata.normalize("NFKC", _TEMPLATE.sub(" 1 ", plain(text))).casefold()
    folded = _ZH_SPELLING.sub(lambda m: _SPELLINGS_ZH[m.group(0)], _APOSTROPHE.sub("", folded))
    out: List[str] = []
    for word in _WORDS.findall(folded):
        if any(ch.isdigit() for ch in word):
            if not out or out[-1] != PLACEHOLDER:  # "12 345" is one number
                out.append(PLACEHOLDER)
        elif _CJK.match(word):
            if not _PARTICLES.match(word):
                out.append(word)
        else:
            out.extend(_SPELLINGS_EN.get(word, word).split())
    while ending and out and out[-1] in ("了", "的") and len(out) > 1:
        out.pop()
    return tuple(out)


def frame(text: str) -> Optional[Tokens]:
    """The canonical tokens with each annotated entity as one `<type>` token; None for a text
    without annotations, or with nothing but entities (a bare order number is no sentence, as
    for `canonical`): rule `frame`."""
    out: List[str] = []
    start, entities = 0, 0
    for match in _ENTITY.finditer(text):
        entities += 1
        kind = _ENTITY_TYPE.search(match.group(0))
        out.extend(_tokens(text[start:match.start()], ending=False))
        out.append(f"<{(kind.group(1) or kind.group(2)) if kind else 'entity'}>")
        start = match.end()
    out.extend(canonical(text[start:]) if start < len(text) else ())
    words = [token for token in out if token != PLACEHOLDER]
    return tuple(out) if entities and len(words) > entities else None


def long_enough(tokens: Sequence[str]) -> bool:
    """≥ 4 Chinese characters or ≥ 3 English words (mixed: 4 tokens); placeholders do not count."""
    chinese = sum(1 for t in tokens if _CJK.match(t))
    words = sum(1 for t in tokens if t != PLACEHOLDER and not _CJK.match(t))
    return words >= 3 or chinese + words >= 4


@dataclass(frozen=True)
class Match:
    rule: str
    index: int  # position of the training sentence in the list the index was built from


def _deletions(tokens: Tokens) -> Iterable[Tuple[int, Tokens]]:
    for i in range(len(tokens)):
        yield i, tokens[:i] + tokens[i + 1:]


class TrainingIndex:
    """Every rule's lookup table over the training sentences, built once."""

    # separators no token contains: containment is a substring search on whole tokens
    _TOKEN, _SENTENCE = "\x1f", "\x1e"

    def __init__(self, texts: Sequence[str]) -> None:
        self.equal: Dict[str, int] = {}
        self.canonical: Dict[Tokens, int] = {}
        self.frames: Dict[Tokens, int] = {}  # annotated examples, entity values as their type
        self.bag: Dict[Tokens, int] = {}
        self.deleted: Dict[Tuple[int, Tokens], int] = {}  # (position, tokens without it)
        self.deleted_any: Dict[Tokens, int] = {}
        self.tokens: List[Tokens] = []
        starts, parts, offset = [], [], 0
        for index, text in enumerate(texts):
            tokens = canonical(text)
            self.tokens.append(tokens)
            key = normalise(text)
            if key:
                self.equal.setdefault(key, index)
            framed = frame(text)
            if framed is not None:
                self.frames.setdefault(framed, index)
            if not tokens:
                continue
            self.canonical.setdefault(tokens, index)
            if long_enough(tokens):
                self.bag.setdefault(tuple(sorted(tokens)), index)
            if len(tokens) >= 4:
                for position, rest in _deletions(tokens):
                    self.deleted.setdefault((position, rest), index)
                    self.deleted_any.setdefault(rest, index)
            joined = self._join(tokens)
            starts.append(offset)
            parts.append(joined)
            offset += len(joined)
        self._starts, self._owners = starts, [i for i, t in enumerate(self.tokens) if t]
        self._text = "".join(parts)

    @classmethod
    def _join(cls, tokens: Tokens) -> str:
        return cls._SENTENCE + cls._TOKEN + cls._TOKEN.join(tokens) + cls._TOKEN

    def _one_edit(self, tokens: Tokens) -> Optional[int]:
        if len(tokens) >= 4 and tokens in self.deleted_any:  # training has one token more
            return self.deleted_any[tokens]
        for position, rest in _deletions(tokens):
            if len(tokens) >= 5 and rest in self.canonical:  # training has one token fewer
                return self.canonical[rest]
            if len(tokens) >= 4 and (position, rest) in self.deleted:  # one token replaced
                return self.deleted[(position, rest)]
        return None

    def _inside(self, tokens: Tokens) -> Optional[int]:
        needle = self._TOKEN + self._TOKEN.join(tokens) + self._TOKEN
        found = self._text.find(needle)
        if found < 0:
            return None
        return self._owners[bisect_right(self._starts, found) - 1]

    def match(self, text: str, contains: "EvaluationContainment") -> Optional[Match]:
        key, tokens = normalise(text), canonical(text)
        if key and key in self.equal:
            return Match("equal", self.equal[key])
        if not tokens:
            return None
        if tokens in self.canonical and set(tokens) != {PLACEHOLDER}:  # a bare number is no sentence
            return Match("canonical", self.canonical[tokens])
        framed = frame(text)
        if framed is not None and framed in self.frames:
            return Match("frame", self.frames[framed])
        if long_enough(tokens) and tuple(sorted(tokens)) in self.bag:
            return Match("reordered", self.bag[tuple(sorted(tokens))])
        edited = self._one_edit(tokens)
        if edited is not None:
            return Match("one-edit", edited)
        if long_enough(tokens):
            inside = self._inside(tokens)
            if inside is not None:
                return Match("inside", inside)
        inner = contains.training_inside(tokens)
        if inner is not None:
            return Match("contains", inner)
        return None


class EvaluationContainment:
    """Which long-enough training examples stand inside a given evaluation sentence.

    Built from the training side: every contiguous run of a long-enough training sentence's
    tokens is a whole training example only if it is one, so a dict from token tuple to the
    training example answers "does any training example stand inside these tokens" by trying
    every run of the (short) evaluation sentence.
    """

    def __init__(self, index: TrainingIndex) -> None:
        self.examples = {t: i for i, t in reversed(list(enumerate(index.tokens))) if t and long_enough(t)}
        self.lengths = sorted({len(t) for t in self.examples})

    def training_inside(self, tokens: Tokens) -> Optional[int]:
        for length in self.lengths:
            if length >= len(tokens):
                break
            for start in range(len(tokens) - length + 1):
                found = self.examples.get(tokens[start:start + length])
                if found is not None:
                    return found
        return None


def find_matches(training: Sequence[str], evaluation: Sequence[str]) -> List[Optional[Match]]:
    """For each evaluation text, the strongest rule that ties it to a training text (or None)."""
    index = TrainingIndex(training)
    contains = EvaluationContainment(index)
    return [index.match(text, contains) for text in evaluation]
