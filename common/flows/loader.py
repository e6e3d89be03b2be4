"""Read flow files with line numbers, validate them and build Flow objects.

ruamel.yaml's round-trip loader keeps the line of every key and list item, so each
error can be reported as `file:line: message` for the designer who wrote the file.
"""
from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from common.flows.errors import FlowError, FlowFileError, line_at
from common.flows.model import Bilingual, Flow, Media, Option, Step
from common.flows.validator import validate

log = logging.getLogger(__name__)
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "flows"


def flows_dir() -> Path:
    return Path(os.environ.get("FLOWS_DIR") or DEFAULT_DIR)


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
    data, errors = read_yaml(path)
    if not errors:
        errors = validate(data, str(path))
    if errors:
        raise FlowFileError(errors)
    return build_flow(data, str(path))


def load_dir(directory: Optional[Path] = None,
             known_intents: Optional[Iterable[str]] = None) -> Tuple[Dict[str, Flow], List[FlowError]]:
    """All flows in a folder plus every error found (files with errors are left out)."""
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
                    log.error("flow file error: %s", error)
                self._flows, self._signature = flows, signature
            return self._flows

    def get(self, flow_id: Optional[str]) -> Optional[Flow]:
        return self.flows().get(flow_id or "")

    def for_trigger(self, intent: Optional[str]) -> Optional[Flow]:
        return next((f for f in self.flows().values() if f.trigger == intent), None)
