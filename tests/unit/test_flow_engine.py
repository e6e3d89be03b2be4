"""The flow actions walked turn by turn with rasa_sdk Tracker + CollectingDispatcher.

`Shopper` plays the part of Rasa: it routes each message to the action our rules in
data/stories/flows.yml would pick, keeps the slots and the event log, and turns the
dispatcher's messages into bot events (with their buttons) as Rasa does.
"""
from __future__ import annotations

import asyncio
import json
import re
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.flows.rasa_actions import (ActionFlowAnswer, ActionFlowCancel, ActionFlowResume,
                                        ActionFlowStart)

TRIGGERS = {"app_login": "troubleshoot_app_login", "camera_wifi": "troubleshoot_device_network",
            "router_firmware": "troubleshoot_router", "smart_home_pairing": "troubleshoot_smart_home_setup"}
PAYLOAD = re.compile(r"^/(\w+)(\{.*\})?$")


class Shopper:
    def __init__(self, language: str = "zh") -> None:
        self.slots: Dict[str, Any] = {"language": language}
        self.events: List[Dict[str, Any]] = []
        self.followups: List[str] = []
        self.last: List[Dict[str, Any]] = []

    def new_session(self) -> None:
        self.events.append({"event": "session_started"})

    def send(self, text: str, intent: Optional[str] = None, entities: Optional[list] = None) -> List[Dict[str, Any]]:
        match = PAYLOAD.match(text)
        if match:  # a button payload, parsed like Rasa's RegexMessageHandler
            intent = match.group(1)
            values = json.loads(match.group(2) or "{}")
            entities = [{"entity": k, "value": v} for k, v in values.items()]
        message = {"text": text, "intent": {"name": intent}, "entities": entities or []}
        self.events.append({"event": "user", "text": text, "parse_data": message})
        self.last = []
        if intent == "faq":
            message["response_selector"] = {"faq": {"response": {"intent_response_key": "faq/shipping_fee"}}}
        action = self._route(intent, message)
        return self.run(action, message)

    def _route(self, intent: Optional[str], message: Dict[str, Any]) -> Any:
        if intent and intent.startswith("troubleshoot_"):
            return ActionFlowStart()
        if intent == "inform" and any(e["entity"] == "flow_option" for e in message["entities"]):
            return ActionFlowAnswer()
        if intent == "cancel":
            return ActionFlowCancel()
        if intent in ("faq", "greet", "thank"):
            return ActionFlowResume()
        return ActionFlowAnswer()

    def run(self, action: Any, message: Dict[str, Any]) -> List[Dict[str, Any]]:
        tracker = Tracker("shopper-1", dict(self.slots), message, list(self.events), False, None, None,
                          "action_listen")
        dispatcher = CollectingDispatcher()
        events = asyncio.run(action.run(dispatcher, tracker, {}))
        self.events.append({"event": "action", "name": action.name()})
        for sent in dispatcher.messages:
            self._bot(sent)
        for event in events:
            if event["event"] == "slot":
                self.slots[event["name"]] = event["value"]
                self.events.append(event)
            elif event["event"] == "followup":
                self.followups.append(event["name"])
        return self.last

    def _bot(self, sent: Dict[str, Any]) -> None:
        self.last.append(sent)
        self.events.append({"event": "bot", "text": sent.get("text"), "data": {"buttons": sent.get("buttons")}})

    # --- helpers ---
    def text(self) -> str:
        return " ".join(m.get("text") or m.get("response") or "" for m in self.last)

    def buttons(self) -> List[Dict[str, str]]:
        return [b for m in self.last for b in (m.get("buttons") or [])]

    def press(self, title: str) -> List[Dict[str, Any]]:
        button = next(b for b in self.buttons() if b["title"] == title)
        return self.send(button["payload"])

    def press_option(self, option: str) -> List[Dict[str, Any]]:
        button = next(b for b in self.buttons() if b["payload"].endswith(f':{option}"}}'))
        return self.send(button["payload"])


