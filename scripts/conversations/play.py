"""Play conversations against a running Rasa (REST webhook + tracker API) and judge each turn.

A turn is judged on behaviour, never wording: the intent NLU predicted, the slots, the actions
that ran, the names of the replies (scripts.conversations.replies), the buttons offered, a
handoff (action_handoff ran and the conversation paused), the flow position, and the language
of both the `language` slot and the bot's text. A conversation stops at the first turn that
breaks, and that turn is what the report shows.
"""
from __future__ import annotations

import json
import re
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from scripts.conversations import replies
from scripts.conversations.orders import DemoOrder
from scripts.conversations.spec import Conversation, Turn

PLACEHOLDER = re.compile(r"\{(\w+)\.(\w+)\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")
CODE = re.compile(r"\b[A-Za-z]{1,3}\d{6,}\b")  # order and tracking numbers have no language


@dataclass
class TurnResult:
    number: int
    said: str
    problems: List[str]
    intent: str = ""
    bot: List[str] = field(default_factory=list)
    names: List[str] = field(default_factory=list)


@dataclass
class Result:
    conversation: Conversation
    turns: List[TurnResult]
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and all(not t.problems for t in self.turns)

    @property
    def broken(self) -> Optional[TurnResult]:
        return next((t for t in self.turns if t.problems), None)


@dataclass(frozen=True)
class Target:
    rasa_url: str
    token: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])


def _fill(value: Any, orders: Dict[str, DemoOrder]) -> Any:
    if isinstance(value, str):
        def sub(match: "re.Match[str]") -> str:
            order = orders.get(match.group(1))
            if order is None:
                return match.group(0)
            return order.values()[match.group(2)]
        return PLACEHOLDER.sub(sub, value)
    if isinstance(value, list):
        return [_fill(v, orders) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, orders) for k, v in value.items()}
    return value


def _http(url: str, body: Optional[Dict[str, Any]] = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=90) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def _lang_of(text: str) -> Optional[str]:
    text = CODE.sub(" ", text)
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    if cjk + latin == 0:
        return None
    return "zh" if cjk / (cjk + latin) >= 0.15 else "en"


def _as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


def _full_intent(parse: Dict[str, Any]) -> str:
    name = (parse.get("intent") or {}).get("name") or ""
    selector = (parse.get("response_selector") or {}).get(name) or {}
    key = (selector.get("response") or {}).get("intent_response_key")
    return key or name


