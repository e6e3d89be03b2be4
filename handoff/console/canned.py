"""Canned replies for agents: the bot's own FAQ answers (common.faq_answers), in both languages,
with the shop's numbers filled from data/shop.yml, so agents and bot never disagree."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, List, Optional

from common.faq_answers import faq_answers, fill


TITLES = {
    "shipping_time": ("发货与配送时效", "Shipping time"), "shipping_fee": ("运费", "Shipping fee"),
    "return_policy": ("退货政策", "Return policy"), "payment_methods": ("支付方式", "Payment"),
    "invoice": ("发票", "Invoice"), "points": ("积分", "Points"), "warranty": ("保修", "Warranty"),
    "business_hours": ("人工服务时间", "Business hours"), "size_guide": ("尺码", "Size guide"),
    "coupon_rules": ("优惠券规则", "Coupon rules"),
}


@dataclass(frozen=True)
class CannedReply:
    key: str
    title: str
    text: str


def canned_replies(language: str, domain: Optional[Path] = None) -> List[CannedReply]:
    """The FAQ answers in `language` ("zh"/"en"), placeholders filled."""
    raw = faq_answers(domain)
    index = 0 if language == "zh" else 1
    replies = []
    for key, texts in raw.items():
        text = texts.get(language) or texts.get("zh")
        if text:
            title = TITLES.get(key, (key, key))[index]
            replies.append(CannedReply(key, title, fill(text, language)))
    return replies


def bundle() -> Dict[str, List[Dict[str, str]]]:
    return {lang: [asdict(r) for r in canned_replies(lang)] for lang in ("zh", "en")}
