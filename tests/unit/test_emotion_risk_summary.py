"""Risk flags, the conversation summary and the escalation criterion."""
from __future__ import annotations

import pytest

from bot.emotion import analyze, emotions_from_tracker_events, should_escalate, summarize
from bot.emotion import model as emotion_model


TRAINED = emotion_model.model_path()


@pytest.fixture(autouse=True, params=["lexicon", pytest.param("trained", marks=pytest.mark.skipif(
    not TRAINED.exists(), reason="run `python -m bot.emotion.train` first"))])
def mode(request, monkeypatch):
    path = TRAINED if request.param == "trained" else "/nonexistent/emotion.npz"
    monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", str(path))
    emotion_model.reset_cache()
    yield request.param
    emotion_model.reset_cache()


@pytest.mark.parametrize("text,flag", [
    ("再不处理我就打12315", "consumer_association_12315"),
    ("我要去消协投诉你们", "consumer_association_12315"),
    ("我要投诉", "complaint_threat"),
    ("给你们差评", "bad_review"),
    ("I'll leave a one star review", "bad_review"),
    ("马上给我退款", "refund_demand"),
    ("I want my money back", "refund_demand"),
    ("我已经申请拒付了", "chargeback"),
    ("I will file a chargeback with my bank", "chargeback"),
    ("我要找律师起诉你们", "legal_threat"),
    ("my lawyer will hear about this", "legal_threat"),
    ("以后去京东买了", "competitor"),
    ("I'm buying from Amazon instead", "competitor"),
])
def test_risk_flags(text, flag):
    assert flag in analyze(text).risk_flags


def test_no_false_risk_flags():
    assert analyze("请问包邮吗").risk_flags == []
    assert analyze("Is this ticket refundable?").risk_flags == []
    assert "legal_threat" not in analyze("The suede jacket is nice").risk_flags


def test_should_escalate():
    assert should_escalate(analyze("我要去12315投诉你们"))
    assert should_escalate(analyze("气死我了，什么垃圾服务！！！"))
    assert should_escalate(analyze("This is RIDICULOUS, I'm furious!!!").to_dict())
    assert not should_escalate(analyze("我想退款，怎么操作"))  # calm refund request
    assert not should_escalate(analyze("我要退款"))
    assert should_escalate(analyze("太垃圾了，我要退款！！！"))
    assert should_escalate(analyze("受够了，以后去京东买"))
    assert not should_escalate({"label": "angry", "negative": True, "score": 0.99, "cues": [], "risk_flags": []})
    assert not should_escalate(analyze("请问包邮吗"))
    assert not should_escalate(None)
    assert not should_escalate({"label": "sad", "negative": True, "score": 0.9, "risk_flags": []})


def test_a_poor_signal_is_a_symptom_not_anger():
    # what the troubleshooting flows are for: no offer of a human instead of the flow
    for text in ("wifi信号很差", "网速很差", "手机信号也太差了", "the wifi signal is terrible",
                 "my internet speed is awful"):
        assert analyze(text).cues == [] and not should_escalate(analyze(text)), text
    # the same words about the shop, or with a feeling beside them, still count
    assert analyze("你们服务很差").cues == ["很差"]
    assert analyze("the wifi is down and your support is useless").cues == ["useless"]
    assert analyze("WiFi信号很差 气死我了").cues == ["气死"]


def test_summary_trajectory_peak_share():
    texts = ["你好，我的订单到哪了", "怎么还没发货啊，很着急", "气死我了，我要投诉！！！", "好的"]
    emotions = [analyze(t).to_dict() for t in texts]
    summary = summarize(emotions)
    assert summary.trajectory == [e["label"] for e in emotions]
    assert summary.trajectory[0] == "neutral" and summary.trajectory[2] == "angry"
    assert summary.current == emotions[-1]
    assert summary.peak == emotions[2]
    assert summary.negative_share == 0.5
    assert "complaint_threat" in summary.risk_flags
    assert "投诉" in summary.cues
    assert summary.messages == 4
    d = summary.to_dict()
    assert set(d) >= {"current", "peak", "trajectory", "negative_share", "cues", "risk_flags"}


def test_summary_of_nothing_and_trend():
    empty = summarize([])
    assert empty.trajectory == [] and empty.negative_share == 0.0 and empty.current["label"] == "neutral"
    worse = summarize([analyze(t) for t in ["hi", "where is my order", "WHY IS IT LATE??? I'm furious!!!",
                                             "worst service ever, I want a refund NOW!!!"]])
    assert worse.trend == "worsening"


def test_emotions_from_tracker_events():
    events = [
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": "hi", "parse_data": {"emotion": {"label": "neutral", "negative": False}}},
        {"event": "bot", "text": "hello"},
        {"event": "user", "text": "x", "parse_data": {}},
        {"event": "user", "text": "!!", "parse_data": {"emotion": {"label": "angry", "negative": True}}},
    ]
    assert [e["label"] for e in emotions_from_tracker_events(events)] == ["neutral", "angry"]
