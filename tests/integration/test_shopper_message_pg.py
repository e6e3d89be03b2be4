"""A shopper message's events and its handoff work in one transaction, on PostgreSQL: the unit
tests' cases (tests/unit/test_shopper_message.py) and, with PostgreSQL's real savepoints, the
all-or-nothing of a message whose handoff work fails (SQLite's driver commits a savepoint that
opened the transaction, so there the events would stay recorded, as before)."""
from __future__ import annotations

import time

import pytest

from handoff import shopper
from tests.integration.pg_store import private_schema
from tests.unit.test_shopper_message import (  # noqa: F401  (the same cases on PostgreSQL)
    consume, lane, open_ticket, service_on, shopper_messages, turns,
    test_a_failed_batch_falls_back_to_the_event_alone,
    test_a_message_that_is_no_number_costs_the_survey_no_query,
    test_a_read_model_failure_still_brings_the_message_to_the_ticket,
    test_the_message_and_its_events_take_one_commit)


@pytest.fixture()
def service():
    with private_schema("shopper_msg") as url:
        service = service_on(url)
        yield service
        service.engine.dispose()


def test_a_failed_handoff_records_nothing_and_its_retry_records_everything(service, monkeypatch):
    ticket_id = open_ticket(service)
    events = lane(time.time() + 60)

    def down(db, event, relay_items):
        raise ConnectionError("database gone")
    with monkeypatch.context() as patch:
        patch.setattr(shopper, "handoff_work", down)
        with pytest.raises(ConnectionError):
            consume(service, events, "d")
    assert turns(service) == 0 and shopper_messages(service, ticket_id) == []
    consume(service, events, "d")  # the consumer retries the lane's pending entries
    assert turns(service) == 2 and shopper_messages(service, ticket_id) == ["where is my parcel"]