# Button presses (option ids, one per step) that walk each flow to each end; typed
# answers are covered by the tests below.
WALKS = {
    ("app_login", "resolved"): ["still", "still", "done"],
    ("app_login", "escalate"): ["still", "skip", "still", "still"],
    ("camera_wifi", "resolved"): ["still", "blinking", "done"],
    ("camera_wifi", "escalate"): ["still", "no_response", "no_response"],
    ("router_firmware", "resolved"): ["wan_off", "wan_on", "still", "done"],
    ("router_firmware", "escalate"): ["wan_on", "still", "no_account", "cannot"],
    ("smart_home_pairing", "resolved"): ["one_name", "done", "added", "added", "next_device", "added", "all_done"],
    ("smart_home_pairing", "escalate"): ["ready", "failed", "failed"],
}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("flow_id,end", sorted(WALKS))
def test_each_flow_walks_to_each_end_in_both_languages(flow_id, end, language):
    shopper = Shopper(language)
    shopper.send("help", TRIGGERS[flow_id])
    assert shopper.slots["flow_id"] == flow_id
    intro = "一步步" if language == "zh" else "step by step"
    assert intro in shopper.text()
    for option in WALKS[(flow_id, end)]:
        assert shopper.slots["flow_step"], "the flow ended too early"
        shopper.press_option(option)
    assert shopper.slots["flow_id"] is None and shopper.slots["flow_step"] is None
    record = shopper.slots["flow_record"]
    answered = [e for e in record if e.get("option")]
    assert [e["option"] for e in answered] == WALKS[(flow_id, end)]
    assert all({"flow", "step", "prompt", "answer", "at"} <= set(e) for e in record)
    assert all(e["flow"] == flow_id and e["prompt"] for e in record)
    if end == "resolved":
        titles = [b["title"] for b in shopper.buttons()]
        assert titles == ["1", "2", "3", "4", "5"]
        assert shopper.buttons()[4]["payload"] == '/csat_score{"csat_value":"5"}'
        assert shopper.followups == []
    else:
        assert shopper.slots["handoff_trigger"] == "flow_unresolved"
        assert shopper.followups == ["action_handoff"]
        assert not shopper.buttons()


@pytest.mark.parametrize("language,done,still", [
    ("zh", "好了,现在可以登录了", "重启了还是不行"),
    ("en", "it works now, thanks", "still not working"),
])
def test_typed_answers_are_understood(language, done, still):
    shopper = Shopper(language)
    shopper.send("login", "troubleshoot_app_login")
    shopper.send(still, "nlu_fallback")
    assert shopper.slots["flow_step"] == "force_quit"
    shopper.send(done, "nlu_fallback")
    assert shopper.slots["flow_id"] is None
    assert shopper.slots["flow_record"][-1]["typed"] == done


def test_affirm_and_deny_intents_map_to_options_and_negation_is_respected():
    shopper = Shopper("zh")
    shopper.send("路由器升级后上不了网", "troubleshoot_router")
    shopper.send("嗯", "deny")  # deny means the step's deny option: WAN light off
    assert shopper.slots["flow_step"] == "cable"
    shopper.send("是的", "affirm")
    assert shopper.slots["flow_step"] == "restart"
    shopper.send("还是没网", "affirm")  # the words win over a wrong intent
    assert shopper.slots["flow_step"] == "wan_settings"


def test_unclear_text_asks_the_same_step_again_with_the_choices():
    shopper = Shopper("en")
    shopper.send("camera offline", "troubleshoot_device_network")
    step = shopper.slots["flow_step"]
    shopper.send("hmm what colour is the sky", "nlu_fallback")
    assert shopper.slots["flow_step"] == step
    assert "couldn't tell" in shopper.text() and len(shopper.buttons()) == 2


def test_the_step_action_branch_without_a_store_model(monkeypatch):
    shopper = Shopper("zh")
    shopper.send("摄像头连不上wifi", "troubleshoot_device_network")
    assert shopper.slots["flow_step"] == "basics"
    assert shopper.slots["flow_record"][0]["answer"] == "not_found"


def test_the_step_action_uses_a_typed_device_model():
    shopper = Shopper("en")
    shopper.send("my camera C200 won't connect", "troubleshoot_device_network",
                 [{"entity": "device_model", "value": "C200"}])
    assert shopper.slots["flow_step"] == "basics_known_model"
    assert "C200" in shopper.text()


def test_digression_answers_then_asks_the_step_again():
    shopper = Shopper("zh")
    shopper.send("登录不上", "troubleshoot_app_login")
    shopper.press_option("still")
    shopper.send("运费多少", "faq")
    assert shopper.last[0]["response"] == "utter_faq/shipping_fee"
    assert "继续刚才的排查" in shopper.text()
    assert shopper.slots["flow_step"] == "force_quit"
    assert any(b["payload"].endswith(':done"}') for b in shopper.buttons())
    shopper.send("好了", "affirm")  # the answer after the digression still counts
    assert shopper.slots["flow_id"] is None


def test_returning_later_is_offered_to_continue():
    shopper = Shopper("en")
    shopper.send("router no internet", "troubleshoot_router")
    shopper.press_option("wan_on")
    shopper.new_session()
    shopper.send("hi", "greet")
    assert "welcome back" in shopper.text() and "Shall we continue" in shopper.text()
    assert [b["title"] for b in shopper.buttons()] == ["Continue", "Start over", "No, thanks"]
    shopper.press("Continue")
    assert shopper.slots["flow_step"] == "restart" and "Restart them in order" in shopper.text()
    shopper.new_session()
    shopper.send("yes", "affirm")  # an answer out of context is not taken as the step's answer
    assert shopper.slots["flow_step"] == "restart" and "Shall we continue" in shopper.text()
    shopper.send("sure", "affirm")
    assert "Restart them in order" in shopper.text()


