"""Validation of one imported order record (the JSON-lines shape; CSV rows are mapped to it).

`parse_record` turns a raw dict into clean Python values or raises RecordError with every
problem found, so the import report names all reasons for a rejected line at once.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Dict, List, Optional

from actions.store.models import (
    CHANNELS, ORDER_STATUSES, PAYMENT_METHODS, REFUND_STATUSES, RETURN_STATUSES,
    SHIPMENT_STATUSES, TIERS,
)

ORDER_ID = re.compile(r"^(E\d{12}|\d{10,20})$")
PHONE = re.compile(r"^1[3-9]\d{9}$")
TRACKING = re.compile(r"^[A-Z]{0,3}\d{10,15}$")
CST = timezone(timedelta(hours=8), "CST")


class RecordError(ValueError):
    def __init__(self, reasons: List[str]):
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class _Checker:
    def __init__(self) -> None:
        self.reasons: List[str] = []

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def absent(self, value: Any, key: str, where: str, required: bool) -> bool:
        """An empty field: nothing to read, and a reason when the record needs it."""
        if value is not None and str(value).strip() != "":
            return False
        if required:
            self.fail(f"{where}{key} is missing")
        return True

    def text(self, data: Dict[str, Any], key: str, where: str, required: bool = True,
             max_len: int = 300) -> Optional[str]:
        value = data.get(key)
        if self.absent(value, key, where, required):
            return None
        value = str(value).strip()
        if len(value) > max_len:
            self.fail(f"{where}{key} is longer than {max_len} characters")
        return value

    def money(self, data: Dict[str, Any], key: str, where: str, required: bool = True
              ) -> Optional[Decimal]:
        raw = data.get(key)
        if self.absent(raw, key, where, required):
            return None
        try:
            value = Decimal(str(raw).strip().lstrip("¥"))
        except InvalidOperation:
            self.fail(f"{where}{key} is not a number: {raw!r}")
            return None
        if value < 0 or not value.is_finite():
            self.fail(f"{where}{key} must be a non-negative amount")
            return None
        return value.quantize(Decimal("0.01"))

    def when(self, data: Dict[str, Any], key: str, where: str, required: bool = True
             ) -> Optional[datetime]:
        raw = data.get(key)
        if self.absent(raw, key, where, required):
            return None
        try:
            value = datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{where}{key} is not an ISO 8601 time: {raw!r}")
            return None
        if value.tzinfo is None:
            # A time without zone is the shop's local time (China Standard Time, UTC+8).
            value = value.replace(tzinfo=CST)
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def choice(self, data: Dict[str, Any], key: str, allowed: tuple, where: str,
               required: bool = True, default: Optional[str] = None) -> Optional[str]:
        value = data.get(key)
        if self.absent(value, key, where, required and default is None):
            return default
        value = str(value).strip().lower()
        if value not in allowed:
            self.fail(f"{where}{key} {value!r} is not one of {', '.join(allowed)}")
        return value

    def integer(self, data: Dict[str, Any], key: str, where: str, default: int = 1) -> int:
        raw = data.get(key, default)
        try:
            value = int(str(raw).strip())
        except ValueError:
            self.fail(f"{where}{key} is not a whole number: {raw!r}")
            return default
        if value <= 0:
            self.fail(f"{where}{key} must be at least 1")
        return value



def parse_record(raw: Any) -> Dict[str, Any]:
    """A validated, normalized order record; raises RecordError listing every problem."""
    if not isinstance(raw, dict):
        raise RecordError(["the line is not a JSON object"])
    c = _Checker()
    rec: Dict[str, Any] = {}
    order_id = c.text(raw, "order_id", "")
    if order_id and not ORDER_ID.match(order_id.upper()):
        c.fail(f"order_id {order_id!r} is not E + 12 digits or 10-20 digits")
    rec["order_id"] = order_id.upper() if order_id else None
    cust = raw.get("customer")
    if not isinstance(cust, dict):
        c.fail("customer is missing")
        cust = {}
    rec["customer"] = customer = _customer(c, cust)
    rec["status"] = c.choice(raw, "status", ORDER_STATUSES, "")
    rec["amount"] = c.money(raw, "amount", "")
    rec["shipping_fee"] = c.money(raw, "shipping_fee", "", required=False) or Decimal("0")
    rec["payment_method"] = c.choice(raw, "payment_method", PAYMENT_METHODS, "", required=False)
    rec["created_at"] = c.when(raw, "created_at", "")
    rec["paid_at"] = c.when(raw, "paid_at", "", required=False)
    rec["cancelled_at"] = c.when(raw, "cancelled_at", "", required=False)
    rec["recipient"] = c.text(raw, "recipient", "", required=False, max_len=100) or customer["name"]
    rec["recipient_phone"] = c.text(raw, "recipient_phone", "", required=False) or customer["phone"]
    if rec["recipient_phone"] and not PHONE.match(rec["recipient_phone"]):
        c.fail(f"recipient_phone {rec['recipient_phone']!r} is not a Chinese mobile number")
    rec["address"] = c.text(raw, "address", "", required=False, max_len=500) or ""
    rec["delivery_disputed"] = str(raw.get("delivery_disputed", "")).lower() in ("1", "true", "yes")
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        c.fail("items must be a non-empty list")
        items = []
    rec["items"] = []
    for n, item in enumerate(items, 1):
        where = f"items[{n}]."
        if not isinstance(item, dict):
            c.fail(f"items[{n}] is not an object")
            continue
        rec["items"].append({
            "sku": c.text(item, "sku", where, max_len=64),
            "name_zh": c.text(item, "name_zh", where, max_len=200),
            "name_en": c.text(item, "name_en", where, required=False, max_len=200)
            or item.get("name_zh"),
            "category": (c.text(item, "category", where, required=False, max_len=32)
                         or "general").lower(),
            "quantity": c.integer(item, "quantity", where),
            "unit_price": c.money(item, "unit_price", where),
        })
    rec["shipment"] = _shipment(c, raw.get("shipment"))
    if rec["status"] in ("shipped", "delivered") and rec["shipment"] is None:
        c.fail(f"status {rec['status']} needs a shipment")
    rec["returns"] = [_return(c, r, n) for n, r in enumerate(raw.get("returns") or [], 1)]
    rec["refunds"] = [_refund(c, r, n) for n, r in enumerate(raw.get("refunds") or [], 1)]
    if c.reasons:
        raise RecordError(c.reasons)
    return rec


def _customer(c: _Checker, cust: Dict[str, Any]) -> Dict[str, Any]:
    customer = {
        "id": c.text(cust, "id", "customer.", max_len=32),
        "name": c.text(cust, "name", "customer.", max_len=100),
        "phone": c.text(cust, "phone", "customer."),
        "tier": c.choice(cust, "tier", TIERS, "customer.", default="normal"),
        "language": c.choice(cust, "language", ("zh", "en"), "customer.", default="zh"),
        "identities": {},
    }
    if customer["phone"] and not PHONE.match(customer["phone"]):
        c.fail(f"customer.phone {customer['phone']!r} is not a Chinese mobile number")
    idents = cust.get("identities") or {}
    if not isinstance(idents, dict):
        c.fail("customer.identities must be an object {channel: id}")
        idents = {}
    for channel, external in idents.items():
        if channel not in CHANNELS:
            c.fail(f"customer.identities has unknown channel {channel!r}")
        elif external not in (None, ""):
            customer["identities"][channel] = str(external).strip()[:128]
    return customer


def parse_customer(raw: Any) -> Dict[str, Any]:
    """A validated customer (the `customer` object of an order record) or RecordError."""
    if not isinstance(raw, dict):
        raise RecordError(["customer is not a JSON object"])
    c = _Checker()
    customer = _customer(c, raw)
    if c.reasons:
        raise RecordError(c.reasons)
    return customer


def _shipment(c: _Checker, raw: Any) -> Optional[Dict[str, Any]]:
    if raw in (None, {}, ""):
        return None
    if not isinstance(raw, dict):
        c.fail("shipment is not an object")
        return None
    ship = {
        "carrier": (c.text(raw, "carrier", "shipment.", max_len=16) or "").upper(),
        "tracking_no": (c.text(raw, "tracking_no", "shipment.", max_len=32) or "").upper(),
        "status": c.choice(raw, "status", SHIPMENT_STATUSES, "shipment.", default="in_transit"),
        "shipped_at": c.when(raw, "shipped_at", "shipment."),
        "delivered_at": c.when(raw, "delivered_at", "shipment.", required=False),
        "events": [],
    }
    if ship["tracking_no"] and not TRACKING.match(ship["tracking_no"]):
        c.fail(f"shipment.tracking_no {ship['tracking_no']!r} is not a tracking number")
    for n, ev in enumerate(raw.get("events") or [], 1):
        where = f"shipment.events[{n}]."
        if not isinstance(ev, dict):
            c.fail(f"shipment.events[{n}] is not an object")
            continue
        ship["events"].append({
            "at": c.when(ev, "at", where),
            "place": c.text(ev, "place", where, required=False, max_len=100) or "",
            "status": (c.text(ev, "status", where, max_len=24) or "").lower(),
            "description": c.text(ev, "description", where, required=False) or "",
        })
    return ship


def _return(c: _Checker, raw: Any, n: int) -> Dict[str, Any]:
    where = f"returns[{n}]."
    raw = raw if isinstance(raw, dict) else {}
    return {
        "id": c.text(raw, "id", where, max_len=32),
        "reason": c.text(raw, "reason", where, max_len=32),
        "status": c.choice(raw, "status", RETURN_STATUSES, where, default="requested"),
        "shipping_paid_by": c.choice(raw, "shipping_paid_by", ("shop", "customer"), where,
                                     default="customer"),
        "created_at": c.when(raw, "created_at", where),
    }


def _refund(c: _Checker, raw: Any, n: int) -> Dict[str, Any]:
    where = f"refunds[{n}]."
    raw = raw if isinstance(raw, dict) else {}
    return {
        "id": c.text(raw, "id", where, max_len=32),
        "return_id": c.text(raw, "return_id", where, required=False, max_len=32),
        "amount": c.money(raw, "amount", where),
        "method": c.choice(raw, "method", PAYMENT_METHODS, where),
        "status": c.choice(raw, "status", REFUND_STATUSES, where, default="pending"),
        "requested_at": c.when(raw, "requested_at", where),
        "completed_at": c.when(raw, "completed_at", where, required=False),
    }
