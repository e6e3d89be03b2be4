"""The conversation set (tests/conversations/) on a stack of its own: ≥ 95 % per language.

Its own stack and database, because the set cancels orders and opens returns on the demo shop's
orders: on the shared e2e stack it would change the orders other end-to-end tests rely on.

The failures are listed in the assertion message (the turn that broke, what the bot said and
which check failed); `make eval-conversations` gives the same report with per-category rates.
"""
from __future__ import annotations

from scripts.conversations import orders, report, spec
from scripts.conversations.fresh_stack import fresh_stack
from scripts.conversations.play import Target, play_all
from scripts.eval_conversations import SET

MIN_RATE = 95.0


def test_conversation_set_passes_per_language():
    conversations = spec.load(SET)
    allocation = orders.allocate(conversations, orders.demo_orders())
    with fresh_stack() as stack:
        results = play_all(Target(stack.rasa_url, stack.rasa_token), conversations, allocation,
                           workers=4)
    rates = report.rates(results, "language")
    low = {lang: f"{report.pct(ok, n):.1f} % ({ok}/{n})" for lang, (ok, n) in rates.items()
           if report.pct(ok, n) < MIN_RATE}
    failures = "\n".join(report.failure_text(r) for r in results if not r.ok)
    assert set(rates) == {"zh", "en"}
    assert not low, f"below {MIN_RATE} %: {low}\n{failures}"
