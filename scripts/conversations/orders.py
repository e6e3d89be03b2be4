"""Each conversation's orders from the demo shop, chosen by what the conversation needs.

The demo shop (actions/store/demo.py) is deterministic: the same order numbers, states and
phone numbers on every seed, so the set names orders by kind ("a paid order", "a delivered
order still in the return window with a camera in it") and the runner picks real ones. An
order a conversation changes (cancels, re-addresses, returns, guesses phone digits on) is
`fresh`: no other conversation gets it, so conversations can run concurrently and in any order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

from actions.store.demo import demo_records
from common import policy

FULL_WIDTH = str.maketrans("0123456789E", "０１２３４５６７８９Ｅ")


@dataclass(frozen=True)
class DemoOrder:
    id: str
    kind: str
    phone: str
    skus: Tuple[str, ...]
    categories: Tuple[str, ...]
    item_zh: str
    item_en: str
    tracking: str

    def values(self) -> Dict[str, str]:
        last4 = self.phone[-4:]
        return {"id": self.id, "phone4": last4, "phone": self.phone,
                "wrong4": f"{(int(last4) + 4321) % 10000:04d}",
                "id_fw": self.id.translate(FULL_WIDTH), "id_digits": self.id[1:],
                "id_lower": self.id.lower(), "id_spaced": f"{self.id[:5]} {self.id[5:9]} {self.id[9:]}",
                "last4_fw": last4.translate(FULL_WIDTH),
                "item_zh": self.item_zh, "item_en": self.item_en, "tracking": self.tracking}


def _hours_since(stamp: str, now: datetime) -> float:
    return (now - datetime.fromisoformat(stamp[:19])).total_seconds() / 3600


def _kind(rec: Dict[str, Any], now: datetime) -> str:
    status, shipment = rec["status"], rec.get("shipment") or {}
    if status == "shipped":
        stale = float(policy.get("shipping.stale_tracking_hours", 48))
        return "stale" if _hours_since(shipment["events"][-1]["at"], now) > stale else "moving"
    if status != "delivered":
        return status  # unpaid, paid, cancelled, refunded
    if rec.get("delivery_disputed"):
        return "disputed"
    if rec["returns"]:
        return "returning"
    days = _hours_since(shipment["delivered_at"], now) / 24
    if days <= int(policy.get("returns.no_reason_days", 7)):
        return "delivered_recent"
    if days <= int(policy.get("returns.quality_days", 15)):
        return "delivered_quality"
    return "delivered_old"


def demo_orders(now: Optional[datetime] = None) -> List[DemoOrder]:
    now = now or datetime.utcnow()
    found = []
    for rec in demo_records(now):
        items = rec["items"]
        found.append(DemoOrder(
            id=rec["order_id"], kind=_kind(rec, now), phone=rec["recipient_phone"],
            skus=tuple(i["sku"] for i in items), categories=tuple(i["category"] for i in items),
            item_zh=items[0]["name_zh"], item_en=items[0]["name_en"],
            tracking=(rec.get("shipment") or {}).get("tracking_no", "")))
    return found


def _fits(order: DemoOrder, want: Dict[str, Any]) -> bool:
    kinds = want.get("kind")
    if kinds and order.kind not in ([kinds] if isinstance(kinds, str) else kinds):
        return False
    if want.get("sku") and not any(want["sku"] in sku for sku in order.skus):
        return False
    excluded = set(policy.get("returns.excluded_categories") or [])
    if want.get("returnable") and excluded & set(order.categories):
        return False
    if want.get("excluded") and not excluded & set(order.categories):
        return False
    if want.get("single_item") and len(order.skus) != 1:
        return False
    return True


class NotEnoughOrders(RuntimeError):
    pass


def allocate(conversations: List[Any], orders: List[DemoOrder]) -> Dict[str, Dict[str, DemoOrder]]:
    """conversation id -> {name: order}. Fresh orders are exclusive; shared ones go round-robin
    over the orders no fresh request took. Deterministic for a given set."""
    taken: set = set()
    chosen: Dict[str, Dict[str, DemoOrder]] = {c.id: {} for c in conversations}
    # fresh first (most constrained first), then shared
    requests = [(c.id, name, want) for c in conversations for name, want in c.orders.items()]
    fresh = sorted((r for r in requests if r[2].get("fresh")),
                   key=lambda r: sum(_fits(o, r[2]) for o in orders))
    for conv_id, name, want in fresh:
        pick = next((o for o in orders if o.id not in taken and _fits(o, want)), None)
        if pick is None:
            raise NotEnoughOrders(f"{conv_id}: no unused demo order fits {want}")
        taken.add(pick.id)
        chosen[conv_id][name] = pick
    turn = 0
    for conv_id, name, want in (r for r in requests if not r[2].get("fresh")):
        pool = [o for o in orders if o.id not in taken and _fits(o, want)]
        if not pool:
            raise NotEnoughOrders(f"{conv_id}: no demo order fits {want}")
        chosen[conv_id][name] = pool[turn % len(pool)]
        turn += 1
    return chosen
