"""Guided troubleshooting flows through the running assistant (REST channel).

Every flow is walked to its resolved end and to its escalate end in Chinese and in
English; then digression, coming back later, cancel and unknown buttons. Buttons are
pressed by sending their payload, as the web widget does.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List

import pytest

TRIGGERS = {
    "app_login": {"zh": "App登录不上", "en": "i cant log in to the app"},
    "camera_wifi": {"zh": "摄像头连不上网", "en": "my camera went offline"},
    "router_firmware": {"zh": "路由器升级后上不了网", "en": "my router has no internet after the firmware update"},
    "smart_home_pairing": {"zh": "智能家居套装怎么安装", "en": "how do i set up the smart home kit"},
}
# one button (option id) per step, from the first question to the end
WALKS = {
    ("app_login", "resolved"): ["still", "skip", "done"],
    ("app_login", "escalate"): ["still", "still", "still", "outage"],
    ("camera_wifi", "resolved"): ["still", "blinking", "still", "done"],
    ("camera_wifi", "escalate"): ["still", "blinking", "still", "still"],
    ("router_firmware", "resolved"): ["wan_on", "still", "no_account", "got_it", "done"],
    ("router_firmware", "escalate"): ["wan_off", "los_red"],
    ("smart_home_pairing", "resolved"): ["ready", "added", "added", "next_device", "failed", "added", "all_done"],
    ("smart_home_pairing", "escalate"): ["one_name", "cannot"],
}
INTRO = {"zh": "一步步帮您排查", "en": "step by step"}
CSAT = {"zh": "打个分", "en": "rate this troubleshooting"}


def texts(messages: List[Dict[str, Any]]) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def buttons(messages: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def option_of(button: Dict[str, str]) -> str:
    payload = button["payload"]
    return json.loads(payload[payload.index("{"):])["flow_option"]


def press(chat, sender: str, messages: List[Dict[str, Any]], option: str) -> List[Dict[str, Any]]:
    for button in buttons(messages):
        if "flow_option" in button["payload"] and option_of(button).split(":")[-1] == option:
            return chat(sender, button["payload"])
    raise AssertionError(f"no button '{option}' in {buttons(messages)}")


def events(tracker, sender: str) -> List[Dict[str, Any]]:
    return tracker(sender)["events"]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("flow_id,end", sorted(WALKS))
def test_flow_walks_to_its_end(chat, tracker, sender, flow_id, end, language):
    reply = chat(sender, TRIGGERS[flow_id][language])
    assert INTRO[language] in texts(reply), reply
    assert tracker(sender)["slots"]["flow_id"] == flow_id
    for option in WALKS[(flow_id, end)]:
        reply = press(chat, sender, reply, option)
    state = tracker(sender)
    record = state["slots"]["flow_record"]
    assert state["slots"]["flow_id"] is None
    assert [e.get("option") for e in record if e.get("option")] == WALKS[(flow_id, end)]
    assert all(e["flow"] == flow_id and e["prompt"] and e["at"] for e in record)
    if end == "resolved":
        assert CSAT[language] in texts(reply)
        assert [b["title"] for b in buttons(reply)] == ["1", "2", "3", "4", "5"]
        chat(sender, buttons(reply)[4]["payload"])
        assert tracker(sender)["slots"]["csat_score"] == "5"
    else:
        log = events(tracker, sender)
        assert any(e["event"] == "slot" and e["name"] == "handoff_trigger" and e["value"] == "flow_unresolved"
                   for e in log)
        assert [e["name"] for e in log if e["event"] == "action"][-1] == "action_handoff"


@pytest.mark.parametrize("language,trigger,done,still", [
    ("zh", "App登录不上", "好了,可以登录了", "还是不行"),
    ("en", "i cant log in to the app", "it works now", "still not working"),
])
def test_typed_answers_move_the_flow(chat, tracker, sender, language, trigger, done, still):
    chat(sender, trigger)
    chat(sender, still)
    assert tracker(sender)["slots"]["flow_step"] == "force_quit"
    reply = chat(sender, done)
    assert CSAT[language] in texts(reply)
    assert tracker(sender)["slots"]["flow_record"][-1]["typed"] == done


@pytest.mark.parametrize("language,faq,faq_words,again", [
    ("zh", "包邮吗", "包邮", "继续刚才的排查"),
    ("en", "is shipping free", "or more", "Back to where we were"),
])
def test_digression_is_answered_then_the_step_is_asked_again(chat, tracker, sender, language, faq, faq_words, again):
    reply = chat(sender, TRIGGERS["router_firmware"][language])
    reply = press(chat, sender, reply, "wan_on")
    step = tracker(sender)["slots"]["flow_step"]
    reply = chat(sender, faq)
    assert faq_words in texts(reply) and again in texts(reply)
    assert {option_of(b) for b in buttons(reply)} == {f"{step}:done", f"{step}:still"}
    reply = press(chat, sender, reply, "done")
    assert CSAT[language] in texts(reply)


def test_coming_back_in_a_new_session_offers_to_continue(chat, tracker, sender):
    reply = chat(sender, TRIGGERS["smart_home_pairing"]["zh"])
    reply = press(chat, sender, reply, "ready")
    chat(sender, "/session_start")
    reply = chat(sender, "你好")
    assert "欢迎回来" in texts(reply) and "要从这里继续吗" in texts(reply)
    reply = chat(sender, buttons(reply)[0]["payload"])  # 继续
    assert tracker(sender)["slots"]["flow_step"] == "gateway"
    assert "先添加网关" in texts(reply)


def test_coming_back_after_other_talk_offers_to_continue(chat, tracker, sender):
    reply = chat(sender, TRIGGERS["camera_wifi"]["en"])
    press(chat, sender, reply, "still")
    assert "Let's reset" in texts(chat(sender, "thanks"))  # thanks, and the step again
    chat(sender, "are you a bot?")  # other talk: the flow is paused
    reply = chat(sender, "my camera went offline")
    assert "Shall we continue" in texts(reply)
    reply = chat(sender, buttons(reply)[1]["payload"])  # start over
    assert tracker(sender)["slots"]["flow_step"] in ("basics", "basics_known_model")


@pytest.mark.parametrize("language,words,polite", [
    ("zh", "算了,不弄了", "已停止排查"),
    ("en", "stop", "stopped the troubleshooting"),
])
def test_cancel_ends_politely(chat, tracker, sender, language, words, polite):
    reply = chat(sender, TRIGGERS["app_login"][language])
    press(chat, sender, reply, "still")
    reply = chat(sender, words)
    assert polite in texts(reply)
    slots = tracker(sender)["slots"]
    assert slots["flow_id"] is None and slots["flow_record"][-1]["answer"] == "cancelled"
    assert not any(e["event"] == "action" and e["name"] == "action_handoff" for e in events(tracker, sender))


def test_unknown_and_stale_buttons_keep_the_flow_where_it_was(chat, tracker, sender):
    reply = chat(sender, TRIGGERS["app_login"]["en"])
    first = reply
    reply = chat(sender, '/inform{"flow_option":"network:explode"}')
    assert "isn't valid" in texts(reply) and tracker(sender)["slots"]["flow_step"] == "network"
    chat(sender, "/no_such_intent")  # an unknown intent payload does not break the flow
    reply = press(chat, sender, first, "still")
    assert tracker(sender)["slots"]["flow_step"] == "force_quit"
    reply = press(chat, sender, first, "still")  # the old step's button again
    assert "earlier step" in texts(reply) and tracker(sender)["slots"]["flow_step"] == "force_quit"
