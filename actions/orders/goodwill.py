"""Goodwill coupons within the policy's authorization matrix (`coupons.goodwill`).

The matrix names each reason the bot may compensate, the most it may give and how many
times per order. Asking for more gets the maximum; asking again gets nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Optional

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.store.models import Coupon, CouponIssuance
from common import policy

GOODWILL_CODE = "GOODWILL"


@dataclass
class Goodwill:
    granted: bool
    amount: Decimal
    refusal: Optional[str] = None  # not_authorized | already_given


def _goodwill_coupon(session: Session) -> Coupon:
    coupon = session.get(Coupon, GOODWILL_CODE)
    if coupon is None:
        now = datetime.utcnow()
        coupon = Coupon(code=GOODWILL_CODE, title_zh="补偿券", title_en="Goodwill coupon",
                        amount=Decimal("0"), min_spend=Decimal("0"), public=False, tiers="",
                        valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=3650))
        session.add(coupon)
        session.flush()
    return coupon


def grant(session: Session, customer_id: str, order_id: str, reason: str,
          requested: Optional[Decimal] = None) -> Goodwill:
    rule = policy.get(f"coupons.goodwill.{reason}")
    if not isinstance(rule, dict) or not rule.get("max_amount"):
        return Goodwill(False, Decimal("0"), "not_authorized")
    ceiling = Decimal(str(rule["max_amount"]))
    per_order = int(rule.get("per_order", 1))
    given = session.execute(select(func.count(CouponIssuance.id)).where(
        CouponIssuance.order_id == order_id, CouponIssuance.reason == reason)).scalar_one()
    if given >= per_order:
        return Goodwill(False, Decimal("0"), "already_given")
    amount = min(Decimal(str(requested)), ceiling) if requested is not None else ceiling
    if amount <= 0:
        return Goodwill(False, Decimal("0"), "not_authorized")
    _goodwill_coupon(session)
    session.add(CouponIssuance(coupon_code=GOODWILL_CODE, customer_id=customer_id,
                               order_id=order_id, reason=reason, amount=amount,
                               issued_at=datetime.utcnow()))
    session.flush()
    return Goodwill(True, amount)
