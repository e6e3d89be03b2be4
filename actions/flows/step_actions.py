"""Named Python step actions that a flow step may call (`action: lookup_device_model`).

What each one promises (outcomes, the values it provides, the `args` it accepts) is declared in
common.flows.steps, where the validator reads it; this module holds the code that runs it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from actions import store
from actions.identity import access
from actions.store import queries
from common.flows.steps import STEPS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepResult:
    outcome: str
    data: Dict[str, str] = field(default_factory=dict)


# A step action gets the rasa_sdk Tracker (or anything with get_slot/events/sender_id)
# and the step's `args` mapping from the flow file.
StepFn = Callable[[Any, Mapping[str, Any]], StepResult]


@dataclass(frozen=True)
class StepAction:
    name: str
    outcomes: Tuple[str, ...]
    provides: Tuple[str, ...]
    args: Tuple[str, ...]
    run: StepFn


REGISTRY: Dict[str, StepAction] = {}


def register(name: str) -> Callable[[StepFn], StepFn]:
    """Run `fn` for step action `name`, as declared in common.flows.steps."""
    spec = STEPS[name]

    def wrap(fn: StepFn) -> StepFn:
        REGISTRY[name] = StepAction(name, spec.outcomes, spec.provides, spec.args, fn)
        return fn
    return wrap


def run_step_action(name: str, tracker: Any, args: Mapping[str, Any]) -> StepResult:
    """Run a registered action; an error becomes its last outcome so the flow never stalls."""
    action = REGISTRY[name]
    try:
        return action.run(tracker, args)
    except Exception:  # a broken lookup must not break the conversation
        logger.exception("flow step action %s failed", name)
        return StepResult(action.outcomes[-1])


# --- lookup_device_model -------------------------------------------------------------

def _keywords(args: Mapping[str, Any]) -> List[str]:
    raw = args.get("keywords") or []
    return [str(k).lower() for k in (raw if isinstance(raw, list) else [raw])]


def _model_from_conversation(tracker: Any) -> Optional[str]:
    """A device model the shopper typed (entity `device_model`) in this conversation."""
    slot = tracker.get_slot("device_model") if hasattr(tracker, "get_slot") else None
    if slot:
        return str(slot)
    for event in reversed(list(getattr(tracker, "events", []) or [])):
        if event.get("event") != "user":
            continue
        for entity in (event.get("parse_data") or {}).get("entities") or []:
            if entity.get("entity") == "device_model" and entity.get("value"):
                return str(entity["value"])
    return None


def _orders_for(session: Any, tracker: Any) -> List[Any]:
    """Orders this conversation may see: the one in question if it is theirs, else their recent ones."""
    order_id = tracker.get_slot("order_id")
    if order_id:
        order = store.find_order(session, str(order_id))
        # someone else's order is never described, not even its device model
        if order is not None and access.can_see(tracker, order):
            return [order]
    customer_id = tracker.get_slot("customer_id") or access.customer_from_channel(session, tracker)
    if not customer_id:
        return []
    return list(queries.recent_orders(session, str(customer_id), days=365, limit=10))


def _item_matches(item: Any, keywords: List[str]) -> bool:
    text = " ".join(str(getattr(item, a, "") or "") for a in ("sku", "name_zh", "name_en")).lower()
    return not keywords or any(k in text for k in keywords)


def _model_from_store(tracker: Any, keywords: List[str], language: str) -> Optional[Dict[str, str]]:
    try:
        with store.session_scope() as session:
            for order in _orders_for(session, tracker):
                for item in getattr(order, "items", []) or []:
                    if _item_matches(item, keywords):
                        name = item.name_en if language == "en" else item.name_zh
                        return {"device_model": f"{name} ({item.sku})", "device_order": str(order.id)}
    except Exception:  # the store is down: the flow takes its generic branch instead of failing
        logger.exception("device model lookup in the store failed")
    return None


@register("lookup_device_model")
def lookup_device_model(tracker: Any, args: Mapping[str, Any]) -> StepResult:
    """The device the flow is about: as typed by the shopper, else from their orders."""
    typed = _model_from_conversation(tracker)
    if typed:
        return StepResult("found", {"device_model": typed, "device_order": ""})
    language = tracker.get_slot("language") or "zh"
    found = _model_from_store(tracker, _keywords(args), language)
    if found:
        return StepResult("found", found)
    return StepResult("not_found")
