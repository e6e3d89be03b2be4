"""How a tracker session becomes a contact: resolved, handed off or abandoned."""
from datetime import datetime, timezone

from handoff.metrics.history import TicketFact
from handoff.metrics.sources import classify


def user(t, intent, **data):
    return ("user", t, intent, None, {"input_channel": "socketio", **data})


def action(t, name):
    return ("action", t, None, name, {})


def test_a_goodbye_after_an_answer_is_resolved_by_the_bot():
    contact = classify([user(1, "faq"), action(2, "utter_faq"), user(3, "goodbye"),
                        action(4, "utter_goodbye")], "s1", [])
    assert (contact.outcome, contact.resolved, contact.issue, contact.channel) == \
        ("bot_resolved", True, "faq", "socketio")


def test_leaving_after_a_fallback_or_inside_a_form_is_abandoned():
    after_fallback = classify([user(1, "order_status"), action(2, "action_order_status"),
                               user(3, "nlu_fallback"), action(4, "action_fallback"),
                               action(5, "action_listen")], "s2", [])
    in_form = classify([user(1, "cancel_order"), ("active_loop", 2, None, None,
                                                  {"name": "order_form"}),
                        action(3, "action_ask_order_id")], "s3", [])
    assert after_fallback.outcome == in_form.outcome == "abandoned"
    assert not after_fallback.resolved and after_fallback.issue == "order_status"


def test_a_ticket_makes_it_handed_off_and_resolved_only_when_every_ticket_is():
    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    open_ticket = TicketFact(1, "s4", "socketio", "general", "request_human", None, at)
    done = TicketFact(2, "s4", "socketio", "general", "request_human", "ann", at,
                      resolved_at=at)
    events = [user(1, "request_human"), action(2, "action_handoff")]
    assert classify(events, "s4", [done]).resolved is True
    assert classify(events, "s4", [done, open_ticket]).resolved is False
    assert classify(events, "s4", [done]).outcome == "handed_off"


def test_the_verified_customer_and_the_bot_csat_are_kept():
    contact = classify([user(1, "order_status"), ("slot", 2, None, None,
                                                  {"name": "customer_id", "value": "C7"}),
                        action(3, "action_order_status"),
                        user(4, "csat_score", text="5", parse_data={"entities": []})], "s5", [])
    assert contact.customer == "C7" and contact.csat_bot == 5
