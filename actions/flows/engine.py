"""Runs any flow one step at a time. Pure logic: state in, messages and new state out.

The rasa-sdk actions (actions.py) turn a Turn into bot messages and slot events; the
unit tests drive this module and the actions directly.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional

from actions import texts
from actions.flows.step_actions import run_step_action
from common.flows.model import ESCALATE, RESOLVED, Flow, Step, fill

# A button press is an `inform` carrying the option (no extra intent, so no NLU data needed).
ANSWER_INTENT = "inform"
OPTION_ENTITY = "flow_option"
OFFER_RESUME, OFFER_RESTART, OFFER_STOP = "_resume", "_restart", "_stop"
CANCELLED = "cancelled"
MAX_CHAINED_ACTIONS = 20  # action steps run back to back; the validator rules out loops


@dataclass
class Message:
    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)
    image: Optional[str] = None


@dataclass
class FlowState:
    flow_id: Optional[str] = None
    step: Optional[str] = None
    record: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class Turn:
    messages: List[Message]
    state: FlowState
    end: Optional[str] = None  # resolved | escalate | cancelled


def payload(option_value: str) -> str:
    return f"/{ANSWER_INTENT}" + json.dumps({OPTION_ENTITY: option_value}, ensure_ascii=False)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Engine:
    def __init__(self, language: str, tracker: Any = None, clock: Callable[[], str] = now_iso) -> None:
        self.language = "en" if language == "en" else "zh"
        self.tracker = tracker
        self.clock = clock

    def say(self, key: str, **values: str) -> Message:
        return Message(texts.text(key, self.language, **values))

    # --- rendering ----------------------------------------------------------------------

    @staticmethod
    def data(flow: Flow, state: FlowState) -> Dict[str, str]:
        values: Dict[str, str] = {}
        for entry in state.record:
            if entry.get("flow") == flow.id:
                values.update(entry.get("data") or {})
        return values

    def prompt_text(self, flow: Flow, step: Step, state: FlowState) -> str:
        return fill(step.prompt.get(self.language), self.data(flow, state)) if step.prompt else ""

    def step_message(self, flow: Flow, step: Step, state: FlowState) -> Message:
        text = self.prompt_text(flow, step, state)
        image = None
        if step.media is not None:
            if step.media.caption is not None:
                text += "\n" + step.media.caption.get(self.language)
            if step.media.kind == "image":
                image = step.media.url
            else:
                text += "\n" + texts.text("flow.video", self.language, url=step.media.url)
        buttons = [{"title": fill(o.label.get(self.language), self.data(flow, state)),
                    "payload": payload(f"{step.id}:{o.id}")} for o in step.options]
        return Message(text, buttons, image)

    def labels(self, step: Step) -> str:
        sep = "、" if self.language == "zh" else " / "
        quote = ("“", "”") if self.language == "zh" else ("\"", "\"")
        return sep.join(f"{quote[0]}{o.label.get(self.language)}{quote[1]}" for o in step.options)

    # --- moving -------------------------------------------------------------------------

    def begin(self, flow: Flow, lead: Optional[List[Message]] = None) -> Turn:
        messages = list(lead or []) + [self.say("flow.intro", title=flow.title.get(self.language))]
        state = FlowState(flow.id, None, [])
        return self.advance(flow, state, flow.start, messages)

    def advance(self, flow: Flow, state: FlowState, target: str, messages: List[Message]) -> Turn:
        record = list(state.record)
        for _ in range(MAX_CHAINED_ACTIONS):
            if target in (RESOLVED, ESCALATE):
                return self.finish(flow, FlowState(flow.id, None, record), target, messages)
            step = flow.steps[target]
            if step.is_question:
                state = FlowState(flow.id, step.id, record)
                message = self.step_message(flow, step, state)
                record.append({"flow": flow.id, "step": step.id, "prompt": message.text,
                               "answer": None, "at": self.clock()})
                return Turn(messages + [message], FlowState(flow.id, step.id, record))
            result = run_step_action(step.action or "", self.tracker, step.args)
            record.append({"flow": flow.id, "step": step.id, "prompt": f"[{step.action}]",
                           "answer": result.outcome, "at": self.clock(), "data": dict(result.data)})
            target = step.branches.get(result.outcome, ESCALATE)
        return self.finish(flow, FlowState(flow.id, None, record), ESCALATE, messages)

    def finish(self, flow: Flow, state: FlowState, end: str, messages: List[Message]) -> Turn:
        ending = flow.ends.get(end)
        words = ending.get(self.language) if ending else \
            texts.text("flow.resolved" if end == RESOLVED else "flow.escalate", self.language)
        messages = messages + [Message(words)]
        if end == RESOLVED:
            csat = self.say("flow.csat_ask")
            csat.buttons = [{"title": str(n), "payload": f'/csat_score{{"csat_value":"{n}"}}'}
                            for n in range(1, 6)]
            messages.append(csat)
        return Turn(messages, FlowState(None, None, state.record), end)

    def answer(self, flow: Flow, state: FlowState, option_id: str, typed: Optional[str] = None) -> Turn:
        step = flow.steps[state.step or ""]
        option = step.option(option_id)
        if option is None:
            raise KeyError(option_id)
        record = [dict(e) for e in state.record]
        entry = self._open_entry(record, flow.id, step.id)
        if entry is None:
            entry = {"flow": flow.id, "step": step.id, "prompt": self.prompt_text(flow, step, state)}
            record.append(entry)
        entry.update(answer=option.label.get(self.language), option=option.id, at=self.clock())
        if typed:
            entry["typed"] = typed
        return self.advance(flow, FlowState(flow.id, step.id, record), option.next, [])

    def reask(self, flow: Flow, state: FlowState, lead: Optional[str] = None, **values: str) -> Turn:
        step = flow.steps[state.step or ""]
        messages = [self.say(lead, **values)] if lead is not None else []
        return Turn(messages + [self.step_message(flow, step, state)], state)

    def not_understood(self, flow: Flow, state: FlowState) -> Turn:
        step = flow.steps[state.step or ""]
        return self.reask(flow, state, "flow.not_understood", labels=self.labels(step))

    def offer_resume(self, flow: Flow, state: FlowState, welcome: bool = False) -> Turn:
        step = flow.steps[state.step or ""]
        first_line = self.prompt_text(flow, step, state).split("\n")[0]
        short = first_line if len(first_line) <= 60 else first_line[:57] + "…"
        text = self.say("flow.resume_offer", title=flow.title.get(self.language), step=short).text
        if welcome:
            text = texts.text("flow.welcome_back", self.language) + text
        buttons = [{"title": texts.text(t, self.language), "payload": payload(v)} for t, v in
                   (("flow.resume", OFFER_RESUME), ("flow.restart", OFFER_RESTART), ("flow.stop", OFFER_STOP))]
        return Turn([Message(text, buttons)], state)

    def cancel(self, flow: Optional[Flow], state: FlowState, words: str = "flow.cancelled") -> Turn:
        record = [dict(e) for e in state.record]
        if flow is not None and state.step:
            entry = self._open_entry(record, flow.id, state.step)
            if entry is not None:
                entry.update(answer=CANCELLED, at=self.clock())
        return Turn([self.say(words)], FlowState(None, None, record), CANCELLED)

    @staticmethod
    def _open_entry(record: List[Dict[str, Any]], flow_id: str, step_id: str) -> Optional[Dict[str, Any]]:
        for entry in reversed(record):
            if entry.get("flow") == flow_id and entry.get("step") == step_id:
                return entry if entry.get("answer") is None else None
        return None
