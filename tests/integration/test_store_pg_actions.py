"""The order actions' happy paths and refusals again, on the real PostgreSQL.

Reuses the SQLite unit tests' bodies with a `store` fixture that points STORE_URL at a
private schema (search_path in the URL), so parallel runs never share tables.
"""
from __future__ import annotations

import pytest

from tests.integration.pg_store import seeded_schema, unit_cases

pytestmark = pytest.mark.integration

cases = unit_cases("test_order_actions")


@pytest.fixture()
def store(monkeypatch):
    yield from seeded_schema(monkeypatch, "orders")


test_identified_customer_gets_last_tracking_event = cases.test_identified_customer_gets_last_tracking_event
test_foreign_order_gets_the_unknown_order_reply = cases.test_foreign_order_gets_the_unknown_order_reply
test_unidentified_shopper_must_verify = cases.test_unidentified_shopper_must_verify
test_wrong_attempts_are_rate_limited = cases.test_wrong_attempts_are_rate_limited
test_shipped_order_cannot_be_cancelled = cases.test_shipped_order_cannot_be_cancelled
test_paid_order_is_cancelled_with_refund = cases.test_paid_order_is_cancelled_with_refund
test_change_address_before_shipment = cases.test_change_address_before_shipment
test_return_request_and_refund_status = cases.test_return_request_and_refund_status
test_damaged_item_opens_priority_case = cases.test_damaged_item_opens_priority_case
test_goodwill_never_above_never_twice = cases.test_goodwill_never_above_never_twice
test_malformed_order_number = cases.test_malformed_order_number
test_metadata_posted_to_rest_identifies_nobody = cases.test_metadata_posted_to_rest_identifies_nobody
