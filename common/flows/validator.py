"""Check a flow file: structure against the JSON Schema, then the cross-references.

Every error carries the line it is about, so `make validate` can print `file:line: message`.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Set

from jsonschema import Draft7Validator

from common.flows.errors import FlowError, line_at, path_text
from common.flows.model import ENDS, ESCALATE, PLACEHOLDER, RESOLVED
from common.flows.schema import FLOW_SCHEMA
from common.flows.steps import STEPS

_SCHEMA = Draft7Validator(FLOW_SCHEMA)
QUESTION_KEYS = {"prompt", "options", "media"}
ACTION_KEYS = {"action", "branches", "args"}


def validate(data: Any, source: str) -> List[FlowError]:
    if not isinstance(data, dict):
        return [FlowError(source, 1, "a flow file must be a mapping with id, trigger, title, start and steps")]
    errors = [
        FlowError(source, line_at(data, list(e.absolute_path)),
                  f"{path_text(e.absolute_path) or 'flow'}: {e.message}")
        for e in sorted(_SCHEMA.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    ]
    if errors:  # cross-references only make sense on a structurally sound file
        return sorted(errors, key=lambda e: e.line)
    return sorted(_References(data, source).check(), key=lambda e: e.line)


class _References:
    def __init__(self, data: Dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.steps: Dict[str, Any] = data["steps"]
        self.errors: List[FlowError] = []

    def error(self, path: List[Any], message: str) -> None:
        self.errors.append(FlowError(self.source, line_at(self.data, path), message))

    def check(self) -> List[FlowError]:
        if self.data["start"] not in self.steps:
            self.error(["start"], f"start step '{self.data['start']}' is not defined under steps")
        provided: Set[str] = set()
        for step_id, step in self.steps.items():
            if step_id in ENDS:
                self.error(["steps", step_id], f"'{step_id}' is reserved for the end of a flow; rename the step")
            keys = set(step)
            if keys & ACTION_KEYS:
                self._action_step(step_id, step, keys, provided)
            else:
                self._question_step(step_id, step, keys)
        self._placeholders(provided)
        if not self.errors:
            self._graph()
        return self.errors

    def _target(self, path: List[Any], target: str) -> None:
        if target not in self.steps and target not in ENDS:
            self.error(path, f"'{target}' is neither a step of this flow nor an end ({RESOLVED}, {ESCALATE})")

    def _question_step(self, step_id: str, step: Dict[str, Any], keys: Set[str]) -> None:
        base = ["steps", step_id]
        for needed in ("prompt", "options"):
            if needed not in keys:
                self.error(base, f"step '{step_id}' needs '{needed}' (or 'action' and 'branches')")
        seen_ids: Set[str] = set()
        seen_intents: Dict[str, str] = {}
        for index, option in enumerate(step.get("options") or []):
            path = base + ["options", index]
            if option["id"] in seen_ids:
                self.error(path + ["id"], f"option id '{option['id']}' is used twice in step '{step_id}'")
            seen_ids.add(option["id"])
            for intent in option.get("intents") or []:
                if intent in seen_intents:
                    self.error(path + ["intents"], f"intent '{intent}' already means option "
                               f"'{seen_intents[intent]}' in step '{step_id}'")
                seen_intents[intent] = option["id"]
            self._target(path + ["next"], option["next"])
            for lang, patterns in (option.get("patterns") or {}).items():
                for n, pattern in enumerate(patterns or []):
                    try:
                        re.compile(pattern)
                    except re.error as problem:
                        self.error(path + ["patterns", lang, n], f"pattern '{pattern}' is not a valid regex: {problem}")

    def _action_step(self, step_id: str, step: Dict[str, Any], keys: Set[str], provided: Set[str]) -> None:
        base = ["steps", step_id]
        mixed = keys & QUESTION_KEYS
        if mixed:
            self.error(base, f"step '{step_id}' runs an action, so it cannot also have {sorted(mixed)}; "
                       "put the question in the step the branches lead to")
        if "action" not in keys or "branches" not in keys:
            self.error(base, f"an action step needs both 'action' and 'branches' (step '{step_id}')")
            return
        action = STEPS.get(step["action"])
        if action is None:
            self.error(base + ["action"], f"unknown step action '{step['action']}'; known: {sorted(STEPS)}")
            return
        provided.update(action.provides)
        branches = step["branches"]
        for outcome in branches:
            if outcome not in action.outcomes:
                self.error(base + ["branches", outcome], f"'{action.name}' has no outcome '{outcome}'; "
                           f"its outcomes are {list(action.outcomes)}")
            else:
                self._target(base + ["branches", outcome], branches[outcome])
        for outcome in action.outcomes:
            if outcome not in branches:
                self.error(base + ["branches"], f"branches must say where outcome '{outcome}' of "
                           f"'{action.name}' goes")
        for arg in step.get("args") or {}:
            if arg not in action.args:
                self.error(base + ["args", arg], f"'{action.name}' takes no argument '{arg}'; "
                           f"it takes {list(action.args)}")

    def _placeholders(self, provided: Set[str]) -> None:
        for step_id, step in self.steps.items():
            texts = [(["prompt"], step.get("prompt"))]
            texts += [(["options", i, "label"], o.get("label")) for i, o in enumerate(step.get("options") or [])]
            for path, text in texts:
                for lang, value in (text or {}).items():
                    for name in PLACEHOLDER.findall(str(value)):
                        if name not in provided:
                            self.error(["steps", step_id] + path + [lang], f"placeholder '{{{name}}}' is not "
                                       "provided by any step action in this flow")

    def _edges(self, step: Dict[str, Any]) -> List[str]:
        if "branches" in step:
            return list(step["branches"].values())
        return [o["next"] for o in step.get("options") or []]

    def _graph(self) -> None:
        start = self.data["start"]
        reached: Set[str] = set()
        todo = [start]
        while todo:
            current = todo.pop()
            if current in reached:
                continue
            reached.add(current)
            if current in self.steps:
                todo.extend(self._edges(self.steps[current]))
        for step_id in self.steps:
            if step_id not in reached:
                self.error(["steps", step_id], f"step '{step_id}' is never reached from start '{start}'")
        for end in ENDS:
            if end not in reached:
                self.error(["steps"], f"no path from start '{start}' ever reaches the '{end}' end")
        # every step must be able to finish: a loop without an exit would trap the shopper
        can_finish: Set[str] = set(ENDS)
        changed = True
        while changed:
            changed = False
            for step_id, step in self.steps.items():
                if step_id not in can_finish and any(t in can_finish for t in self._edges(step)):
                    can_finish.add(step_id)
                    changed = True
        for step_id in self.steps:
            if step_id in reached and step_id not in can_finish:
                self.error(["steps", step_id], f"step '{step_id}' can never reach an end (endless loop)")
