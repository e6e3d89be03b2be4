"""`action_case_status`: "我的售后进度" / "what's the status of my case".

The answer comes from the handoff service, where agents work the cases (actions.handoff_cases):
its status, owner and resolution deadline as the agents left them. Which cases the shopper
may hear about is decided by what they proved (handoff_cases.shoppers_cases).
"""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handover.cases import shoppers_cases

CASE_REF = re.compile(r"(?<![A-Za-z0-9])((?:AS|AC)\d{14}|R\d{10,16})(?![0-9])", re.I)
MAX_LISTED = 3

TEXTS: Dict[str, Dict[str, str]] = {
    "case_line": {"zh": "售后单 {ref}({kind}):{status}{due}。",
                  "en": "Case {ref} ({kind}): {status}{due}."},
    "case_due": {"zh": ",预计 {due} 前处理完毕", "en": ", due by {due}"},
    "case_overdue": {"zh": ",已超过承诺时间,我们正在加急处理",
                     "en": ", past the time we promised: it is being chased"},
    "case_none": {
        "zh": "没有查到您的售后单。如果您用其他账号或渠道申请过,请告诉我售后单号或订单号。",
        "en": "I can't find an after-sales case for you. If you opened one from another account "
              "or channel, tell me the case or order number."},
    "case_unavailable": {
        "zh": "暂时查不到售后进度,请稍后再问我,或输入“转人工”。",
        "en": "I can't look up your case right now. Please ask again in a moment, or type "
              "\"agent\" to talk to a person."},
    "case_more": {"zh": "另有 {n} 个较早的售后单。", "en": "There are {n} older cases as well."},
}


def say(key: str, lang: str, **values: Any) -> str:
    texts = TEXTS[key]
    return texts.get(lang, texts["zh"]).format(**values)


def case_ref_in(text: Optional[str]) -> Optional[str]:
    found = CASE_REF.search(text or "")
    return found.group(1).upper() if found else None


def due_text(case: Dict[str, Any], lang: str) -> str:
    if case.get("status") == "resolved" or not case.get("due_at"):
        return ""
    if case.get("overdue"):
        return say("case_overdue", lang)
    due = datetime.fromisoformat(case["due_at"])
    return say("case_due", lang, due=due.strftime("%m-%d %H:%M") + " UTC")


def answer(cases: Optional[List[Dict[str, Any]]], lang: str) -> str:
    if cases is None:
        return say("case_unavailable", lang)
    if not cases:
        return say("case_none", lang)
    lines = [say("case_line", lang, ref=c["case_ref"], kind=c.get("kind_text") or c["kind"],
                 status=c.get("status_text") or c["status"], due=due_text(c, lang))
             for c in cases[:MAX_LISTED]]
    if len(cases) > MAX_LISTED:
        lines.append(say("case_more", lang, n=len(cases) - MAX_LISTED))
    return "\n".join(lines)


class ActionCaseStatus(Action):
    def name(self) -> Text:
        return "action_case_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        lang = tracker.get_slot("language") or "zh"
        ref = case_ref_in((tracker.latest_message or {}).get("text"))
        cases = await shoppers_cases(tracker, ref)
        if ref and cases == []:  # a number they quoted that is not theirs: list their own
            cases = await shoppers_cases(tracker)
        dispatcher.utter_message(text=answer(cases, lang))
        return []
