"""Talk to the running assistant from a terminal over the REST channel (`make chat`)."""
from __future__ import annotations

import json
import os
import sys
import urllib.request
import uuid


def send(url: str, sender: str, text: str) -> list:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"[]")


def main() -> int:
    base = os.environ.get("RASA_URL", "http://127.0.0.1:5005")
    url = f"{base}/webhooks/rest/webhook"
    # The REST channel names the conversation rest:<sender> and identifies nobody.
    sender = os.environ.get("SENDER", f"rest:shell-{uuid.uuid4().hex[:8]}")
    print(f"Talking to {base} as {sender}. Type a message (Ctrl-D to quit).")
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        try:
            replies = send(url, sender, text)
        except OSError as error:
            print(f"!! the bot is not reachable: {error}")
            continue
        for reply in replies:
            if reply.get("text"):
                print(f"bot> {reply['text']}")
            for i, button in enumerate(reply.get("buttons") or [], 1):
                print(f"     [{i}] {button.get('title')}  ({button.get('payload')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
