"""Evaluation data never overlaps training data: no NLU training example is a sentence of the
held-out NLU split or a shopper's turn in the conversation set."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Set

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", str(text).strip().lower())


def examples(path: Path) -> Set[str]:
    found = set()
    for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                found.add(_norm(line[2:]))
    return found


def conversation_turns() -> Set[str]:
    found = set()
    for path in (ROOT / "tests" / "conversations").glob("*.yml"):
        for conversation in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            for turn in conversation.get("turns") or []:
                if turn.get("say"):
                    found.add(_norm(turn["say"]))
    return found


def test_conversation_examples_are_not_evaluation_sentences():
    mine = examples(ROOT / "data" / "nlu" / "conversations.yml")
    held_out = set().union(*(examples(p) for p in (ROOT / "tests" / "nlu_holdout").glob("*.yml")))
    assert len(mine) > 100
    assert not mine & held_out
    assert not mine & conversation_turns()
