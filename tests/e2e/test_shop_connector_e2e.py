"""The shop connector through the running stack and its stand-in shop backend: cancellations
made in conversation (order number, last four phone digits, confirmation) reach the shop once,
whatever the shop does; the shopper hears the truth; the shop's events come in signed.

Each test cancels its own paid-not-shipped demo order (phones 139000000NN: last four 00NN)."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any, Dict, List

import pytest

from actions.texts import text as msg
from common.shop.signing import EVENT_HEADER, shop_secret, sign
from tests.e2e.conftest import post_json
from tests.e2e.test_trust_boundaries_e2e import order_status

CONFIRMED = ("E202600000080", "0027")
DOWN = ("E202600000092", "0030")
SLOW = ("E202600000068", "0024")
REFUSED = ("E202600000104", "0033")
SYNCED = "E202600000116"


def texts(messages) -> str:
    return " ".join(m.get("text") or "" for m in messages)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.fixture
def shop(stack):
    """The stand-in: shop.mode("refuse", reason=...), shop.calls(order) ; back to accept after."""

    class Shop:
        url = stack.shop_url

        def mode(self, mode: str, **extra: Any) -> None:
            post_json(f"{self.url}/behaviour", {"mode": mode, **extra})

        def calls(self, order_id: str) -> List[Dict[str, Any]]:
            return [c for c in get_json(f"{self.url}/calls") if f"/{order_id}/" in c["path"]]

    yield Shop()
    Shop().mode("accept")


def cancel(chat, sender: str, order: tuple) -> str:
    chat(sender, f"please cancel order {order[0]}")
    asked = texts(chat(sender, order[1]))
    assert order[0] in asked  # the confirmation question
    return texts(chat(sender, "yes"))


def shop_notices(tracker, sender: str) -> List[Dict[str, Any]]:
    return [e for e in tracker(sender)["events"] if e.get("event") == "bot"
            and (e.get("metadata") or {}).get("shop")]


def wait_for(predicate, timeout: float = 60.0, every: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(every)
    raise AssertionError("timed out waiting")


def test_confirmed_cancellation_is_told_as_done_and_sent_once(chat, sender, shop, stack):
    answer = cancel(chat, sender, CONFIRMED)
    assert "is cancelled" in answer
    calls = shop.calls(CONFIRMED[0])
    assert [(c["method"], c["path"]) for c in calls] == \
        [("POST", f"/v1/orders/{CONFIRMED[0]}/cancel")]
    assert calls[0]["body"]["refund"]["amount"] and calls[0]["idempotency_key"]
    assert order_status(stack, CONFIRMED[0]) == "cancelled"


def test_shop_down_then_restart_then_delivered_once_and_told(chat, sender, shop, stack, tracker):
    shop.mode("fail")
    answer = cancel(chat, sender, DOWN)
    what = msg("shop_what_cancel", "en", order_id=DOWN[0])
    assert msg("shop_submitted", "en", what=what) in answer and "is cancelled" not in answer
    time.sleep(2)  # a few retries against the shop that is down
    assert shop.calls(DOWN[0]) == []
    stack.kill("actions")  # queued rows live in the database, not in the process
    shop.mode("accept")
    stack.restart("actions")
    told = wait_for(lambda: shop_notices(tracker, sender))
    assert msg("shop_confirmed_later", "en", done="")[:20] in told[0]["text"]
    assert DOWN[0] in told[0]["text"] and told[0]["metadata"]["shop"]["status"] == "accepted"
    time.sleep(3)  # more rounds of the sender: nothing is sent or told twice
    assert len(shop.calls(DOWN[0])) == 1 and len(shop_notices(tracker, sender)) == 1


def test_slow_confirmation_reaches_the_shopper_later(chat, sender, shop, tracker):
    shop.mode("slow", delay=6)
    answer = cancel(chat, sender, SLOW)
    assert msg("shop_submitted", "en", what=msg("shop_what_cancel", "en", order_id=SLOW[0])) \
        in answer
    told = wait_for(lambda: shop_notices(tracker, sender))
    assert SLOW[0] in told[0]["text"] and "confirmed" in told[0]["text"]
    assert len(shop.calls(SLOW[0])) == 1


def test_refusal_is_told_with_the_shops_reason_and_undone(chat, sender, shop, stack):
    shop.mode("refuse", reason="the parcel is already packed")
    answer = cancel(chat, sender, REFUSED)
    assert "the parcel is already packed" in answer and "is cancelled" not in answer
    assert order_status(stack, REFUSED[0]) == "paid"
    assert len(shop.calls(REFUSED[0])) == 1


def _webhook(stack, body: bytes, headers: Dict[str, str]) -> int:
    request = urllib.request.Request(f"{stack.actions_url}/shop/webhooks", body,
                                     {"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_signed_webhooks_only_and_each_event_once(stack):
    event = {"id": "ev-e2e-customer", "type": "customer.updated",
             "data": {"id": "C0036", "name": "Webhook Name", "phone": "13900000036"}}
    body = json.dumps(event).encode()
    secret = shop_secret(stack.env)
    assert _webhook(stack, body, sign("not-the-secret" * 3, body)) == 401
    assert _webhook(stack, body, sign(secret, body, now=time.time() - 3600)) == 401
    assert _webhook(stack, body, {}) == 401
    assert _webhook(stack, body, {**sign(secret, body), EVENT_HEADER: event["id"]}) == 200
    assert _webhook(stack, body, sign(secret, body)) == 200  # a replay: acknowledged, no effect
    bad = json.dumps({**event, "id": "ev-e2e-bad", "data": {"id": "C0036"}}).encode()
    assert _webhook(stack, bad, sign(secret, bad)) == 422
    big = b"{" + b" " * (1024 * 1024 + 10) + b"}"
    assert _webhook(stack, big, sign(secret, big)) in (413, 400)


def test_sync_pulls_what_no_webhook_brought(stack, shop):
    from actions.store import session_scope
    from actions.store.db import get_engine
    from actions.store.models import Order

    record = {"order_id": SYNCED, "status": "shipped", "amount": "59", "created_at":
              "2026-11-20T10:00:00", "customer": {"id": "C0036", "name": "Sync",
                                                  "phone": "13900000036"},
              "items": [{"sku": "MUG-1", "name_zh": "马克杯", "unit_price": "59"}],
              "shipment": {"carrier": "SF", "tracking_no": "SF9988776655443",
                           "shipped_at": "2026-11-21T10:00:00"}}
    post_json(f"{shop.url}/events", {"type": "order.updated", "data": record, "feed_only": True})

    def synced() -> bool:
        with session_scope(get_engine(stack.env["STORE_URL"])) as session:
            return session.get(Order, SYNCED).status == "shipped"
    wait_for(synced, timeout=30)
