"""Shop hours decide whether a transfer promises a human now or at opening time."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from handoff.config import PACKAGE_DIR
from handoff.routing import Routing

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _hours(tmp_path, monkeypatch, open_at: str, close_at: str) -> Routing:
    policy = tmp_path / "shop.yml"
    policy.write_text(f'hours:\n  open: "{open_at}"\n  close: "{close_at}"\n', encoding="utf-8")
    monkeypatch.setenv("SHOP_POLICY_FILE", str(policy))
    return Routing.load(PACKAGE_DIR / "routing.yml")


@pytest.mark.parametrize("hour,minute", [(0, 0), (8, 59), (12, 0), (23, 59)])
def test_round_the_clock_is_always_open(tmp_path, monkeypatch, hour, minute):
    routing = _hours(tmp_path, monkeypatch, "00:00", "24:00")
    assert routing.open_state(datetime(2026, 11, 23, hour, minute, tzinfo=SHANGHAI)) == (True, None)


def test_closing_time_reopens_next_morning(tmp_path, monkeypatch):
    routing = _hours(tmp_path, monkeypatch, "09:00", "22:00")
    is_open, back = routing.open_state(datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI))
    assert not is_open and back == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    is_open, back = routing.open_state(datetime(2026, 11, 24, 8, 59, tzinfo=SHANGHAI))
    assert not is_open and back == datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)
    assert routing.open_state(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)) == (True, None)
