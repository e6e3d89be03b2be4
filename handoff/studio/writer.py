"""Training data as a designer keeps it: plain YAML files, edited in place.

Round-trip YAML (ruamel) keeps comments, order and layout, so a change made in the studio
is a small diff a designer reviews and commits like one made by hand; nothing about the
training data lives anywhere else. Every write is previewed first as a unified diff.
"""
from __future__ import annotations

import difflib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

STUDIO_NLU = "data/nlu/studio.yml"
STUDIO_STORIES = "data/stories/studio.yml"
TEST_STORIES = "tests/test_stories.yml"
_ENTITY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}(/[a-z0-9_]{1,64})?$")
# Actions that belong to a form's machinery, not to the story a designer reads.
_FORM_INTERNALS = re.compile(r"^(validate_|action_ask_)")


class WriteError(ValueError):
    """A change the files cannot take (unknown intent, bad entity, ...): the message says why."""


@dataclass
class Change:
    path: str  # relative to the project
    before: str
    after: str

    @property
    def diff(self) -> str:
        return "".join(difflib.unified_diff(self.before.splitlines(True),
                                            self.after.splitlines(True),
                                            f"a/{self.path}", f"b/{self.path}"))

    def to_dict(self) -> Dict[str, Any]:
        return {"path": self.path, "diff": self.diff, "changed": self.before != self.after}


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=2, offset=0)  # the layout of the project's data files
    yaml.representer.add_representer(
        type(None), lambda r, _d: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    return yaml


def _dump(data: Any) -> str:
    out = io.StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def normalise(text: str) -> str:
    """How scripts.nlu_overlap compares sentences: case, width, punctuation and spaces aside."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def annotated(text: str, entities: List[Tuple[int, int, str]]) -> str:
    """Rasa's inline markup: `my phone is [13800001234](phone)`."""
    out, at = [], 0
    for start, end, name in sorted(entities):
        if start < at or not _ENTITY_NAME.match(name):
            raise WriteError(f"entity {name!r} at {start}-{end} overlaps another or is invalid")
        out += [text[at:start], f"[{text[start:end]}]({name})"]
        at = end
    out.append(text[at:])
    return "".join(out).replace("\n", " ").strip()


def _count(item: Any) -> int:
    return str((item or {}).get("examples") or "").count("\n- ") + 1


class Project:
    """The designer's files: data/nlu, data/stories, tests/test_stories.yml, domain.yml."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        # Staged texts: several changes to one file preview as one diff before anything is written.
        self.staged: Dict[str, str] = {}
        self.originals: Dict[str, str] = {}

    def read(self, rel: str) -> str:
        if rel in self.staged:
            return self.staged[rel]
        path = self.root / rel
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def stage(self, change: Change) -> None:
        self.originals.setdefault(change.path, change.before)
        self.staged[change.path] = change.after

    def pending(self) -> List[Change]:
        return [Change(rel, self.originals[rel], text) for rel, text in sorted(self.staged.items())]

    def write(self, change: Change) -> None:
        path = self.root / change.path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(change.after, encoding="utf-8")
        tmp.replace(path)  # never a half-written training file

    def domain_intents(self) -> List[str]:
        data = _yaml().load(self.read("domain.yml") or "{}") or {}
        names = []
        for item in data.get("intents") or []:
            names.append(next(iter(item)) if isinstance(item, dict) else str(item))
        return names

    def domain_actions(self) -> List[str]:
        """Custom actions, responses and forms: what a story step may name."""
        data = _yaml().load(self.read("domain.yml") or "{}") or {}
        names = [next(iter(a)) if isinstance(a, dict) else str(a) for a in data.get("actions") or []]
        names += [str(r).split("/")[0] for r in (data.get("responses") or {})]
        names += [str(f) for f in (data.get("forms") or {})]
        return sorted(set(names))

    def retrieval_intents(self) -> List[str]:
        """`faq/<key>` and the like, named only in the NLU files."""
        names = []
        for rel in self.nlu_files():
            for item in (_yaml().load(self.read(rel)) or {}).get("nlu") or []:
                name = item.get("intent") if isinstance(item, dict) else None
                if name and "/" in str(name):
                    names.append(str(name))
        return names

    def domain_entities(self) -> List[str]:
        data = _yaml().load(self.read("domain.yml") or "{}") or {}
        return [next(iter(e)) if isinstance(e, dict) else str(e) for e in data.get("entities") or []]

    def nlu_files(self) -> List[str]:
        return sorted(str(p.relative_to(self.root)) for p in (self.root / "data/nlu").glob("*.yml"))

    def intent_file(self, intent: str) -> Optional[str]:
        """The topic file that holds most of the intent's examples today."""
        best, most = None, 0
        for rel in self.nlu_files():
            count = sum(_count(item) for item in (_yaml().load(self.read(rel)) or {}).get("nlu") or []
                        if isinstance(item, dict) and item.get("intent") == intent)
            if count > most:
                best, most = rel, count
        return best

    def known_examples(self) -> Dict[str, str]:
        """Every training, held-out and test-story sentence, normalised -> where it is."""
        seen: Dict[str, str] = {}
        markup = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
        for rel in self.nlu_files() + sorted(
                str(p.relative_to(self.root)) for p in (self.root / "tests/nlu_holdout").glob("*.yml")):
            for item in (_yaml().load(self.read(rel)) or {}).get("nlu") or []:
                for line in str((item or {}).get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        plain = markup.sub(lambda m: m.group(1) or m.group(2) or "", line[2:])
                        seen.setdefault(normalise(plain), rel)
        return seen

    # -- NLU examples ----------------------------------------------------------------------
    def add_example(self, intent: str, text: str, entities: List[Tuple[int, int, str]]) -> Change:
        if not _INTENT_NAME.match(intent or ""):
            raise WriteError(f"{intent!r} is not an intent name")
        base = intent.split("/")[0]
        if base not in self.domain_intents():
            raise WriteError(f"intent {intent!r} is not in domain.yml")
        if not text.strip():
            raise WriteError("the example is empty")
        known_entities = set(self.domain_entities())
        for _, _, name in entities:
            if name not in known_entities:
                raise WriteError(f"entity {name!r} is not in domain.yml")
        where = self.known_examples().get(normalise(text))
        if where:
            raise WriteError(f"the sentence is already in {where}")
        rel = self.intent_file(intent) or STUDIO_NLU
        before = self.read(rel)
        data = _yaml().load(before) if before else None
        if data is None:
            data = CommentedMap([("version", "3.1"), ("nlu", CommentedSeq())])
        items = data.setdefault("nlu", CommentedSeq())
        line = "- " + annotated(text, entities) + "\n"
        blocks = [i for i in items if isinstance(i, dict) and i.get("intent") == intent]
        if blocks:  # the intent's main block in the file
            item = max(blocks, key=_count)
            examples = str(item.get("examples") or "")
            if examples and not examples.endswith("\n"):
                examples += "\n"
            item["examples"] = LiteralScalarString(examples + line)
        else:
            items.append(CommentedMap([("intent", intent),
                                       ("examples", LiteralScalarString(line))]))
        return Change(rel, before, _dump(data))

    # -- stories and test stories --------------------------------------------------------------
    def add_story(self, name: str, turns: List[Dict[str, Any]], test: bool = False) -> Change:
        """A conversation as a story (data/stories/studio.yml) or as a test story
        (tests/test_stories.yml). Each turn: intent, text (safe), entities, actions."""
        name = " ".join(str(name or "").split())[:120]
        if not name:
            raise WriteError("the story needs a name")
        if not turns:
            raise WriteError("the story needs at least one shopper turn")
        intents = set(self.domain_intents())
        rel = TEST_STORIES if test else STUDIO_STORIES
        before = self.read(rel)
        data = _yaml().load(before) if before else None
        if data is None:
            data = CommentedMap([("version", "3.1"), ("stories", CommentedSeq())])
        stories = data.setdefault("stories", CommentedSeq())
        if any(isinstance(s, dict) and s.get("story") == name for s in stories):
            raise WriteError(f"a story named {name!r} already exists in {rel}")
        steps = CommentedSeq()
        for turn in turns:
            intent = str(turn.get("intent") or "")
            if intent.split("/")[0] not in intents:
                raise WriteError(f"intent {intent!r} is not in domain.yml")
            spans = turn.get("entities") or []
            if test:
                steps.append(CommentedMap([
                    ("user", LiteralScalarString(annotated(turn["text"], spans) + "\n")),
                    ("intent", intent)]))
            else:
                # stories name the base of a retrieval intent (faq), test stories the full one
                step = CommentedMap([("intent", intent.split("/")[0])])
                if spans:
                    step["entities"] = CommentedSeq(
                        [CommentedMap([(n, turn["text"][s:e])]) for s, e, n in spans])
                steps.append(step)
            for action in turn.get("actions") or []:
                if _FORM_INTERNALS.match(action):
                    continue
                steps.append(CommentedMap([("action", action)]))
                if action.endswith("_form"):
                    steps.append(CommentedMap([("active_loop", action)]))
        stories.append(CommentedMap([("story", name), ("steps", steps)]))
        return Change(rel, before, _dump(data))
