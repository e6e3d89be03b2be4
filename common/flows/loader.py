"""Read flow files with line numbers, validate them and build Flow objects.

ruamel.yaml's round-trip loader keeps the line of every key and list item, so each
error can be reported as `file:line: message` for the designer who wrote the file.
"""
from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from common.flows.model import Bilingual, Flow, Media, Option, Step

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "flows"


@dataclass(frozen=True)
class FlowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowFileError(ValueError):
    def __init__(self, errors: Sequence[FlowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def flows_dir() -> Path:
    return Path(os.environ.get("FLOWS_DIR") or DEFAULT_DIR)


# --- line numbers ---------------------------------------------------------------------

def node_line(node: Any, default: int = 1) -> int:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def line_at(root: Any, path: Iterable[Any]) -> int:
    """The 1-based line of the node at `path` (keys and list indexes) in a ruamel tree."""
    node, line = root, node_line(root)
    for part in path:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


# --- reading --------------------------------------------------------------------------

def read_yaml(path: Path) -> Tuple[Any, List[FlowError]]:
    yaml = YAML(typ="rt")
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.load(handle), []
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = " ".join(str(p) for p in (error.context, error.problem) if p)
        return None, [FlowError(str(path), line, f"YAML syntax: {problem}")]
    except (OSError, UnicodeDecodeError) as error:
        return None, [FlowError(str(path), 1, f"cannot read file: {error}")]


# --- building -------------------------------------------------------------------------

def _bilingual(raw: Any) -> Optional[Bilingual]:
    return Bilingual(str(raw["zh"]), str(raw["en"])) if raw else None


def _per_language(raw: Any, compile_patterns: bool = False) -> Dict[str, tuple]:
    out: Dict[str, tuple] = {}
    for lang, values in (raw or {}).items():
        items = [str(v) for v in values or []]
        out[str(lang)] = tuple(re.compile(v, re.I) for v in items) if compile_patterns else tuple(items)
    return out


def build_flow(data: Any, source: str) -> Flow:
    """A Flow from already validated data."""
    steps: Dict[str, Step] = {}
    for step_id, raw in data["steps"].items():
        options = tuple(
            Option(
                id=str(o["id"]), label=_bilingual(o["label"]), next=str(o["next"]),
                intents=tuple(str(i) for i in o.get("intents") or []),
                matches=_per_language(o.get("matches")),
                patterns=_per_language(o.get("patterns"), compile_patterns=True),
            )
            for o in raw.get("options") or []
        )
        media_raw = raw.get("media")
        media = Media(str(media_raw["type"]), str(media_raw["url"]), _bilingual(media_raw.get("caption"))) \
            if media_raw else None
        steps[str(step_id)] = Step(
            id=str(step_id), line=line_at(data, ["steps", step_id]), prompt=_bilingual(raw.get("prompt")),
            media=media, options=options, action=raw.get("action"),
            branches={str(k): str(v) for k, v in (raw.get("branches") or {}).items()},
            args=dict(raw.get("args") or {}),
        )
    ends = {str(k): _bilingual(v) for k, v in (data.get("ends") or {}).items()}
    return Flow(id=str(data["id"]), trigger=str(data["trigger"]), title=_bilingual(data["title"]),
                start=str(data["start"]), steps=steps, source=source, ends=ends,
                trigger_line=line_at(data, ["trigger"]))


def load_file(path: Path) -> Flow:
    from common.flows.validator import validate

    data, errors = read_yaml(path)
    if not errors:
        errors = validate(data, str(path))
    if errors:
        raise FlowFileError(errors)
    return build_flow(data, str(path))


def load_dir(directory: Optional[Path] = None,
             known_intents: Optional[Iterable[str]] = None) -> Tuple[Dict[str, Flow], List[FlowError]]:
    """All flows in a folder plus every error found (files with errors are left out)."""
    from common.flows.validator import validate

    directory = directory or flows_dir()
    flows: Dict[str, Flow] = {}
    errors: List[FlowError] = []
    triggers: Dict[str, str] = {}
    intents = set(known_intents) if known_intents is not None else None
    for path in sorted(list(directory.glob("*.yml")) + list(directory.glob("*.yaml"))):
        data, file_errors = read_yaml(path)
        if not file_errors:
            file_errors = validate(data, str(path))
        if file_errors:
            errors.extend(file_errors)
            continue
        flow = build_flow(data, str(path))
        if flow.id in flows:
            errors.append(FlowError(str(path), line_at(data, ["id"]),
                                    f"flow id '{flow.id}' is already used by {flows[flow.id].source}"))
            continue
        if flow.trigger in triggers:
            errors.append(FlowError(str(path), line_at(data, ["trigger"]),
                                    f"trigger intent '{flow.trigger}' already starts flow '{triggers[flow.trigger]}'"))
            continue
        if intents is not None and flow.trigger not in intents:
            errors.append(FlowError(str(path), line_at(data, ["trigger"]),
                                    f"trigger intent '{flow.trigger}' is not an intent in domain.yml"))
        flows[flow.id] = flow
        triggers[flow.trigger] = flow.id
    return flows, errors


class FlowLibrary:
    """The flows the action server runs; re-read when a file in the folder changes."""

    def __init__(self, directory: Optional[Path] = None) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._signature: Optional[tuple] = None
        self._flows: Dict[str, Flow] = {}

    def _current_signature(self) -> tuple:
        folder = self.directory or flows_dir()
        return tuple(sorted((p.name, p.stat().st_mtime) for p in folder.glob("*.y*ml")))

    def flows(self) -> Dict[str, Flow]:
        with self._lock:
            signature = self._current_signature()
            if signature != self._signature:
                flows, errors = load_dir(self.directory)
                for error in errors:  # a broken file must not take the others down
                    import logging
                    logging.getLogger(__name__).error("flow file error: %s", error)
                self._flows, self._signature = flows, signature
            return self._flows

    def get(self, flow_id: Optional[str]) -> Optional[Flow]:
        return self.flows().get(flow_id or "")

    def for_trigger(self, intent: Optional[str]) -> Optional[Flow]:
        return next((f for f in self.flows().values() if f.trigger == intent), None)
