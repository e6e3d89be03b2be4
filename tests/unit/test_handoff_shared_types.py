"""Statuses as an enum, queues from routing.yml, timestamps always UTC."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Column, Integer, MetaData, Table, create_engine, select

from common.statuses import OPEN, QUEUED, STATUSES, WORKING, TicketStatus
from handoff import queues
from handoff.config import PACKAGE_DIR
from handoff.routing import Routing
from handoff.utc import UTCDateTime


def test_statuses_are_an_enum_that_reads_as_the_stored_strings():
    assert STATUSES == ("waiting", "assigned", "active", "transferred", "resolved")
    assert TicketStatus.WAITING == "waiting" and "active" in WORKING and "transferred" in QUEUED
    assert set(OPEN) == set(TicketStatus) - {TicketStatus.RESOLVED}
    assert json.dumps({"status": TicketStatus.ACTIVE}) == '{"status": "active"}'
    assert f"{TicketStatus.RESOLVED}" == str(TicketStatus.RESOLVED) == "resolved"


def test_queues_are_those_of_the_routing_file(tmp_path: Path):
    rules = yaml.safe_load((PACKAGE_DIR / "routing.yml").read_text(encoding="utf-8"))
    assert queues.configured() == tuple(rules["queues"])
    assert Routing.load(PACKAGE_DIR / "routing.yml").queues == tuple(rules["queues"])
    rules["queues"]["vip_desk"] = {"sla_minutes": 5, "intents": []}
    changed = tmp_path / "routing.yml"
    changed.write_text(yaml.safe_dump(rules), encoding="utf-8")
    assert queues.configured(changed)[-1] == "vip_desk"
    assert queues.unknown(["vip_desk", "nowhere"], queues.configured(changed)) == ["nowhere"]


def test_a_routing_file_pointing_at_an_undefined_queue_is_refused(tmp_path: Path):
    rules = yaml.safe_load((PACKAGE_DIR / "routing.yml").read_text(encoding="utf-8"))
    rules["triggers"] = {"complaint": "escalations"}
    bad = tmp_path / "routing.yml"
    bad.write_text(yaml.safe_dump(rules), encoding="utf-8")
    with pytest.raises(ValueError, match="escalations"):
        Routing.load(bad)


def test_utc_column_reads_back_aware_utc_on_sqlite():
    engine = create_engine("sqlite://", future=True)
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True),
                  Column("at", UTCDateTime()))
    table.metadata.create_all(engine)
    shanghai = timezone(timedelta(hours=8))
    written = datetime(2026, 1, 2, 18, 30, tzinfo=shanghai)
    with engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "at": written},
                                      {"id": 2, "at": datetime(2026, 1, 2, 10, 30)}])
        rows = dict(conn.execute(select(table.c.id, table.c.at)).all())
        # compared in the database as UTC: 18:30+08 is 10:30 UTC
        later = conn.execute(select(table.c.id).where(
            table.c.at >= datetime(2026, 1, 2, 10, 0, tzinfo=timezone.utc))).scalars().all()
    assert rows[1] == written and rows[1].tzinfo == timezone.utc
    assert rows[2] == datetime(2026, 1, 2, 10, 30, tzinfo=timezone.utc)
    assert sorted(later) == [1, 2]
