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


test_four_digits_open_one_order_and_link_nothing = cases.test_four_digits_open_one_order_and_link_nothing
test_a_shop_linked_identity_is_known_on_its_channel = cases.test_a_shop_linked_identity_is_known_on_its_channel
test_only_identifiers_the_input_channel_vouches_for_count = \
    cases.test_only_identifiers_the_input_channel_vouches_for_count
test_wrong_phone_links_nothing_and_counts = cases.test_wrong_phone_links_nothing_and_counts
