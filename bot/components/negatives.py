"""Generated text that is none of the bot's intents: what the linear model learns "none" from.

A linear model trained only on in-domain examples gives every text to some intent, gibberish
included, because its per-intent scores are normalised against each other. Three kinds of
negatives, all generated here and none taken from any evaluation set:
- characters of real examples shuffled (Chinese) or letters shuffled within words (English):
  the same character n-grams as real requests, in no order that means anything;
- filler only: hesitation sounds and vague words strung together;
- generic questions that name nothing: "which one", "where do I find that", "那个在哪".
The words written below were chosen by hand; the combinations are drawn with a fixed seed.
"""
from __future__ import annotations

import random
import re
from typing import Iterable, List, Set

from bot.components.ngrams import fold

FILLERS_ZH = ["嗯", "嗯嗯", "啊", "啊啊", "呃", "额", "那个", "这个", "就是", "然后", "哎", "唉", "哦",
              "呀", "吧", "嘛", "哈", "emmm", "呃呃", "就那个", "那啥", "这啥", "咋说呢", "怎么说呢"]
FILLERS_EN = ["hmm", "um", "uh", "erm", "well", "like", "so", "you know", "i mean", "ah", "oh",
              "er", "huh", "basically", "kind of", "sort of", "anyway", "whatever", "thing", "stuff"]
VAGUE_ZH = ["那个东西", "这个东西", "那个", "这个", "那边", "这里", "那里", "它", "哪个", "哪里", "啥",
            "什么", "那件事", "这事", "刚才那个", "上面那个", "另一个", "别的"]
VAGUE_EN = ["that", "this", "it", "that thing", "this one", "that one", "the other one", "which one",
            "where", "what", "over there", "the thing", "something", "stuff", "those", "these"]
# questions that ask something but name no product, order, policy or problem
GENERIC_EN = ["which one", "what about that one",
              "where is it", "what is that", "how about this", "and that one?", "which one is it",
              "where can i see it", "what does that mean", "is it that one", "what about the other",
              "where's that thing", "how does that work", "can you show me", "what was it again",
              "which is which", "and then what", "what do you mean", "where is that again",
              "the one from before?", "that one or this one", "hmm what about it",
              "so where is the thing", "what about it", "which do you mean", "where do i go"]
GENERIC_ZH = ["那个在哪", "哪个啊", "嗯哪个", "那个东西在哪里", "这是什么", "那个呢", "这个呢",
              "哪一个", "在哪里找", "那个怎么弄", "这个什么意思", "是那个吗", "另一个呢", "刚才那个呢",
              "然后呢", "你说的是哪个", "在哪看", "那这个呢", "哪个是哪个", "那个东西", "它在哪",
              "怎么弄那个", "那个是啥", "什么意思啊", "上面那个呢", "这个那个", "啥东西", "去哪找"]
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _shuffled(text: str, rng: random.Random) -> str:
    if _HAN.search(text):
        chars = [c for c in text if not c.isspace()]
        rng.shuffle(chars)
        return "".join(chars)
    words = []
    for word in text.split():
        letters = list(word)
        rng.shuffle(letters)
        words.append("".join(letters))
    rng.shuffle(words)
    return " ".join(words)


def _filler(rng: random.Random, fillers: List[str], vague: List[str], joiner: str) -> str:
    parts = [rng.choice(fillers) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.6:
        parts.insert(rng.randint(0, len(parts)), rng.choice(vague))
    return joiner.join(parts)


def generate(texts: Iterable[str], count: int, seed: int = 7) -> List[str]:
    """`count` negatives (about), none equal to a training text once case and width are folded."""
    rng = random.Random(seed)
    texts = [t for t in texts if len(t.replace(" ", "")) >= 4]
    known: Set[str] = {fold(t).replace(" ", "") for t in texts}
    found: List[str] = []
    seen: Set[str] = set()

    def add(text: str) -> None:
        key = fold(text).replace(" ", "")
        if key and key not in known and key not in seen:
            seen.add(key)
            found.append(text)

    for text in GENERIC_EN + GENERIC_ZH:
        add(text)
    fillers = count // 4
    for i in range(fillers):
        if i % 2:
            add(_filler(rng, FILLERS_EN, VAGUE_EN, " "))
        else:
            add(_filler(rng, FILLERS_ZH, VAGUE_ZH, ""))
    tries = 0
    while len(found) < count and texts and tries < count * 10:
        tries += 1
        add(_shuffled(rng.choice(texts), rng))
    return found
