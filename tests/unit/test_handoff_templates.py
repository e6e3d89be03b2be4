"""Summary and first-sentence templates, escaping, request signing, CSAT parsing."""
from __future__ import annotations

from common import signing
from common.ticket import Ticket, mask_phone
from handoff.render import environment, fill
from handoff.shopper import parse_csat

BASE = dict(
    conversation_id="c1", trigger="negative_emotion", channel="socketio", language="zh",
    top_intent={"name": "logistics_problem", "confidence": 0.93},
    customer={"name": "王先生", "tier": "vip"},
    order={"order_id": "E202611180042", "status": "delivered", "amount": 1299.0,
           "items": [{"name": "咖啡机", "qty": 1}], "carrier": "顺丰",
           "tracking_no": "SF1234567890123", "last_event": "已签收", "hours_stale": 30},
    emotion={"current": "angry", "peak": "angry", "negative_share": 0.6,
             "cues": ["没收到"], "risk_flags": ["12315"]},
    flow_steps=[{"flow": "f", "step": "s", "prompt": "查看门口了吗?", "answer": "看了"}])


def test_summary_and_first_sentence_in_both_languages():
    ticket = fill(Ticket.from_dict(BASE))
    zh, en = ticket.summary["zh"], ticket.summary["en"]
    for part in ("王先生", "vip会员", "网页聊天", "物流异常", "0.93", "E202611180042", "已签收",
                 "¥1299.0", "SF1234567890123", "30小时", "愤怒", "60%", "没收到", "12315",
                 "查看门口了吗?→看了"):
        assert part in zh, part
    for part in ("web chat", "delivery problem", "tracking SF1234567890123", "30 hours",
                 "angry", "60% of messages negative", "12315"):
        assert part in en, part
    assert "\n" not in zh and "  " not in en
    assert ticket.first_sentence["zh"].startswith("王先生您好")
    assert "已签收" in ticket.first_sentence["zh"] and "抱歉" in ticket.first_sentence["zh"]
    assert ticket.first_sentence["en"].startswith("Hello 王先生")


def test_minimal_ticket_still_renders():
    ticket = fill(Ticket(conversation_id="x", trigger="fallback", language="en"))
    assert "failed to understand twice" in ticket.summary["en"]
    assert "机器人两次未能理解" in ticket.summary["zh"]
    assert ticket.first_sentence["zh"].endswith("您不用再重复说明。")
    assert "sorry" not in ticket.first_sentence["en"].lower()  # calm shopper, no apology


def test_text_templates_are_plain_and_html_templates_escape():
    ticket = fill(Ticket.from_dict({**BASE, "customer": {"name": "<script>x</script>"}}))
    assert "<script>x</script>" in ticket.summary["en"]  # text: escaped where it is shown
    env = environment()
    assert env.from_string("{{ v }}").render(v="<b>") == "<b>"
    html = env.get_template("summary_card.html.j2").render(ticket=ticket, lang="en")
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html


def test_signature_verification():
    body = b'{"a": 1}'
    headers = signing.sign("s3cret", "POST", "/api/bot/handoffs", body, now=1000)
    assert signing.verify("s3cret", "POST", "/api/bot/handoffs", body, headers, now=1010)
    assert not signing.verify("other", "POST", "/api/bot/handoffs", body, headers, now=1010)
    assert not signing.verify("s3cret", "POST", "/api/bot/other", body, headers, now=1010)
    assert not signing.verify("s3cret", "POST", "/api/bot/handoffs", b"{}", headers, now=1010)
    assert not signing.verify("s3cret", "POST", "/api/bot/handoffs", body, headers, now=2000)
    assert not signing.verify("s3cret", "POST", "/api/bot/handoffs", body, {}, now=1000)


def test_csat_and_phone_masking():
    assert [parse_csat(t) for t in ("5", "4分", " 3 ", "五星", "2 stars", "1/5")] == [5, 4, 3, 5, 2, 1]
    assert [parse_csat(t) for t in ("6", "E2026", "谢谢", "", "15")] == [None] * 5
    assert mask_phone("13812345678") == "138****5678" and mask_phone(None) is None
