"""Typed answers -> options, cancel words, and the device-model step action."""
from __future__ import annotations

import types
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pytest

from actions.flows import step_actions
from actions.flows.step_actions import REGISTRY, StepAction, StepResult, lookup_device_model, run_step_action
from common.flows.loader import load_dir
from common.flows.matching import is_cancel, match_text

FLOWS, _ = load_dir()


def step(flow: str, step_id: str):
    return FLOWS[flow].steps[step_id]


@pytest.mark.parametrize("text,intent,expected", [
    ("好了", None, "done"),
    ("可以了,登上了", None, "done"),
    ("还是不行", None, "still"),
    ("还是不行了", None, "still"),          # "行了" after 不 does not count
    ("不能登录了", None, "still"),
    ("works now, thanks!", None, "done"),
    ("still not working", None, "still"),
    ("it's not fixed", None, None),          # negated keyword, no other clue
    ("it's not fixed", "deny", "still"),    # ... the intent decides
    ("嗯嗯", "affirm", "done"),
    ("skip", None, "skip"),
    ("能登录了", "deny", "done"),            # the shopper's words beat a wrong intent
    ("网络没问题,跳过", None, "skip"),
    ("今天天气不错", None, None),
    ("Still not working", None, "still"),    # exact button title
])
def test_app_login_network_step(text, intent, expected):
    assert match_text(step("app_login", "network"), text, intent) == expected


def test_option_id_or_button_title_typed_back():
    assert match_text(step("router_firmware", "lights"), "WAN 灯亮着", None) == "wan_on"
    assert match_text(step("router_firmware", "lights"), "wan_off", None) == "wan_off"


def test_cancel_words():
    assert all(is_cancel(t) for t in ["算了", "算了吧。", "不弄了!", "Stop", "never mind", "forget it"])
    assert not any(is_cancel(t) for t in ["还是不行", "stop light is red", "好了"])


class FakeTracker:
    def __init__(self, slots: Optional[Dict[str, Any]] = None, events: Optional[List[dict]] = None) -> None:
        self.slots = slots or {}
        self.events = events or []
        self.sender_id = "s1"
        self.latest_message: Dict[str, Any] = {}

    def get_slot(self, name: str) -> Any:
        return self.slots.get(name)


@dataclass
class Item:
    sku: str
    name_zh: str
    name_en: str


@dataclass
class Order:
    id: str
    items: List[Item] = field(default_factory=list)


def fake_store(monkeypatch, orders: List[Order], customer: Optional[str] = "C1") -> types.SimpleNamespace:
    @contextmanager
    def session_scope():
        yield "session"

    store = types.SimpleNamespace(
        session_scope=session_scope,
        find_order=lambda session, order_id: next((o for o in orders if o.id == order_id), None))
    queries = types.SimpleNamespace(
        recent_orders=lambda session, customer_id, days=30, limit=5: orders if customer_id == customer else [])
    access = types.SimpleNamespace(
        # the shopper may see exactly the orders of the customer their channel identifies
        can_see=lambda tracker, order: customer is not None and order in orders,
        customer_from_channel=lambda session, tracker: customer)
    monkeypatch.setattr(step_actions, "store", store)
    monkeypatch.setattr(step_actions, "queries", queries)
    monkeypatch.setattr(step_actions, "access", access)
    return store


CAMERA = {"keywords": ["摄像头", "camera", "cam"]}


def test_lookup_prefers_the_model_the_shopper_typed():
    tracker = FakeTracker(events=[{"event": "user", "parse_data": {"entities": [
        {"entity": "device_model", "value": "C6CN"}]}}])
    assert lookup_device_model(tracker, CAMERA) == StepResult("found", {"device_model": "C6CN", "device_order": ""})


def test_lookup_finds_the_camera_in_the_shoppers_orders(monkeypatch):
    fake_store(monkeypatch, [Order("E202611180001", [Item("SKU-MUG-02", "陶瓷马克杯", "Ceramic mug")]),
                             Order("E202611180002", [Item("SKU-CAM-05", "家用监控摄像头", "Home security camera")])])
    result = lookup_device_model(FakeTracker({"language": "en"}), CAMERA)
    assert result == StepResult("found", {"device_model": "Home security camera (SKU-CAM-05)",
                                          "device_order": "E202611180002"})
    by_order = lookup_device_model(FakeTracker({"order_id": "E202611180002"}), CAMERA)
    assert by_order.data["device_model"] == "家用监控摄像头 (SKU-CAM-05)"


def test_lookup_never_reads_an_order_the_shopper_may_not_see(monkeypatch):
    camera = Order("E202611180002", [Item("SKU-CAM-05", "家用监控摄像头", "Home security camera")])
    fake_store(monkeypatch, [camera], customer=None)
    assert lookup_device_model(FakeTracker({"order_id": "E202611180002"}), CAMERA).outcome == "not_found"


def test_lookup_without_a_matching_item_or_customer(monkeypatch):
    fake_store(monkeypatch, [Order("E1", [Item("SKU-MUG-02", "陶瓷马克杯", "Ceramic mug")])])
    assert lookup_device_model(FakeTracker(), CAMERA).outcome == "not_found"
    fake_store(monkeypatch, [], customer=None)
    assert lookup_device_model(FakeTracker(), CAMERA).outcome == "not_found"


def test_lookup_degrades_when_the_store_is_down(monkeypatch):
    store = fake_store(monkeypatch, [])

    @contextmanager
    def broken():
        raise RuntimeError("database is down")
        yield  # pragma: no cover

    store.session_scope = broken
    assert lookup_device_model(FakeTracker(), CAMERA).outcome == "not_found"


def test_a_crashing_step_action_takes_its_last_outcome(monkeypatch):
    def boom(tracker, args):
        raise ValueError("bug")

    original = REGISTRY["lookup_device_model"]
    monkeypatch.setitem(REGISTRY, "lookup_device_model",
                        StepAction(original.name, original.outcomes, original.provides, original.args, boom))
    assert run_step_action("lookup_device_model", FakeTracker(), {}).outcome == "not_found"


def test_every_declared_step_action_has_code_and_every_registered_one_a_declaration():
    from common.flows.steps import STEPS

    assert set(REGISTRY) == set(STEPS)
    for name, spec in STEPS.items():
        assert (REGISTRY[name].outcomes, REGISTRY[name].provides, REGISTRY[name].args) == \
            (spec.outcomes, spec.provides, spec.args)
