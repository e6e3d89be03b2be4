"""The shop's policies (data/shop.yml) applied to the order of a ticket: the policy card.

Each line is one rule as it stands for this order, in the shopper's language, so an agent
can say it as is ("食品不支持七天无理由退货"). `topics` say which questions it answers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple

from common import policy

CATEGORY_NAMES = {"food": ("食品", "food"), "underwear": ("贴身衣物", "underwear"),
                  "customized": ("定制商品", "customized items"),
                  "digital_download": ("数字下载商品", "digital downloads"),
                  "electronics": ("电子产品", "electronics"), "appliance": ("家电", "appliances")}
PAYMENT_NAMES = {"wechat_pay": ("微信支付", "WeChat Pay"), "alipay": ("支付宝", "Alipay"),
                 "bank_card": ("银行卡", "bank card"), "credit_card": ("信用卡", "credit card")}


@dataclass(frozen=True)
class PolicyLine:
    key: str
    text: str
    topics: Tuple[str, ...]

    def view(self) -> Dict[str, Any]:
        return {**asdict(self), "topics": list(self.topics)}


def _name(table: Dict[str, Tuple[str, str]], code: str, language: str) -> str:
    pair = table.get(code)
    return (pair[0] if language == "zh" else pair[1]) if pair else code


def _item_name(item: Dict[str, Any], language: str) -> str:
    return str(item.get("name") or item.get(f"name_{language}") or item.get("name_zh")
               or item.get("sku") or "")


def card(order: Optional[Dict[str, Any]], language: str) -> List[PolicyLine]:
    """The rules that apply to this order (empty without an order)."""
    if not order:
        return []
    zh = language == "zh"
    items = [i for i in order.get("items") or [] if isinstance(i, dict)]
    extra = order.get("extra") or {}
    lines: List[PolicyLine] = []
    days = policy.get("returns.no_reason_days")
    quality = policy.get("returns.quality_days")
    excluded = set(policy.get("returns.excluded_categories") or [])
    blocked = [(i, i.get("category")) for i in items if i.get("category") in excluded]
    for item, category in blocked:
        cat = _name(CATEGORY_NAMES, category, language)
        lines.append(PolicyLine(
            f"returns.excluded.{category}",
            f"“{_item_name(item, language)}”属于{cat},不支持{days}天无理由退货;如有质量问题,签收后{quality}天内可退换。"
            if zh else f"\"{_item_name(item, language)}\" is {cat}: excluded from {days}-day "
            f"no-reason returns; quality problems can be returned within {quality} days.",
            ("return", "refund")))
    returnable = [i for i in items if i.get("category") not in excluded]
    if returnable:
        names = "、".join(_item_name(i, language) for i in returnable) if zh else \
            ", ".join(_item_name(i, language) for i in returnable)
        lines.append(PolicyLine(
            "returns.no_reason",
            f"{names}支持签收后{days}天无理由退货。" if zh
            else f"{names}: {days}-day no-reason returns from delivery.", ("return",)))
    for category, months_key in (("electronics", "warranty.electronics_months"),
                                 ("appliance", "warranty.appliance_months")):
        if any(i.get("category") == category for i in items):
            months = policy.get(months_key)
            lines.append(PolicyLine(
                f"warranty.{category}",
                f"{_name(CATEGORY_NAMES, category, language)}保修{months}个月,"
                f"{policy.get('warranty.replacement_days')}天内质量问题直接换新。" if zh else
                f"{_name(CATEGORY_NAMES, category, language).capitalize()}: {months}-month "
                f"warranty; a defect within {policy.get('warranty.replacement_days')} days is "
                f"replaced.", ("warranty", "return")))
    method = extra.get("payment_method") or order.get("payment_method")
    refund_days = policy.get(f"refunds.{method}_days") if method else None
    if refund_days:
        lines.append(PolicyLine(
            "refunds.time",
            f"本单用{_name(PAYMENT_NAMES, method, language)}支付,退款{refund_days}个工作日原路退回。"
            if zh else f"Paid by {_name(PAYMENT_NAMES, method, language)}: a refund reaches it "
            f"in {refund_days} working days.", ("refund",)))
    amount = order.get("amount")
    threshold = policy.get("shipping.free_threshold")
    if isinstance(amount, (int, float)) and threshold is not None:
        free = amount >= float(threshold)
        lines.append(PolicyLine(
            "shipping.fee",
            (f"订单金额¥{amount:g},{'已满' if free else '未满'}¥{threshold}包邮。") if zh else
            f"Order total ¥{amount:g}: {'ships free' if free else 'below'} "
            f"(free shipping from ¥{threshold}).", ("shipping",)))
    return lines
