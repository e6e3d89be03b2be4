"""Import a shop's orders from JSON lines or CSV (format: docs/store-import.md).

Every line is validated on its own; a bad line is reported with its number and reasons and
never stops the good ones. Records are upserted by their natural keys (order id, customer id,
channel identity, tracking number, return/refund id), so importing the same file twice
changes nothing and a corrected file updates what it names.
"""
from __future__ import annotations

import csv
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Tuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.store.models import (
    Customer, Identity, Order, OrderItem, Refund, ReturnRequest, Shipment, TrackingEvent,
)
from actions.store.records import RecordError, parse_record

CSV_ORDER_FIELDS = (
    "status", "amount", "shipping_fee", "payment_method", "created_at", "paid_at",
    "cancelled_at", "recipient", "recipient_phone", "address", "delivery_disputed",
)


@dataclass
class ImportReport:
    imported: int = 0
    rejected: List[Tuple[int, str]] = field(default_factory=list)

    def lines(self) -> List[str]:
        out = [f"imported {self.imported} order(s), rejected {len(self.rejected)} line(s)"]
        out += [f"line {line}: {reason}" for line, reason in self.rejected]
        return out


def upsert_customer(session: Session, data: Dict[str, Any]) -> Customer:
    customer = session.get(Customer, data["id"])
    if customer is None:
        customer = Customer(id=data["id"])
        session.add(customer)
    customer.name, customer.phone = data["name"], data["phone"]
    customer.tier, customer.language = data["tier"], data["language"]
    identities = dict(data.get("identities") or {})
    identities.setdefault("phone", data["phone"])
    for channel, external_id in identities.items():
        existing = session.execute(select(Identity).where(
            Identity.channel == channel, Identity.external_id == external_id)).scalars().first()
        if existing is None:
            session.add(Identity(customer_id=customer.id, channel=channel,
                                 external_id=external_id))
        else:
            # The latest file wins: an identity belongs to exactly one customer.
            existing.customer_id = customer.id
    session.flush()
    return customer


def upsert_order(session: Session, rec: Dict[str, Any], replace_events: bool = False) -> Order:
    """Create or update one validated record (see records.parse_record)."""
    customer = upsert_customer(session, rec["customer"])
    order = session.get(Order, rec["order_id"])
    if order is None:
        order = Order(id=rec["order_id"])
        session.add(order)
    order.customer_id = customer.id
    for key in ("status", "amount", "shipping_fee", "payment_method", "created_at", "paid_at",
                "cancelled_at", "recipient", "recipient_phone", "address", "delivery_disputed"):
        setattr(order, key, rec[key])
    # Items are the file's list: replace rather than merge, so a re-import never duplicates.
    order.items = [OrderItem(**item) for item in rec["items"]]
    session.flush()
    if rec["shipment"]:
        _upsert_shipment(session, order, rec["shipment"], replace_events)
    for ret in rec["returns"]:
        row = session.get(ReturnRequest, ret["id"]) or ReturnRequest(id=ret["id"])
        row.order_id = order.id
        for key in ("reason", "status", "shipping_paid_by", "created_at"):
            setattr(row, key, ret[key])
        session.add(row)
    session.flush()
    for ref in rec["refunds"]:
        row = session.get(Refund, ref["id"]) or Refund(id=ref["id"])
        row.order_id = order.id
        for key in ("return_id", "amount", "method", "status", "requested_at", "completed_at"):
            setattr(row, key, ref[key])
        session.add(row)
    session.flush()
    return order


def _upsert_shipment(session: Session, order: Order, data: Dict[str, Any],
                     replace_events: bool) -> None:
    shipment = session.execute(select(Shipment).where(
        Shipment.tracking_no == data["tracking_no"])).scalars().first()
    if shipment is None:
        shipment = Shipment(tracking_no=data["tracking_no"], order_id=order.id)
        session.add(shipment)
    shipment.order_id = order.id
    for key in ("carrier", "status", "shipped_at", "delivered_at"):
        setattr(shipment, key, data[key])
    session.flush()
    if replace_events:
        shipment.events.clear()
        session.flush()
    known = {(e.at, e.status) for e in shipment.events}
    for ev in data["events"]:
        if (ev["at"], ev["status"]) not in known:
            shipment.events.append(TrackingEvent(**ev))
            known.add((ev["at"], ev["status"]))
    session.flush()