def test_offer_can_start_over_or_be_declined():
    shopper = Shopper("zh")
    shopper.send("智能家居配对", "troubleshoot_smart_home_setup")
    shopper.press_option("ready")
    shopper.new_session()
    shopper.send("您好", "greet")
    shopper.press("重新开始")
    assert shopper.slots["flow_step"] == "wifi_band"
    shopper.new_session()
    shopper.send("你好", "greet")
    shopper.send("不用了", "deny")
    assert shopper.slots["flow_id"] is None and "不继续" in shopper.text()


def test_asking_for_the_same_flow_again_offers_to_continue_after_other_talk():
    shopper = Shopper("zh")
    shopper.send("摄像头连不上", "troubleshoot_device_network")
    shopper.events.append({"event": "bot", "text": "订单查询…", "data": {}})  # other talk
    shopper.send("摄像头还是连不上网", "troubleshoot_device_network")
    assert "要从这里继续吗" in shopper.text()


def test_same_trigger_mid_step_is_read_as_an_answer():
    shopper = Shopper("zh")
    shopper.send("摄像头连不上", "troubleshoot_device_network")
    shopper.send("试了还是连不上", "troubleshoot_device_network")
    assert shopper.slots["flow_step"] == "reset"


def test_another_trigger_switches_flows():
    shopper = Shopper("en")
    shopper.send("app login", "troubleshoot_app_login")
    shopper.send("and my router has no internet", "troubleshoot_router")
    assert shopper.slots["flow_id"] == "router_firmware"
    assert "leave the previous troubleshooting" in shopper.text()


@pytest.mark.parametrize("language,words,intent", [("zh", "算了", "deny"), ("zh", "不弄了", "cancel"),
                                                    ("en", "stop", "cancel")])
def test_cancel_ends_politely_and_keeps_the_record(language, words, intent):
    shopper = Shopper(language)
    shopper.send("help", "troubleshoot_app_login")
    shopper.press_option("still")
    shopper.send(words, intent)
    assert shopper.slots["flow_id"] is None and shopper.slots["flow_step"] is None
    assert shopper.slots["flow_record"][-1]["answer"] == "cancelled"
    assert shopper.followups == []
    assert ("已停止排查" if language == "zh" else "stopped the troubleshooting") in shopper.text()


def test_unknown_stale_and_finished_buttons():
    shopper = Shopper("en")
    shopper.send("login", "troubleshoot_app_login")
    shopper.send('/inform{"flow_option":"network:explode"}')
    assert "isn't valid" in shopper.text() and shopper.slots["flow_step"] == "network"
    shopper.send('/inform{"flow_option":"bogus"}')
    assert "isn't valid" in shopper.text()
    shopper.press_option("still")
    shopper.send('/inform{"flow_option":"network:still"}')  # an old button
    assert "earlier step" in shopper.text() and shopper.slots["flow_step"] == "force_quit"
    shopper.press_option("done")
    shopper.send('/inform{"flow_option":"force_quit:done"}')
    assert "already finished" in shopper.text()


def test_paused_flow_leaves_unrelated_deny_and_fallback_to_the_usual_replies():
    shopper = Shopper("zh")
    shopper.send("登录不上", "troubleshoot_app_login")
    shopper.events.append({"event": "bot", "text": "需要转人工吗?", "data": {}})
    shopper.send("不用了", "deny")
    assert [m.get("response") for m in shopper.last] == ["utter_deny_ack"]
    assert shopper.slots["flow_step"] == "network"
    shopper.send("asdfgh", "nlu_fallback")
    assert shopper.last[0]["response"] in ("utter_ask_rephrase", "utter_offer_human")


def test_an_answer_misread_as_another_trigger_is_still_an_answer():
    shopper = Shopper("en")
    shopper.send("app login", "troubleshoot_app_login")
    shopper.send("still not working", "troubleshoot_router")
    assert shopper.slots["flow_id"] == "app_login" and shopper.slots["flow_step"] == "force_quit"


def test_an_answer_misread_as_an_faq_moves_the_flow_without_an_faq_reply():
    shopper = Shopper("en")
    shopper.send("app login", "troubleshoot_app_login")
    shopper.send("still not working", "faq")
    assert shopper.slots["flow_step"] == "force_quit"
    assert not any(m.get("response") for m in shopper.last)


def test_goodbye_words_that_answer_the_step_count_and_a_bare_goodbye_says_goodbye():
    shopper = Shopper("zh")
    shopper.send("登录不上", "troubleshoot_app_login")
    shopper.send("再见", "goodbye")
    assert [m.get("response") for m in shopper.last] == ["utter_goodbye"]
    assert shopper.slots["flow_step"] == "network"  # kept, to be offered next time
    shopper.send("登录不上", "troubleshoot_app_login")
    shopper.press("重新开始")
    shopper.send("好了,可以登录了", "goodbye")
    assert shopper.slots["flow_id"] is None
