"""Each quality-inspection rule on a constructed conversation, and the score."""
from datetime import datetime, timedelta, timezone

import pytest

from handoff.quality import rules as q
from handoff.quality.rules import Conversation, Said

T0 = datetime(2026, 11, 2, 10, 0, tzinfo=timezone.utc)
RULES = q.load()


def by_id(rule_id):
    return next(r for r in RULES.rules if r.id == rule_id)


def conv(*messages, first_reply_after=30, peak=None, case=False):
    return Conversation(list(messages), T0, T0 + timedelta(seconds=first_reply_after), peak, case)


GOOD = conv(Said("shopper", "我的茶叶坏了", emotion="angry"),
            Said("agent", "您好,非常抱歉,我马上为您处理。"),
            Said("bot", "请为本次服务打分"))


def test_a_good_conversation_scores_100():
    assert q.inspect(RULES, GOOD) == (100, [])


@pytest.mark.parametrize("rule_id,conversation", [
    ("forbidden_phrase", conv(Said("agent", "您好,这个不关我的事"))),
    ("forbidden_phrase", conv(Said("agent", "hello"), Said("bot", "whatever"))),
    ("no_greeting", conv(Said("agent", "订单号多少"))),
    ("slow_first_reply", conv(Said("agent", "您好"), first_reply_after=300)),
    ("no_apology_to_angry", conv(Said("shopper", "气死了", emotion="angry"),
                                 Said("agent", "您好,请提供订单号"))),
    ("no_apology_to_angry", conv(Said("agent", "您好,请提供订单号"), peak="angry")),
    ("promise_without_case", conv(Said("agent", "您好,我保证明天到"))),
    ("personal_data", conv(Said("agent", "您好,您的手机是13812345678吗"))),
    ("personal_data", conv(Said("agent", "hi, card 6222020200112233445"))),
])
def test_each_rule_fires_on_its_case(rule_id, conversation):
    hits = q.check(by_id(rule_id), conversation)
    assert hits and hits[0]["rule"] == rule_id
    score, all_hits = q.inspect(RULES, conversation)
    assert score == 100 - sum(by_id(h["rule"]).weight for h in all_hits) and score < 100


def test_the_rules_do_not_fire_where_they_should_not():
    assert not q.check(by_id("promise_without_case"),
                       conv(Said("agent", "您好,我保证明天到"), case=True))
    assert not q.check(by_id("personal_data"), conv(Said("agent", "您好,尾号138****5678")))
    assert not q.check(by_id("personal_data"), conv(Said("shopper", "我的电话13812345678")))
    assert not q.check(by_id("no_apology_to_angry"),
                       conv(Said("shopper", "好的", emotion="positive"), Said("agent", "您好")))
    assert not q.check(by_id("slow_first_reply"), conv(Said("agent", "您好"),
                                                       first_reply_after=119))


def test_evidence_never_repeats_the_personal_data():
    hits = q.check(by_id("personal_data"), conv(Said("agent", "您的手机是13812345678")))
    assert "13812345678" not in hits[0]["evidence"] and "***" in hits[0]["evidence"]


def test_the_score_never_goes_below_zero():
    awful = conv(Said("shopper", "气死了", emotion="angry"),
                 Said("agent", "不关我的事 爱买不买 你自己看 13812345678 我保证"),
                 Said("agent", "没办法 随便你 whatever 13912345678 承诺"), first_reply_after=900)
    assert q.inspect(RULES, awful)[0] == 0


def test_a_bad_rule_file_is_refused():
    with pytest.raises(ValueError):
        q.parse({"rules": [{"id": "x", "kind": "telepathy"}]})
