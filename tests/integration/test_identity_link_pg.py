"""Identity linking on the real PostgreSQL (TEST_PG_URL), in a private schema.

Runs the SQLite cases of tests/unit/test_identity_link_store.py unchanged, with a `store`
fixture whose STORE_URL sets the schema search_path, so parallel runs never share tables.
"""
from __future__ import annotations

import pytest

from tests.integration.pg_store import seeded_schema, unit_cases

pytestmark = pytest.mark.integration

cases = unit_cases("test_identity_link_store")


@pytest.fixture()
def store(monkeypatch):
    yield from seeded_schema(monkeypatch, "idlink")


test_verified_on_web_then_wechat_is_one_customer = cases.test_verified_on_web_then_wechat_is_one_customer
test_recipient_phone_proves_the_order_but_links_nothing = cases.test_recipient_phone_proves_the_order_but_links_nothing
test_only_identifiers_the_input_channel_vouches_for_are_linked = \
    cases.test_only_identifiers_the_input_channel_vouches_for_are_linked
test_verified_app_user_and_wrong_phone = cases.test_verified_app_user_and_wrong_phone
test_shared_browser_follows_who_verified_last = cases.test_shared_browser_follows_who_verified_last
