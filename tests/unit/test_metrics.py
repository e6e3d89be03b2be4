"""Every metric on a constructed history whose right values are worked out by hand."""
from datetime import datetime, timedelta, timezone

import pytest

from handoff.metrics import compute
from handoff.metrics.history import Contact, History, Survey, TicketFact

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
WINDOW = timedelta(hours=72)
SHANGHAI = timezone(timedelta(hours=8))


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def contact(cid, customer, channel, start, outcome, issue, resolved, csat=None, length=5):
    return Contact(cid, customer, channel, at(start), at(start + length), outcome, issue,
                   resolved, csat)


# A asks twice about the same order (web, then WeChat): the first contact was not resolved
# first time. D comes back about something else: first-contact resolved, but not contained.
CONTACTS = [
    contact("a1", "A", "web", 0, "bot_resolved", "order_status", True, csat=5),
    contact("a2", "A", "wechat", 120, "bot_resolved", "order_status", True),
    contact("b1", "B", "web", 10, "handed_off", "return_request", True, csat=1),
    contact("c1", "C", "app", 20, "abandoned", "faq", False),
    contact("d1", "D", "web", -60, "bot_resolved", "coupon_inquiry", True, csat=3),
    contact("d2", "D", "web", 300, "bot_resolved", "faq", True),
    contact("e1", "E", "web", 30, "handed_off", "order_status", False),
]
TICKETS = [
    TicketFact(1, "b1", "web", "after_sales", "customer_request", "ann", at(11),
               claimed_at=at(12), first_response_at=at(13), resolved_at=at(22), csat=4),
    TicketFact(2, "e1", "web", "logistics", "emotion", "bob", at(31), claimed_at=at(31.5),
               first_response_at=at(32)),
    TicketFact(3, "e1", "web", "general", "fallback", None, at(40)),
]
SURVEYS = [Survey("a1", "web", "nps", s, at(6)) for s in (10, 9, 9, 7, 3)] + \
          [Survey("b1", "web", "ces", s, at(23)) for s in (7, 5, 6)]
HISTORY = History(CONTACTS, TICKETS, SURVEYS)


def test_fcr_counts_a_repeat_on_the_same_issue_across_channels():
    # resolved: a1 a2 b1 d1 d2; a1 was followed by a2 on the same issue -> 4 / 5
    assert compute.fcr(CONTACTS, CONTACTS, WINDOW) == 0.8


def test_fcr_ignores_a_repeat_after_the_window():
    late = [contact("f1", "F", "web", 0, "bot_resolved", "x", True),
            contact("f2", "F", "web", 73 * 60, "bot_resolved", "x", True)]
    assert compute.fcr(late, late, WINDOW) == 1.0
    assert compute.fcr(late, late, timedelta(hours=80)) == 0.5


def test_containment_needs_no_follow_up_and_leaves_abandoned_apart():
    # not abandoned: 6; bot-resolved with no later contact: a2, d2 -> 2 / 6
    assert compute.containment(CONTACTS, CONTACTS, WINDOW) == round(2 / 6, 4)
    assert compute.abandonment_rate(CONTACTS) == round(1 / 7, 4)


def test_an_abandoned_chat_is_never_counted_as_contained():
    two = [contact("g1", "G", "web", 0, "bot_resolved", "faq", True),
           contact("h1", "H", "web", 0, "abandoned", "faq", False)]
    assert compute.containment(two, two, WINDOW) == 1.0
    assert compute.containment(two[1:], two, WINDOW) is None
    assert compute.fcr(two[1:], two, WINDOW) is None


def test_transfer_rate_and_by_reason():
    assert compute.transfer_rate(CONTACTS) == round(2 / 7, 4)
    assert compute.transfer_by_reason(CONTACTS, TICKETS) == {
        "customer_request": round(1 / 7, 4), "emotion": round(1 / 7, 4),
        "fallback": round(1 / 7, 4)}


def test_first_response_and_handling_time():
    assert compute.first_response_s(TICKETS) == 90.0  # (120 + 60) / 2; ticket 3 unanswered
    assert compute.aht_s(TICKETS) == 600.0  # only ticket 1 is resolved: 12 -> 22 min


def test_csat_bot_excludes_handed_off_conversations_and_csat_human_is_per_ticket():
    assert compute.csat_bot(CONTACTS) == 4.0  # a1 5, d1 3; b1's 1 belongs to a handoff
    assert compute.csat_human(TICKETS) == 4.0


def test_nps_and_ces():
    assert compute.nps(SURVEYS) == 40.0  # 3 promoters, 1 detractor of 5
    assert compute.ces(SURVEYS) == 6.0
    assert compute.nps([Survey("x", "web", "nps", 6, T0)]) == -100.0


def test_an_empty_history_gives_null_everywhere():
    empty = compute.figures(History(), WINDOW)
    for name in ("fcr", "containment", "transfer_rate", "first_response_s", "aht_s",
                 "csat_bot", "csat_human", "nps", "ces"):
        assert empty[name] is None, name
    assert empty["contacts"] == 0 and empty["transfer_by_reason"] == {}


def test_breakdowns_per_agent_queue_channel_and_day():
    report = compute.report(HISTORY, WINDOW, SHANGHAI)
    agents = {row["key"]: row for row in report["by_agent"]}
    assert set(agents) == {"ann", "bob"}
    assert agents["ann"]["aht_s"] == 600.0 and agents["ann"]["first_response_s"] == 120.0
    assert agents["bob"]["aht_s"] is None and agents["bob"]["csat_human"] is None
    queues = {row["key"]: row for row in report["by_queue"]}
    assert queues["general"]["tickets"] == 1 and queues["general"]["first_response_s"] is None
    channels = {row["key"]: row for row in report["by_channel"]}
    assert channels["web"]["contacts"] == 5 and channels["web"]["transfer_rate"] == 0.4
    # a1 (web) was repeated on WeChat: the repeat is found across channels
    assert channels["web"]["fcr"] == 0.75 and channels["wechat"]["fcr"] == 1.0
    assert channels["app"]["abandonment_rate"] == 1.0
    days = {row["key"]: row for row in report["by_day"]}
    # d1 started 09:00 Shanghai, the rest the same day; the window is in the report
    assert list(days) == ["2026-11-02"] and days["2026-11-02"]["contacts"] == 7
    assert report["repeat_window_hours"] == 72


@pytest.mark.parametrize("name", ["fcr", "containment", "transfer_rate", "first_response_s",
                                  "aht_s", "csat_bot", "csat_human", "nps", "ces"])
def test_the_report_carries_every_named_metric(name):
    assert name in compute.report(HISTORY, WINDOW, SHANGHAI)


def test_a_repeat_after_the_period_still_counts():
    later = [contact("a3", "D", "web", 400, "bot_resolved", "faq", True)]
    report = compute.report(HISTORY, WINDOW, SHANGHAI, later=later)
    # d2 (faq) is now repeated too: 3 of 5 resolved contacts were first-contact resolved
    assert report["fcr"] == 0.6 and report["contacts"] == 7
