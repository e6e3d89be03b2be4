"""Jinja2 rendering of the ticket summary and the agent's suggested first sentence.

Templates are plain text (`*.j2`, no autoescape: they are data, escaped wherever they are
shown); HTML templates (`*.html.j2`, the console's) are autoescaped.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Dict

import re

from jinja2 import Environment, FileSystemLoader, select_autoescape

from common.ticket import Ticket
from handoff.config import PACKAGE_DIR

INTENT_LABELS = {
    "request_human": ("要求转人工", "asked for a human"),
    "complain": ("投诉", "complaint"),
    "order_status": ("查询订单状态", "order status"),
    "logistics_problem": ("物流异常", "delivery problem"),
    "change_address": ("修改地址", "change of address"),
    "cancel_order": ("取消订单", "order cancellation"),
    "return_request": ("退货退款", "return or refund"),
    "refund_status": ("退款进度", "refund progress"),
    "damaged_item": ("商品破损或错发", "damaged or wrong item"),
    "coupon_inquiry": ("优惠券咨询", "coupons"),
    "troubleshoot_app_login": ("App登录问题", "app login problem"),
    "troubleshoot_device_network": ("设备联网问题", "device offline"),
    "troubleshoot_router": ("路由器无法上网", "router without internet"),
    "troubleshoot_smart_home_setup": ("智能家居配网", "smart-home pairing"),
    "nlu_fallback": ("未能识别", "not understood"),
}
TRIGGER_LABELS = {
    "request_human": ("顾客主动要求", "the shopper asked for a person"),
    "complaint": ("顾客投诉", "the shopper complained"),
    "flow_unresolved": ("自助排查未解决", "guided troubleshooting did not solve it"),
    "fallback": ("机器人两次未能理解", "the bot failed to understand twice"),
    "negative_emotion": ("顾客情绪明显不满", "the shopper is clearly upset"),
}
CHANNEL_LABELS = {"socketio": ("网页聊天", "web chat"), "wechat": ("微信公众号", "WeChat"),
                  "app": ("App", "the app"), "rest": ("接口", "the API"),
                  "callback": ("接口", "the API")}
EMOTION_LABELS = {"angry": ("愤怒", "angry"), "anxious": ("焦虑", "anxious"),
                  "sad": ("失望", "sad"), "neutral": ("平静", "calm"), "happy": ("满意", "happy")}
STATUS_LABELS = {
    "pending_payment": ("待付款", "awaiting payment"), "paid": ("已付款待发货", "paid, not shipped"),
    "shipped": ("已发货", "shipped"), "in_transit": ("运输中", "in transit"),
    "delivered": ("已签收", "delivered"), "cancelled": ("已取消", "cancelled"),
    "returned": ("已退货", "returned"), "refunded": ("已退款", "refunded"),
    "exception": ("物流异常", "delivery exception"),
}
RISK_LABELS = {"12315": ("扬言投诉12315", "threatens a 12315 complaint"),
               "consumer_association_12315": ("扬言投诉12315/消协", "threatens 12315 / consumer "
                                              "association"),
               "legal_threat": ("扬言起诉", "threatens legal action"),
               "chargeback": ("扬言拒付", "threatens a chargeback"),
               "competitor": ("提到竞争对手", "mentions a competitor"),
               "complaint_threat": ("扬言投诉", "threatens to complain"),
               "bad_review": ("扬言差评", "threatens a bad review"),
               "refund_demand": ("要求退款", "demands a refund")}


def _label(table: Dict[str, tuple], lang: str):
    index = 0 if lang == "zh" else 1

    def label(value):
        if value is None:
            return ""
        pair = table.get(str(value))
        return pair[index] if pair else str(value)
    return label


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(PACKAGE_DIR / "templates")),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "html.j2"),
                                     default_for_string=False, default=False),
        trim_blocks=False, lstrip_blocks=True, keep_trailing_newline=False)
    return env


def _render(ticket: Ticket, lang: str, macro: str) -> str:
    module = environment().get_template(f"summary_{lang}.j2").make_module({
        "intent_label": _label(INTENT_LABELS, lang), "trigger_label": _label(TRIGGER_LABELS, lang),
        "emotion_label": _label(EMOTION_LABELS, lang), "status_label": _label(STATUS_LABELS, lang),
        "risk_label": _label(RISK_LABELS, lang),
        "channel_label": _label(CHANNEL_LABELS, lang)})
    text = str(getattr(module, macro)(ticket))
    # Templates break lines for readability; Chinese joins them, English needs a space.
    text = re.sub(r"\s*\n\s*", "" if lang == "zh" else " ", text.strip())
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r" ([;,.])", r"\1", text)


def render_summary(ticket: Ticket, lang: str) -> str:
    return _render(ticket, lang, "summary")


def render_first_sentence(ticket: Ticket, lang: str) -> str:
    return _render(ticket, lang, "first_sentence")


def fill(ticket: Ticket) -> Ticket:
    """Both languages of both texts: the console picks the agent's / shopper's language."""
    ticket.summary = {lang: render_summary(ticket, lang) for lang in ("zh", "en")}
    ticket.first_sentence = {lang: render_first_sentence(ticket, lang) for lang in ("zh", "en")}
    return ticket
