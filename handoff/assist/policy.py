"""The shop's policies (data/shop.yml) applied to the order of a ticket: the policy card.

Each line is one rule as it stands for this order, in the shopper's language, so an agent
can say it as is ("食品不支持七天无理由退货"). `topics` say which questions it answers.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Tuple

from common import policy
from handoff.texts import TEXTS

@dataclass(frozen=True)
class PolicyLine:
    key: str
    text: str
    topics: Tuple[str, ...]

    def view(self) -> Dict[str, Any]:
        return {**asdict(self), "topics": list(self.topics)}


def _item_name(item: Dict[str, Any], language: str) -> str:
    return str(item.get("name") or item.get(f"name_{language}") or item.get("name_zh")
               or item.get("sku") or "")


def card(order: Optional[Dict[str, Any]], language: str) -> List[PolicyLine]:
    """The rules that apply to this order (empty without an order)."""
    if not order:
        return []
    items = [i for i in order.get("items") or [] if isinstance(i, dict)]
    extra = order.get("extra") or {}
    lines: List[PolicyLine] = []
    days = policy.get("returns.no_reason_days")
    quality = policy.get("returns.quality_days")
    excluded = set(policy.get("returns.excluded_categories") or [])
    blocked = [(i, i.get("category")) for i in items if i.get("category") in excluded]
    for item, category in blocked:
        lines.append(PolicyLine(
            f"returns.excluded.{category}",
            TEXTS.text("policy_card.returns_excluded", language, item=_item_name(item, language),
                       category=TEXTS.label("category", category, language), days=days,
                       quality=quality),
            ("return", "refund")))
    returnable = [i for i in items if i.get("category") not in excluded]
    if returnable:
        names = TEXTS.raw("policy_card.item_separator", language).join(
            _item_name(i, language) for i in returnable)
        lines.append(PolicyLine(
            "returns.no_reason",
            TEXTS.text("policy_card.returns_no_reason", language, items=names, days=days),
            ("return",)))
    for category, months_key in (("electronics", "warranty.electronics_months"),
                                 ("appliance", "warranty.appliance_months")):
        if any(i.get("category") == category for i in items):
            lines.append(PolicyLine(
                f"warranty.{category}",
                TEXTS.text("policy_card.warranty", language,
                           category=TEXTS.label("category", category, language).capitalize(),
                           months=policy.get(months_key),
                           replacement_days=policy.get("warranty.replacement_days")),
                ("warranty", "return")))
    method = extra.get("payment_method") or order.get("payment_method")
    refund_days = policy.get(f"refunds.{method}_days") if method else None
    if refund_days:
        lines.append(PolicyLine(
            "refunds.time",
            TEXTS.text("policy_card.refund_time", language,
                       method=TEXTS.label("method", method, language), days=refund_days),
            ("refund",)))
    amount = order.get("amount")
    threshold = policy.get("shipping.free_threshold")
    if isinstance(amount, (int, float)) and threshold is not None:
        free = amount >= float(threshold)
        lines.append(PolicyLine(
            "shipping.fee",
            TEXTS.text("policy_card.shipping_free" if free else "policy_card.shipping_not_free",
                       language, amount=amount, threshold=threshold),
            ("shipping",)))
    return lines
