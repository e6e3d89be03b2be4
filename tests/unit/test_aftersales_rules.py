"""The compensation authorization matrix and the cases' resolution SLA (pure rules)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from handoff.aftersales.authority import APPROVAL, GRANT, REFUSED, Counts, Matrix
from handoff.aftersales.config import CaseConfig
from handoff.aftersales.notify import progress_text, relay_item

M = Matrix.load()  # the shipped handoff/compensation.yml
NONE = Counts()


def test_within_the_agents_limit_is_granted_at_once():
    assert M.decide("junior", "late_delivery", "coupon", Decimal("20"), NONE).outcome == GRANT
    assert M.decide("junior", "damaged_item", "refund", Decimal("50"), NONE).outcome == GRANT


def test_above_the_amount_goes_to_a_supervisor_with_the_reason():
    decision = M.decide("junior", "late_delivery", "coupon", Decimal("20.01"), NONE)
    assert decision.outcome == APPROVAL
    assert "20" in decision.why and "junior" in decision.why


def test_reason_row_overrides_the_star_row():
    # a junior may refund for damage, not for late delivery ("*" row has no refund)
    assert M.decide("junior", "damaged_item", "refund", Decimal("30"), NONE).outcome == GRANT
    late = M.decide("junior", "late_delivery", "refund", Decimal("30"), NONE)
    assert late.outcome == APPROVAL and "not allowed" in late.why


def test_counts_per_order_and_per_customer_month():
    assert M.decide("junior", "wrong_item", "coupon", Decimal("5"),
                    Counts(order=1)).outcome == APPROVAL
    assert M.decide("junior", "wrong_item", "coupon", Decimal("5"),
                    Counts(order=0, customer_month=2)).outcome == APPROVAL
    assert M.decide("junior", "wrong_item", "coupon", Decimal("5"),
                    Counts(order=0, customer_month=1)).outcome == GRANT


def test_beyond_the_supervisor_is_refused_and_supervisors_never_self_approve():
    assert M.decide("junior", "damaged_item", "refund", Decimal("2000.01"),
                    NONE).outcome == REFUSED
    assert M.decide("supervisor", "damaged_item", "refund", Decimal("2000"),
                    NONE).outcome == GRANT
    # a supervisor above their own limit cannot route it to themselves
    assert M.decide("supervisor", "damaged_item", "refund", Decimal("2500"),
                    NONE).outcome == REFUSED


def test_levels_of_accounts():
    assert M.level_of("agent", None) == "junior"
    assert M.level_of("agent", "senior") == "senior"
    assert M.level_of("supervisor", None) == "supervisor"
    assert M.level_of("agent", "no-such-level") == "junior"


def test_bad_requests_are_errors_not_grants():
    with pytest.raises(ValueError):
        M.decide("junior", "late_delivery", "cash", Decimal("1"), NONE)
    with pytest.raises(ValueError):
        M.decide("junior", "because", "coupon", Decimal("1"), NONE)
    with pytest.raises(ValueError):
        M.decide("junior", "late_delivery", "coupon", Decimal("0"), NONE)


def test_matrix_file_errors_are_caught_at_load():
    with pytest.raises(ValueError):
        Matrix.parse({"kinds": ["coupon"], "limits": {"junior": {"*": {}}}})  # no supervisor
    with pytest.raises(ValueError):
        Matrix.parse({"kinds": ["coupon"], "default_level": "junior", "limits": {
            "supervisor": {"*": {"cash": {"amount": 1, "per_order": 1,
                                          "per_customer_month": 1}}}}})


def test_resolution_sla_per_kind_and_priority():
    config = CaseConfig.load()
    opened = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
    assert config.department_for("not_received") == "logistics"
    assert config.department_for("refund") == "finance"
    assert config.due_at("not_received", "normal", opened) == opened + timedelta(hours=72)
    assert config.due_at("damaged_item", "high", opened) == opened + timedelta(hours=24)
    # an unknown kind still gets an owner and a deadline
    assert config.department_for("mystery") in config.departments
    assert config.due_at("mystery", "normal", opened) > opened


def test_progress_text_in_the_shoppers_language():
    case = {"id": 7, "case_ref": "AS20261129000001", "kind": "not_received",
            "status": "waiting_carrier", "language": "en", "conversation_id": "c1",
            "channel": "socketio"}
    assert progress_text(case) == ("Update on your case AS20261129000001 (parcel not "
                                   "received): waiting for the carrier.")
    zh = progress_text(dict(case, language="zh"), note="已联系顺丰")
    assert "AS20261129000001" in zh and "等待快递公司" in zh and "已联系顺丰" in zh
    item = relay_item(case, 42)
    assert item["relay_id"] == "case:7:42" and item["kind"] == "case_progress"
    assert relay_item(dict(case, conversation_id=None), 42) is None
