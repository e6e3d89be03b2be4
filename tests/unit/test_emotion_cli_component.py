"""The CLI contract (PRODUCT.md §7) via subprocess, and the Rasa graph component's process()."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(stdin: str) -> list:
    env = dict(os.environ, FRONTLINE_EMOTION_MODEL="/nonexistent/emotion.npz", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "bot.emotion"], input=stdin.encode("utf-8"),
        capture_output=True, cwd=ROOT, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
    return [json.loads(line) for line in proc.stdout.decode("utf-8").splitlines()]


def test_cli_one_json_object_per_line():
    lines = ["我要投诉你们！！！", "", "谢谢，问题解决了", "WHERE IS MY ORDER??? I'm furious", "请问包邮吗"]
    out = run_cli("\n".join(lines) + "\n")
    assert len(out) == len(lines)
    for obj in out:
        assert {"label", "negative", "score", "cues"} <= set(obj)
        assert obj["label"] in {"angry", "anxious", "sad", "neutral", "happy"}
        assert isinstance(obj["negative"], bool) and 0 <= obj["score"] <= 1
        assert isinstance(obj["cues"], list)
    assert out[0]["label"] == "angry" and out[0]["negative"] and "complaint_threat" in out[0]["risk_flags"]
    assert out[1] == {"label": "neutral", "negative": False, "score": 0.0, "cues": [], "risk_flags": []}
    assert out[2]["label"] == "happy"
    assert out[3]["negative"] and out[3]["label"] == "angry"
    assert not out[4]["negative"]


def test_cli_without_trailing_newline_and_crlf():
    out = run_cli("很不满意\r\n不是不满意")
    assert len(out) == 2
    assert out[0]["negative"] and not out[1]["negative"]


rasa = pytest.importorskip("rasa")


def test_component_sets_emotion_on_messages(monkeypatch):
    from rasa.shared.nlu.training_data.message import Message

    from bot.emotion import model as emotion_model
    from bot.emotion.component import EmotionAnalyzer

    monkeypatch.setenv("FRONTLINE_EMOTION_MODEL", "/nonexistent/emotion.npz")
    emotion_model.reset_cache()
    component = EmotionAnalyzer.create(EmotionAnalyzer.get_default_config(), None, None, None)
    messages = [Message(data={"text": t}) for t in ["气死我了，我要投诉！！！", "thanks, great help", ""]]
    out = component.process(messages)
    assert out is messages
    angry, happy, empty = (m.get("emotion") for m in out)
    assert angry["label"] == "angry" and angry["negative"] and "complaint_threat" in angry["risk_flags"]
    assert happy["label"] == "happy" and not happy["negative"]
    assert empty["label"] == "neutral"
    # add_to_output=True: the emotion is part of the parse data, so it lands in the tracker.
    assert "emotion" in out[0].as_dict_nlu() or "emotion" in out[0].output_properties
    emotion_model.reset_cache()


def test_model_path_option_is_the_components_own_not_the_process_environment(monkeypatch):
    from rasa.shared.nlu.training_data.message import Message

    from bot.emotion import model as emotion_model
    from bot.emotion.component import EmotionAnalyzer

    monkeypatch.delenv("FRONTLINE_EMOTION_MODEL", raising=False)
    seen = []
    real = emotion_model.get_model

    def spy(path=None):
        seen.append(path)
        return real(path)
    monkeypatch.setattr("bot.emotion.analyzer.get_model", spy)
    config = dict(EmotionAnalyzer.get_default_config(), model_path="/nonexistent/other.npz")
    component = EmotionAnalyzer.create(config, None, None, None)
    assert "FRONTLINE_EMOTION_MODEL" not in __import__("os").environ
    component.process([Message(data={"text": "气死我了"})])
    assert seen and all(str(p) == "/nonexistent/other.npz" for p in seen)
    emotion_model.reset_cache()
