"""The store on SQLite: migrations, seed coverage, import validation and idempotence."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from actions.store import db, order_context, session_scope
from actions.store.__main__ import main
from actions.store.demo import seed
from actions.store.importer import import_file
from actions.store.models import Customer, Identity, Order, OrderItem, TrackingEvent
from actions.store.queries import identify

GOOD = {"order_id": "E202611180042", "status": "shipped", "amount": "299.00",
        "payment_method": "alipay", "created_at": "2026-11-18T10:00:00+08:00",
        "customer": {"id": "X1", "name": "测试", "phone": "13912345678",
                     "identities": {"web": "web-x1", "wechat": "oX1"}},
        "items": [{"sku": "A", "name_zh": "杯子", "name_en": "Cup", "unit_price": "299"}],
        "shipment": {"carrier": "SF", "tracking_no": "SF1234567890123",
                     "shipped_at": "2026-11-18T12:00:00+08:00",
                     "events": [{"at": "2026-11-18T13:00:00+08:00", "place": "杭州",
                                 "status": "picked_up", "description": "已揽收"}]}}


@pytest.fixture()
def engine(tmp_path):
    return db.get_engine(f"sqlite:///{tmp_path / 'shop.db'}")


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_seed_covers_every_state_and_is_idempotent(engine):
    with session_scope(engine) as s:
        seed(s)
    with session_scope(engine) as s:
        seed(s)
        assert count(s, Customer) >= 30 and count(s, Order) >= 100
        statuses = set(s.execute(select(Order.status)).scalars())
        assert statuses == {"unpaid", "paid", "shipped", "delivered", "cancelled", "refunded"}
        assert s.execute(select(func.count()).where(Order.delivery_disputed.is_(True))).scalar_one()
        ctx = order_context(s, s.execute(select(Order.id).where(
            Order.customer_id == "C0003")).scalar_one())
        assert ctx.hours_since_last_event >= 48 and ctx.to_dict()["tracking_no"]
        assert identify(s, "web", None, {"visitor_id": "web-demo-0007"}).id == "C0007"
        assert identify(s, "wechat", "oDemo0008wx", {}).id == "C0008"
        assert identify(s, "app", None, {"app_user_id": "app-demo-0001"}) is None


def test_bad_lines_are_reported_and_good_lines_kept(engine, tmp_path):
    bad_amount = {**GOOD, "order_id": "E202611180043", "amount": "abc"}
    bad_phone = {**GOOD, "order_id": "E202611180044",
                 "customer": {**GOOD["customer"], "phone": "123"},
                 "shipment": {**GOOD["shipment"], "tracking_no": "SF1234567890999"}}
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join([json.dumps(GOOD, ensure_ascii=False), "{not json",
                               json.dumps(bad_amount), json.dumps(bad_phone), ""]),
                    encoding="utf-8")
    with session_scope(engine) as s:
        report = import_file(s, path)
    assert report.imported == 1
    assert [line for line, _ in report.rejected] == [2, 3, 4]
    assert "amount is not a number" in report.rejected[1][1]
    assert "customer.phone" in report.rejected[2][1]
    with session_scope(engine) as s:
        again = import_file(s, path)  # idempotent: same counts, no duplicates
        assert again.imported == 1
        assert count(s, Order) == 1 and count(s, OrderItem) == 1 and count(s, TrackingEvent) == 1
        assert count(s, Identity) == 3  # web, wechat, phone


def test_csv_import_groups_items_and_rejects_one_bad_row(engine, tmp_path):
    header = ("order_id,customer_id,customer_name,customer_phone,web_visitor_id,status,amount,"
              "payment_method,created_at,sku,item_name_zh,item_name_en,category,quantity,"
              "unit_price,carrier,tracking_no,shipped_at,event_at,event_place,event_status,"
              "event_description\n")
    base = ("E202611190001,Y1,李四,13911112222,web-y1,shipped,120,wechat_pay,"
            "2026-11-19 09:00:00,")
    ship = ",SF,SF9999999999999,2026-11-19 12:00:00,"
    rows = [base + "S1,杯子,Cup,kitchen,1,40" + ship + "2026-11-19 13:00:00,杭州,picked_up,已揽收",
            base + "S2,盘子,Plate,kitchen,2,40" + ship + ",,,",
            base + "S3,坏行,Bad,kitchen,x,40" + ship + ",,,"]
    path = tmp_path / "orders.csv"
    path.write_text(header + "\n".join(rows) + "\n", encoding="utf-8")
    with session_scope(engine) as s:
        report = import_file(s, path)
    assert report.imported == 1 and report.rejected[0][0] == 4
    assert "quantity" in report.rejected[0][1]
    with session_scope(engine) as s:
        order = s.get(Order, "E202611190001")
        assert [i.sku for i in order.items] == ["S1", "S2"]
        # naive CSV times are shop time (UTC+8): 13:00 local is 05:00 UTC
        assert order.shipment.events[0].at.hour == 5


def test_cli_seed_and_import(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STORE_URL", f"sqlite:///{tmp_path / 'var' / 'cli.db'}")
    assert main(["seed"]) == 0
    path = tmp_path / "o.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + "[]\n", encoding="utf-8")
    assert main(["import", str(path)]) == 2
    out = capsys.readouterr().out
    assert "imported 1 order(s), rejected 1 line(s)" in out and "line 2:" in out