def read_jsonl(path: Path) -> Iterable[Tuple[int, Any]]:
    with open(path, encoding="utf-8-sig") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, RecordError([f"not valid JSON ({exc.msg})"])


def read_csv(path: Path) -> Iterable[Tuple[int, Any]]:
    """One row per order item (and optionally per tracking event); rows sharing an
    order_id form one order. Each row is checked on its own first, so one bad item row is
    rejected with its line number while the order's good rows still import."""
    groups: "OrderedDict[str, List[Tuple[int, Dict[str, Any]]]]" = OrderedDict()
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
            key = row.get("order_id", "").upper() or f"#{reader.line_num}"
            groups.setdefault(key, []).append((reader.line_num, row))
    for rows in groups.values():
        good: List[Tuple[int, Dict[str, Any]]] = []
        for number, row in rows:
            try:
                probe = _csv_record([row])
                if not row.get("sku"):
                    # An event-only row: check its order and event fields, not item fields.
                    probe["items"] = [{"sku": "-", "name_zh": "-", "unit_price": "0"}]
                parse_record(probe)
                good.append((number, row))
            except RecordError as exc:
                yield number, exc
        if good:
            yield good[0][0], _csv_record([row for _, row in good])


def _csv_record(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    record = _csv_order(rows[0])
    for row in rows:
        if row.get("sku"):
            record["items"].append({
                "sku": row.get("sku"), "name_zh": row.get("item_name_zh"),
                "name_en": row.get("item_name_en"), "category": row.get("category"),
                "quantity": row.get("quantity") or 1, "unit_price": row.get("unit_price"),
            })
        if row.get("event_at") and record.get("shipment"):
            record["shipment"]["events"].append({
                "at": row.get("event_at"), "place": row.get("event_place"),
                "status": row.get("event_status"), "description": row.get("event_description")})
    return record


def _csv_order(row: Dict[str, Any]) -> Dict[str, Any]:
    record: Dict[str, Any] = {k: row.get(k) for k in CSV_ORDER_FIELDS}
    record["order_id"] = row.get("order_id")
    record["customer"] = {
        "id": row.get("customer_id"), "name": row.get("customer_name"),
        "phone": row.get("customer_phone"), "tier": row.get("customer_tier"),
        "identities": {"web": row.get("web_visitor_id"), "wechat": row.get("wechat_openid"),
                       "app": row.get("app_user_id")},
    }
    record["items"] = []
    if row.get("tracking_no"):
        record["shipment"] = {
            "carrier": row.get("carrier"), "tracking_no": row.get("tracking_no"),
            "status": row.get("shipment_status"), "shipped_at": row.get("shipped_at"),
            "delivered_at": row.get("delivered_at"), "events": [],
        }
    return record


def import_file(session: Session, path: Path) -> ImportReport:
    path = Path(path)
    reader = read_csv if path.suffix.lower() == ".csv" else read_jsonl
    report = ImportReport()
    for number, raw in reader(path):
        try:
            if isinstance(raw, RecordError):
                raise raw
            record = parse_record(raw)
            # A savepoint per line: a database error on one order keeps the others.
            with session.begin_nested():
                upsert_order(session, record)
            report.imported += 1
        except RecordError as exc:
            report.rejected.append((number, "; ".join(exc.reasons)))
        except Exception as exc:  # integrity errors, e.g. a tracking number of another order
            report.rejected.append((number, f"could not be stored: {exc.__class__.__name__}: "
                                            f"{str(exc).splitlines()[0][:200]}"))
    return report
