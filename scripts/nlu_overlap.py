"""Evaluation text that also appears in the training data (`make validate` fails on any).

A held-out sentence or a test story's user text counts as seen when it equals a training
example once both are normalised: Unicode NFKC (full-width and half-width forms alike),
case-folded, with punctuation, symbols and spaces removed, entity markup reduced to its
text, and Chinese modal particles dropped (吗/呢/啊/呀/吧/啦/哦/哈…, and a final 了/的), so
"谢谢你啦" is the training example "谢谢你". `python -m scripts.nlu_overlap` lists every overlap as `file:line: "text" = file:line`.
"""
from __future__ import annotations

import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "nlu_holdout"
TEST_STORIES = ROOT / "tests" / "test_stories.yml"

# [text](entity), [text]{"entity": ...} and [text][...]: Rasa's inline entity annotations
_ENTITY = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\}|\[[^\]]*\])")
_EXAMPLE = re.compile(r"^\s*-\s+(.*\S)\s*$")
_USER = re.compile(r"^(\s*)-?\s*user:\s*(\|[-+]?|>[-+]?)?\s*(.*)$")
# tone, not meaning: "谢谢你呀", "谢谢你啦" and "谢谢你" are one sentence to a classifier
_PARTICLES = re.compile("[吗呢啊呀吧啦哦嘛哈呐嘞咯喔哇噢]")
_FINAL_PARTICLES = re.compile("[了的]+$")


@dataclass(frozen=True)
class Sentence:
    text: str
    path: Path
    line: int

    def where(self) -> str:
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"


@dataclass(frozen=True)
class Overlap:
    evaluation: Sentence
    training: Sentence

    def __str__(self) -> str:
        return (f'{self.evaluation.where()}: "{self.evaluation.text}" is also training example '
                f'"{self.training.text}" at {self.training.where()}')


def plain(text: str) -> str:
    """The text a shopper types: entity annotations reduced to their words."""
    return _ENTITY.sub(r"\1", text)


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", plain(text)).casefold()
    bare = "".join(ch for ch in folded if unicodedata.category(ch)[0] not in "PSZC")
    return _FINAL_PARTICLES.sub("", _PARTICLES.sub("", bare)) or bare


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    return text


def nlu_examples(path: Path) -> Iterator[Sentence]:
    """The `- example` lines inside `examples: |` blocks of a Rasa NLU YAML file."""
    in_block, block_indent = False, 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        indent = len(raw) - len(raw.lstrip())
        if re.match(r"^\s*-?\s*examples:\s*\|", raw):
            in_block, block_indent = True, indent
            continue
        if in_block and raw.strip() and indent <= block_indent:
            in_block = False
        if in_block:
            match = _EXAMPLE.match(raw)
            if match:
                yield Sentence(_unquote(match.group(1)), path, number)


def story_user_texts(path: Path) -> Iterator[Sentence]:
    """Every `user:` text of a stories file, inline or as a block scalar."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for index, raw in enumerate(lines):
        match = _USER.match(raw)
        if not match:
            continue
        if match.group(3) and not match.group(2):
            yield Sentence(_unquote(match.group(3).strip()), path, index + 1)
            continue
        key_indent = len(raw) - len(raw.lstrip()) + (2 if raw.lstrip().startswith("-") else 0)
        for offset in range(index + 1, len(lines)):
            nxt = lines[offset]
            if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= key_indent:
                break
            if nxt.strip():
                yield Sentence(nxt.strip(), path, offset + 1)
                break


def _files(folder: Path) -> List[Path]:
    return sorted(p for p in folder.rglob("*.yml") if p.is_file())


def find_overlaps(training: Iterable[Sentence], evaluation: Iterable[Sentence]) -> List[Overlap]:
    seen: Dict[str, Sentence] = {}
    for sentence in training:
        key = normalise(sentence.text)
        if key:
            seen.setdefault(key, sentence)
    return [Overlap(s, seen[normalise(s.text)]) for s in evaluation if normalise(s.text) in seen]


def project_overlaps(root: Path = ROOT) -> List[Overlap]:
    training = [s for p in _files(root / "data" / "nlu") for s in nlu_examples(p)]
    evaluation = [s for p in _files(root / "tests" / "nlu_holdout") for s in nlu_examples(p)]
    stories = root / "tests" / "test_stories.yml"
    if stories.exists():
        evaluation += list(story_user_texts(stories))
    return find_overlaps(training, evaluation)


def main() -> int:
    overlaps = project_overlaps()
    for overlap in overlaps:
        print(f"OVERLAP: {overlap}")
    print("evaluation/training overlap: " + ("none" if not overlaps else f"{len(overlaps)} sentence(s)"))
    return 1 if overlaps else 0


if __name__ == "__main__":
    sys.exit(main())
