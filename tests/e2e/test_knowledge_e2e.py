"""A supervisor's knowledge-base edit changes the running bot's answer: no restart, no
retraining. The question is a long-tail one the model does not know (nlu_fallback)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid

from actions import knowledge
from scripts.stack import ROOT

PASSWORD = "e2e supervisor password"
QUESTION = "who founded the company"


def call(method, url, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, headers, method=method)
    with urllib.request.urlopen(request, timeout=15) as response:
        return response.status, json.loads(response.read() or b"null")


def answer_within(chat, wanted, seconds=10.0):
    """The bot's answer to QUESTION once it contains `wanted` (asked again until then)."""
    deadline, text = time.monotonic() + seconds, ""
    while time.monotonic() < deadline:
        text = " ".join(m.get("text") or "" for m in chat(f"e2e-kb-{uuid.uuid4().hex[:8]}",
                                                          QUESTION))
        if wanted in text:
            return text
        time.sleep(0.5)
    raise AssertionError(f"no {wanted!r} in the bot's answer within {seconds}s: {text}")


def test_a_knowledge_base_edit_changes_the_bots_answer(stack, chat):
    name = f"e2e-sup-{uuid.uuid4().hex[:6]}"
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", name, "--role", "supervisor"],
                   cwd=ROOT, env=dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD), check=True)
    _, session = call("POST", f"{stack.handoff_url}/api/agents/login",
                      {"username": name, "password": PASSWORD})
    token = session["token"]

    # The designers' file (data/kb/company-founders.en.md) answers, quoted and linked.
    first = answer_within(chat, "2019")
    _, listing = call("GET", f"{stack.handoff_url}/api/kb/articles?language=en", token=token)
    article = next(a for a in listing["articles"] if a["slug"] == "company-founders.en")
    assert f"/kb/{article['id']}" in first and "Who founded the shop" in first

    edited = {"title": "Who founded the shop", "language": "en", "tags": ["company", "founders"],
              "body": "The shop was founded in 2021 in Shenzhen by three product designers."}
    status, _ = call("PUT", f"{stack.handoff_url}/api/kb/articles/{article['id']}", edited, token)
    assert status == 200
    assert "three product designers" in answer_within(chat, "2021")

    call("DELETE", f"{stack.handoff_url}/api/kb/articles/{article['id']}", token=token)
    unknown = answer_within(chat, knowledge.unknown("en"))
    assert "2021" not in unknown

    status, created = call("POST", f"{stack.handoff_url}/api/kb/articles", {
        "title": "Company founders", "language": "en", "tags": ["company", "founders"],
        "body": "The company was founded in 2022 and opened its first store that year."}, token)
    assert status == 201
    assert f"/kb/{created['id']}" in answer_within(chat, "2022")

    _, misses = call("GET", f"{stack.handoff_url}/api/kb/misses?days=1", token=token)
    assert any(m["question"] == QUESTION for m in misses["misses"])
    try:
        call("POST", f"{stack.handoff_url}/api/kb/articles", {"title": "x"}, token)
        raise AssertionError("an article without a body was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