class Player:
    def __init__(self, target: Target) -> None:
        self.target = target

    def tracker(self, sender: str) -> Dict[str, Any]:
        return _http(f"{self.target.rasa_url}/conversations/{sender}/tracker"
                     f"?include_events=ALL&token={self.target.token}")

    def play(self, conversation: Conversation, orders: Dict[str, DemoOrder]) -> Result:
        # the REST channel names its conversations rest:<sender>; naming it so reads the same tracker
        sender = f"rest:conv-{self.target.run_id}-{conversation.id}"
        result = Result(conversation, [])
        last_buttons: List[Dict[str, Any]] = []
        seen = 0
        try:
            for number, turn in enumerate(conversation.turns, 1):
                said, problem = self._input(turn, orders, last_buttons)
                outcome = TurnResult(number, turn.shown if turn.click else said, [])
                result.turns.append(outcome)
                if problem:
                    outcome.problems.append(problem)
                    break
                _http(f"{self.target.rasa_url}/webhooks/rest/webhook",
                      {"sender": sender, "message": said})
                tracker = self.tracker(sender)
                events = tracker.get("events") or []
                new, seen = events[seen:], len(events)
                bots = [e for e in new if e.get("event") == "bot"]
                last_buttons = [b for e in bots for b in ((e.get("data") or {}).get("buttons") or [])] \
                    or last_buttons
                outcome.problems = self._judge(conversation, turn, tracker, new, orders, outcome)
                if outcome.problems:
                    break
        except Exception as error:  # a dead stack or a bad reply: a failure to report, not a crash
            result.error = f"{type(error).__name__}: {error}"
        return result

    @staticmethod
    def _input(turn: Turn, orders: Dict[str, DemoOrder],
               buttons: List[Dict[str, Any]]) -> tuple:
        if turn.say is not None:
            return _fill(turn.say, orders), None
        title = _fill(turn.click, orders)
        for button in buttons:
            if str(button.get("title", "")).strip() == title:
                return str(button.get("payload")), None
        offered = [b.get("title") for b in buttons]
        return "", f"no button {title!r} to click; offered {offered}"

    def _judge(self, conversation: Conversation, turn: Turn, tracker: Dict[str, Any],
               new: List[Dict[str, Any]], orders: Dict[str, DemoOrder],
               outcome: TurnResult) -> List[str]:
        checks = _fill(turn.checks, orders)
        problems: List[str] = []
        user = next((e for e in new if e.get("event") == "user"), {})
        parse = user.get("parse_data") or {}
        outcome.intent = _full_intent(parse)
        actions = [e.get("name") for e in new if e.get("event") == "action"
                   and e.get("name") != "action_listen"]
        bots = [e for e in new if e.get("event") == "bot"]
        outcome.bot = [str(e.get("text") or "") for e in bots]
        names = [n for e in bots for n in replies.names({"text": e.get("text"),
                                                         "metadata": e.get("metadata")})]
        outcome.names = names
        buttons = [str(b.get("title")) for e in bots for b in ((e.get("data") or {}).get("buttons") or [])]
        slots = tracker.get("slots") or {}
        paused = bool(tracker.get("paused"))
        said = "\n".join(outcome.bot)

        if "intent" in checks:
            wanted = _as_list(checks["intent"])
            short = outcome.intent.split("/")[0]
            if outcome.intent not in wanted and short not in wanted:
                problems.append(f"intent {outcome.intent!r}, expected {wanted}")
        for name, value in (checks.get("entities") or {}).items():
            values = [str(e.get("value")) for e in parse.get("entities") or [] if e.get("entity") == name]
            if (value == "*" and not values) or (value != "*" and str(value) not in values):
                problems.append(f"entity {name}={values or None}, expected {value}")
        for name, value in (checks.get("slots") or {}).items():
            have = slots.get(name)
            if value is None and have is not None or value == "*" and have is None or \
                    value not in (None, "*") and str(have) != str(value):
                problems.append(f"slot {name}={have!r}, expected {value!r}")
        for name in _as_list(checks.get("actions") or []):
            if name not in actions:
                problems.append(f"action {name} did not run (ran {actions})")
        for name in _as_list(checks.get("not_actions") or []):
            if name in actions:
                problems.append(f"action {name} ran, it should not")
        if "reply" in checks and not any(r in names for r in _as_list(checks["reply"])):
            problems.append(f"reply {names}, expected one of {_as_list(checks['reply'])}")
        for name in _as_list(checks.get("not_reply") or []):
            if name in names:
                problems.append(f"reply {name} given, it should not be")
        wanted_buttons = checks.get("buttons")
        if wanted_buttons is True and not buttons:
            problems.append("no buttons offered")
        elif isinstance(wanted_buttons, list):
            missing = [b for b in wanted_buttons if b not in buttons]
            if missing:
                problems.append(f"buttons {buttons}, missing {missing}")
        for text in _as_list(checks.get("says") or []):
            if str(text).lower() not in said.lower():
                problems.append(f"reply does not mention {text!r}")
        for text in _as_list(checks.get("not_says") or []):
            if str(text).lower() in said.lower():
                problems.append(f"reply mentions {text!r}")
        if "handoff" in checks:
            handed = "action_handoff" in actions
            if bool(checks["handoff"]) != handed:
                problems.append("no handoff" if checks["handoff"] else "unexpected handoff")
            elif handed and not paused:
                problems.append("handoff ran but the conversation is not paused for the agent")
        if "paused" in checks and bool(checks["paused"]) != paused:
            problems.append(f"paused={paused}, expected {checks['paused']}")
        if "flow" in checks:
            want = checks["flow"]
            have = slots.get("flow_id")
            if want is None and have is not None:
                problems.append(f"flow {have}:{slots.get('flow_step')} still pending, expected none")
            elif want is not None:
                flow_id, _, step = str(want).partition(":")
                if have != flow_id or (step and slots.get("flow_step") != step):
                    problems.append(f"flow {have}:{slots.get('flow_step')}, expected {want}")
        language = checks.get("language", conversation.language)
        if slots.get("language") != language:
            problems.append(f"language slot {slots.get('language')!r}, expected {language!r}")
        for text in outcome.bot:
            seen_lang = _lang_of(text)
            if seen_lang and seen_lang != language:
                problems.append(f"bot answered in {seen_lang}: {text[:60]!r}")
                break
        if not bots and not paused:
            problems.append("the bot said nothing")
        return problems


def play_all(target: Target, conversations: List[Conversation],
             orders: Dict[str, Dict[str, DemoOrder]], workers: int = 4) -> List[Result]:
    player = Player(target)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: player.play(c, orders.get(c.id, {})), conversations))
