"""The bot's answer to "where is my case" and the case it hands to the handoff service."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from rasa_sdk.events import SlotSet

from actions.case_status import answer, case_ref_in
from actions.handover.cases import _slot_value


def case(**overrides):
    due = (datetime.now(timezone.utc) + timedelta(hours=30)).isoformat()
    data = {"case_ref": "AS20261129000001", "kind": "not_received", "status": "waiting_carrier",
            "status_text": "正在等待快递公司回复", "kind_text": "未收到货", "due_at": due,
            "overdue": False}
    data.update(overrides)
    return data


def test_answer_lists_status_and_deadline():
    said = answer([case()], "zh")
    assert "AS20261129000001" in said and "未收到货" in said and "正在等待快递公司回复" in said
    assert "预计" in said


def test_late_resolved_none_and_unavailable():
    assert "加急" in answer([case(overdue=True)], "zh")
    assert "due by" not in answer([case(status="resolved", status_text="resolved")], "en")
    assert "can't find" in answer([], "en")
    assert "right now" in answer(None, "en")
    many = answer([case(case_ref=f"AS2026112900000{n}") for n in range(5)], "en")
    assert many.count("Case AS") == 3 and "2 older cases" in many


def test_case_number_in_what_the_shopper_typed():
    assert case_ref_in("售后单号as20261129012345现在什么状态") == "AS20261129012345"
    assert case_ref_in("status of case AC20261128000731?") == "AC20261128000731"
    assert case_ref_in("my case please") is None


def test_the_opened_case_is_read_from_the_actions_events():
    events = [SlotSet("order_id", "E1"), SlotSet("after_sales_case", "AS20261129000001")]
    assert _slot_value(events, "after_sales_case") == "AS20261129000001"
    assert _slot_value(events, "return_id") is None
