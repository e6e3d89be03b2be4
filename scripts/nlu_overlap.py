"""Evaluation text that is also training text (`make validate` fails on any).

Evaluation text is the held-out split (tests/nlu_holdout/) and the test stories' user texts
(tests/test_stories.yml): any overlap there fails. The shoppers' turns of the conversation set
(tests/conversations/) are checked and counted too, but do not fail: that set tests behaviour over
several turns, and its answers to the bot's questions ("yes", "尾号{o.phone4}", "我要退货") are
meant to be what the training data teaches. A sentence is tied to a training example (data/nlu/) by any rule of scripts.nlu_similarity: equal once
normalised (case, width, punctuation, spaces, Chinese modal particles), equal once numbers and chat
spellings are read alike, equal once annotated entity values are read as their types, the same words reordered, one word apart, or standing whole inside a
longer sentence either way (`查一下订单` inside `帮我查一下订单状态`).
`python -m scripts.nlu_overlap` lists every overlap as `file:line: "text" <rule> "text" at file:line`
and counts them per rule and per source; `--counts` prints only the counts.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, List

import yaml

from scripts.nlu_similarity import RULES, find_matches, normalise, plain

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "data" / "nlu"
HOLDOUT = ROOT / "tests" / "nlu_holdout"
TEST_STORIES = ROOT / "tests" / "test_stories.yml"
CONVERSATIONS = ROOT / "tests" / "conversations"
__all__ = ["RULES", "normalise", "plain", "nlu_examples", "story_user_texts", "conversation_turns",
           "find_overlaps", "project_overlaps"]

_EXAMPLE = re.compile(r"^\s*-\s+(.*\S)\s*$")
_USER = re.compile(r"^(\s*)-?\s*user:\s*(\|[-+]?|>[-+]?)?\s*(.*)$")
_SAY = re.compile(r"^\s*-?\s*say:\s*(.*\S)\s*$")
# what each rule says between the two sentences
_VERBS = {"equal": "is also training example", "canonical": "is, numbers and spellings aside, training example",
          "frame": "is, entity values aside, training example",
          "reordered": "has the words, reordered, of training example",
          "one-edit": "is one word away from training example",
          "inside": "stands whole inside training example", "contains": "holds whole the training example"}


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
    rule: str = "equal"

    def __str__(self) -> str:
        return (f'{self.evaluation.where()}: "{self.evaluation.text}" {_VERBS[self.rule]} '
                f'"{self.training.text}" at {self.training.where()} [{self.rule}]')


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


def conversation_turns(path: Path) -> Iterator[Sentence]:
    """The shoppers' `say:` turns of a conversation-set file (button payloads like /affirm aside)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate(lines, start=1):
        match = _SAY.match(raw)
        if not match:
            continue
        text = yaml.safe_load(match.group(1))
        if isinstance(text, str) and text.strip() and not text.startswith("/"):
            yield Sentence(text, path, number)


def _files(folder: Path) -> List[Path]:
    return sorted(p for p in folder.rglob("*.yml") if p.is_file())


def find_overlaps(training: Iterable[Sentence], evaluation: Iterable[Sentence]) -> List[Overlap]:
    training, evaluation = list(training), list(evaluation)
    matches = find_matches([s.text for s in training], [s.text for s in evaluation])
    return [Overlap(s, training[m.index], m.rule) for s, m in zip(evaluation, matches) if m]


def evaluation_texts(root: Path = ROOT) -> List[Sentence]:
    """What scores the NLU: the held-out split and the test stories' user texts."""
    evaluation = [s for p in _files(root / "tests" / "nlu_holdout") for s in nlu_examples(p)]
    stories = root / "tests" / "test_stories.yml"
    if stories.exists():
        evaluation += list(story_user_texts(stories))
    return evaluation


def conversation_texts(root: Path = ROOT) -> List[Sentence]:
    folder = root / "tests" / "conversations"
    return [s for p in _files(folder) for s in conversation_turns(p)] if folder.exists() else []


def training_texts(root: Path = ROOT) -> List[Sentence]:
    return [s for p in _files(root / "data" / "nlu") for s in nlu_examples(p)]


def project_overlaps(root: Path = ROOT) -> List[Overlap]:
    """Held-out and test-story sentences tied to training data (`make validate` fails on any)."""
    return find_overlaps(training_texts(root), evaluation_texts(root))


def conversation_overlaps(root: Path = ROOT) -> List[Overlap]:
    """Conversation-set turns tied to training data: counted, not failed (see the docstring)."""
    return find_overlaps(training_texts(root), conversation_texts(root))


def counts(overlaps: List[Overlap], root: Path = ROOT) -> str:
    """Overlaps per evaluation source and rule, e.g. `tests/nlu_holdout/en.yml: inside 3, one-edit 1`."""
    by_source = Counter((str(o.evaluation.path.relative_to(root)) if o.evaluation.path.is_relative_to(root)
                         else str(o.evaluation.path), o.rule) for o in overlaps)
    lines = []
    for source in sorted({s for s, _ in by_source}):
        rules = ", ".join(f"{r} {by_source[(source, r)]}" for r in RULES if by_source[(source, r)])
        lines.append(f"  {source}: {rules}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", action="store_true", help="only the counts per source and rule")
    args = parser.parse_args()
    overlaps = project_overlaps()
    for overlap in overlaps if not args.counts else []:
        print(f"OVERLAP: {overlap}")
    if overlaps:
        print(counts(overlaps))
    conversations = conversation_overlaps()
    turns = len(conversation_texts())
    print(f"conversation set (counted, not failed): {len(conversations)} of {turns} shopper turns "
          "tied to training data")
    if conversations:
        print(counts(conversations))
    print("evaluation/training overlap: " + ("none" if not overlaps else f"{len(overlaps)} sentence(s)"))
    return 1 if overlaps else 0


if __name__ == "__main__":
    sys.exit(main())
