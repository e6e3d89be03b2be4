"""The demo shop: ≥ 30 customers and ≥ 100 orders in every state, relative to "now".

Generated deterministically (fixed random seed) as import records, then stored through the
same upsert path as `import`, so seeding twice changes nothing and the demo exercises the
importer. The first customers are fixed scenarios the docs and tests refer to:

  C0001 web-demo-0001  one recent order in transit (+ an older delivered one)
  C0002 web-demo-0002  several recent orders (the bot asks "which order?")
  C0003 stale tracking for days    C0004 delivered but disputed (not received)
  C0005 return in progress         C0006 refunded      C0007 unpaid
  C0008 cancelled                  C0009 delivered 3 days ago (returnable)
  C0010 paid, not shipped yet (address change / cancellation)
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from sqlalchemy.orm import Session

from actions.store.importer import upsert_order
from actions.store.models import Coupon
from actions.store.records import parse_record

PRODUCTS: List[Tuple[str, str, str, str, str]] = [
    ("SKU-COFFEE-01", "全自动咖啡机", "Automatic coffee machine", "appliance", "1299.00"),
    ("SKU-MUG-02", "陶瓷马克杯", "Ceramic mug", "kitchen", "39.00"),
    ("SKU-EAR-03", "无线降噪耳机", "Noise-cancelling earbuds", "electronics", "499.00"),
    ("SKU-PLUG-04", "智能插座", "Smart plug", "electronics", "59.00"),
    ("SKU-CAM-05", "家用监控摄像头", "Home security camera", "electronics", "269.00"),
    ("SKU-TEE-06", "纯棉T恤", "Cotton T-shirt", "apparel", "79.00"),
    ("SKU-UW-07", "男士内裤三条装", "Men's underwear, 3-pack", "underwear", "69.00"),
    ("SKU-SNACK-08", "坚果礼盒", "Nut gift box", "food", "128.00"),
    ("SKU-PEN-09", "定制刻字钢笔", "Engraved fountain pen", "customized", "199.00"),
    ("SKU-ROUTER-10", "千兆路由器", "Gigabit router", "electronics", "349.00"),
    ("SKU-BULB-11", "智能灯泡", "Smart bulb", "electronics", "45.00"),
    ("SKU-KETTLE-12", "电热水壶", "Electric kettle", "appliance", "159.00"),
]
CITIES = ["上海 Shanghai", "杭州 Hangzhou", "北京 Beijing", "广州 Guangzhou", "深圳 Shenzhen",
          "成都 Chengdu", "武汉 Wuhan", "南京 Nanjing"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "强", "洋", "艳", "杰", "娟", "涛"]
CARRIERS = [("SF", "SF"), ("YT", "YT"), ("JD", "JD"), ("ZTO", "73")]
SCENARIOS = ["in_transit", "several", "stale", "disputed", "returning", "refunded", "unpaid",
             "cancelled", "returnable", "paid"]
CYCLE = ["delivered", "in_transit", "paid", "stale", "delivered", "unpaid", "cancelled",
         "returning", "refunded", "disputed", "delivered", "in_transit"]
N_CUSTOMERS = 36


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "+00:00"


class _Gen:
    def __init__(self, now: datetime) -> None:
        self.now = now.replace(microsecond=0)
        self.rng = random.Random(20261118)
        self.seq = 0

    def order_id(self, created: datetime) -> str:
        # Stable numbers (not date-based) so re-seeding on another day updates the same orders.
        self.seq += 1
        return f"E{202600000000 + self.seq}"

    def tracking(self, carrier_prefix: str) -> str:
        digits = 13 if carrier_prefix != "73" else 11
        return carrier_prefix + "".join(self.rng.choice("0123456789") for _ in range(digits))

    def customer(self, n: int) -> Dict[str, Any]:
        name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
        return {
            "id": f"C{n:04d}", "name": name, "phone": f"1390000{n:04d}",
            "tier": ["normal", "silver", "gold", "vip"][n % 4],
            "language": "en" if n % 5 == 0 else "zh",
            "identities": {"web": f"web-demo-{n:04d}", "wechat": f"oDemo{n:04d}wx",
                           "app": f"app-demo-{n:04d}"},
        }

    def order(self, customer: Dict[str, Any], state: str, age_hours: float,
              last_event_hours: Optional[float] = None) -> Dict[str, Any]:
        created = self.now - timedelta(hours=age_hours)
        products = self.rng.sample(PRODUCTS, self.rng.choice([1, 1, 2]))
        items = [{"sku": p[0], "name_zh": p[1], "name_en": p[2], "category": p[3],
                  "quantity": 1, "unit_price": p[4]} for p in products]
        amount = sum(Decimal(p[4]) for p in products)
        method = self.rng.choice(["wechat_pay", "alipay", "bank_card", "credit_card"])
        city = self.rng.choice(CITIES)
        rec: Dict[str, Any] = {
            "order_id": self.order_id(created), "customer": customer, "amount": str(amount),
            "shipping_fee": "0" if amount >= 99 else "8", "payment_method": method,
            "created_at": _iso(created), "recipient": customer["name"],
            "recipient_phone": customer["phone"],
            "address": f"{city.split()[0]}市示范路{self.rng.randint(1, 999)}号",
            "items": items, "returns": [], "refunds": [],
        }
        paid = created + timedelta(minutes=5)
        if state == "unpaid":
            rec.update(status="unpaid", payment_method=None)
            return rec
        rec["paid_at"] = _iso(paid)
        if state == "cancelled":
            rec.update(status="cancelled", cancelled_at=_iso(paid + timedelta(hours=1)))
            rec["refunds"] = [self._refund(rec, method, "succeeded", paid + timedelta(hours=1))]
            return rec
        if state == "paid":
            rec["status"] = "paid"
            return rec
        shipped = paid + timedelta(hours=6)
        delivered = state in ("delivered", "disputed", "returning", "refunded", "returnable")
        rec["shipment"] = self._shipment(city, shipped, delivered, last_event_hours)
        rec["status"] = "delivered" if delivered else "shipped"
        rec["delivery_disputed"] = state == "disputed"
        done = self.now - timedelta(hours=max(age_hours - 60, 1))
        if state == "returning":
            rec["returns"] = [{"id": "R" + rec["order_id"][1:], "reason": "no_reason",
                               "status": "approved", "shipping_paid_by": "customer",
                               "created_at": _iso(done)}]
            rec["refunds"] = [self._refund(rec, method, "pending", done)]
        if state == "refunded":
            rec["status"] = "refunded"
            rec["returns"] = [{"id": "R" + rec["order_id"][1:], "reason": "quality",
                               "status": "refunded", "shipping_paid_by": "shop",
                               "created_at": _iso(done)}]
            rec["refunds"] = [self._refund(rec, method, "succeeded", done)]
        return rec

    def _refund(self, rec: Dict[str, Any], method: str, status: str, at: datetime
                ) -> Dict[str, Any]:
        return {"id": "F" + rec["order_id"][1:], "amount": rec["amount"], "method": method,
                "status": status, "requested_at": _iso(at),
                "return_id": ("R" + rec["order_id"][1:]) if rec["returns"] else None,
                "completed_at": _iso(at + timedelta(days=1)) if status == "succeeded" else None}

    def _shipment(self, dest: str, shipped: datetime, delivered: bool,
                  last_event_hours: Optional[float]) -> Dict[str, Any]:
        carrier, prefix = self.rng.choice(CARRIERS)
        origin = "杭州 Hangzhou" if dest != "杭州 Hangzhou" else "上海 Shanghai"
        steps = [("picked_up", origin, "快件已揽收 Parcel picked up"),
                 ("in_transit", origin, "快件离开分拨中心 Left the sorting centre"),
                 ("arrived", dest, "快件到达目的地分拨中心 Arrived at the destination hub"),
                 ("out_for_delivery", dest, "快递员正在派送 Out for delivery"),
                 ("delivered", dest, "已签收 Delivered, signed for")]
        end = shipped + timedelta(hours=60)
        if not delivered:
            # Not delivered: the last event is `last_event_hours` ago, earlier steps before it.
            end = self.now - timedelta(hours=last_event_hours or 5)
            steps = steps[:3]
        span = (end - shipped) / max(len(steps) - 1, 1)
        events = [{"at": _iso(shipped + span * i), "place": place, "status": status,
                   "description": text} for i, (status, place, text) in enumerate(steps)]
        return {"carrier": carrier, "tracking_no": self.tracking(prefix),
                "status": "delivered" if delivered else "in_transit", "shipped_at": _iso(shipped),
                "delivered_at": _iso(end) if delivered else None, "events": events}


def _scenario_orders(gen: _Gen, n: int, cust: Dict[str, Any]) -> List[Dict[str, Any]]:
    scenario = SCENARIOS[n - 1]
    if scenario == "in_transit":
        return [gen.order(cust, "delivered", 24 * 60), gen.order(cust, "in_transit", 40, 5)]
    if scenario == "several":
        return [gen.order(cust, "in_transit", 50, 8), gen.order(cust, "paid", 3),
                gen.order(cust, "delivered", 24 * 6)]
    if scenario == "stale":
        return [gen.order(cust, "stale", 24 * 6, 24 * 4)]
    if scenario == "returnable":
        return [gen.order(cust, "delivered", 24 * 3 + 60)]
    if scenario == "paid":
        return [gen.order(cust, "paid", 2)]
    return [gen.order(cust, scenario, 24 * 10)]


def demo_records(now: Optional[datetime] = None) -> List[Dict[str, Any]]:
    gen = _Gen(now or datetime.utcnow())
    records: List[Dict[str, Any]] = []
    for n in range(1, N_CUSTOMERS + 1):
        cust = gen.customer(n)
        if n <= len(SCENARIOS):
            records += _scenario_orders(gen, n, cust)
            continue
        for k in range(4):
            state = CYCLE[(n * 4 + k) % len(CYCLE)]
            age = gen.rng.randint(30, 24 * 40) if state not in ("paid", "unpaid") else 3
            last = 24 * gen.rng.randint(3, 6) if state == "stale" else gen.rng.randint(2, 20)
            records.append(gen.order(cust, state, max(age, last + 12), last))
    return records


def demo_coupons(now: datetime) -> List[Coupon]:
    day = timedelta(days=1)
    return [
        Coupon(code="WELCOME10", title_zh="新人券 满99减10", title_en="Welcome: ¥10 off ¥99",
               amount=Decimal("10"), min_spend=Decimal("99"), valid_from=now - 30 * day,
               valid_to=now + 60 * day, public=True, tiers=""),
        Coupon(code="GOLD30", title_zh="金卡会员 满299减30", title_en="Gold members: ¥30 off ¥299",
               amount=Decimal("30"), min_spend=Decimal("299"), valid_from=now - 10 * day,
               valid_to=now + 20 * day, public=True, tiers="gold,vip"),
        Coupon(code="SUMMER15", title_zh="夏日券 满150减15(已过期)", title_en="Summer: ¥15 off (expired)",
               amount=Decimal("15"), min_spend=Decimal("150"), valid_from=now - 120 * day,
               valid_to=now - 30 * day, public=True, tiers=""),
        Coupon(code="GOODWILL", title_zh="补偿券", title_en="Goodwill coupon", amount=Decimal("0"),
               min_spend=Decimal("0"), valid_from=now - 3650 * day, valid_to=now + 3650 * day,
               public=False, tiers=""),
    ]


def seed(session: Session, now: Optional[datetime] = None) -> int:
    """Load the demo shop; returns the number of orders stored."""
    now = (now or datetime.utcnow()).replace(microsecond=0)
    for coupon in demo_coupons(now):
        session.merge(coupon)
    records = demo_records(now)
    for raw in records:
        # Demo times move with `now`: replace tracking histories instead of merging them.
        upsert_order(session, parse_record(raw), replace_events=True)
    session.flush()
    return len(records)

