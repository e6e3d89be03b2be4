"""A conversation in the middle of a troubleshooting flow and one in the middle of phone
verification both carry on after the action server is killed (SIGKILL) and restarted: their
state lives in the tracker's slots, not in the action server."""
from __future__ import annotations

from tests.e2e.test_flows_e2e import CSAT, texts
from tests.e2e.test_orders_e2e import LAST_EVENT


def test_flow_and_verification_resume_after_the_action_server_is_killed(chat, tracker, sender,
                                                                          stack):
    chat(sender, "App登录不上")
    chat(sender, "还是不行")
    assert tracker(sender)["slots"]["flow_step"] == "force_quit"
    verifying = f"{sender}-verify"
    chat(verifying, "where is my order", metadata={"channel": "web", "visitor_id": "anon-r"})
    asked = texts(chat(verifying, "E202600000002"))  # the bot now asks for the phone digits
    assert LAST_EVENT not in asked
    stack.kill("actions")
    stack.restart("actions")
    reply = chat(sender, "好了,可以登录了")
    assert CSAT["zh"] in texts(reply), reply
    assert tracker(sender)["slots"]["flow_record"][-1]["typed"] == "好了,可以登录了"
    assert LAST_EVENT in texts(chat(verifying, "0001"))
