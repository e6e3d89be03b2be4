"""After-sales cases the bot opens go to the handoff service, where agents work them; the
shopper's "where is my case" is answered from there.

Same path as a handoff ticket (actions.handoff_client): a signed POST first, the service's
intake stream when the service is down (the service stores the case once per case number,
whichever way it came). The case row in the shop's store stays the bot's record of what it
told the shopper; the handoff service owns the work: department, status, SLA, history.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import aiohttp
from rasa_sdk import Tracker
from sqlalchemy.orm import Session

from actions.handover.client import queue_event
from actions.identity.metadata import conversation_metadata
from actions.store.models import AfterSalesCase, ReturnRequest
from common import signing
from common.config import service_url, shared_token

log = logging.getLogger(__name__)
CASES_PATH = "/api/bot/cases"
LOOKUP_PATH = "/api/bot/cases/lookup"


def _slot_value(events: List[Dict[str, Any]], name: str) -> Optional[str]:
    for event in events:
        if event.get("event") == "slot" and event.get("name") == name and event.get("value"):
            return str(event["value"])
    return None


def opened_case(session: Session, events: List[Dict[str, Any]],
                tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The case (or return request) this action just opened, as the service takes it."""
    language = tracker.get_slot("language") or "zh"
    channel = tracker.get_latest_input_channel() or \
        str(conversation_metadata(tracker).get("channel") or "")
    base = {"conversation_id": tracker.sender_id, "channel": channel, "language": language}
    case_id = _slot_value(events, "after_sales_case")
    if case_id:
        case = session.get(AfterSalesCase, case_id)
        if case is not None:
            return dict(base, case_ref=case.id, kind=case.kind, priority=case.priority,
                        customer_id=case.customer_id, order_id=case.order_id,
                        description=case.description or "", photo_url=case.photo_url)
    return_id = _slot_value(events, "return_id")
    if return_id and _slot_value(events, "order_action_done") == "return_created":
        ret = session.get(ReturnRequest, return_id)
        if ret is not None:
            return dict(base, case_ref=ret.id, kind="return", priority="normal",
                        customer_id=ret.order.customer_id, order_id=ret.order_id,
                        description=f"reason: {ret.reason}")
    return None


async def _post(path: str, payload: Dict[str, Any], timeout: float = 3.0) -> Dict[str, Any]:
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    url = service_url() + path
    headers = {"Content-Type": "application/json",
               **signing.sign(shared_token(), "POST", urlsplit(url).path, body)}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, data=body, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            if resp.status not in (200, 201):
                raise RuntimeError(f"handoff service answered {resp.status}")
            return await resp.json()


async def send_case(case: Dict[str, Any]) -> str:
    """accepted | queued | failed (logged: the shopper's promise stands in the shop's store)."""
    try:
        await _post(CASES_PATH, case)
        return "accepted"
    except Exception as exc:
        log.warning("handoff service unreachable for case %s (%s); queueing it",
                    case.get("case_ref"), exc)
    try:
        await queue_event({"event": "case_opened", "sender_id": case["conversation_id"],
                           "case": case})
        return "queued"
    except Exception as exc:
        log.error("could not queue case %s either: %s", case.get("case_ref"), exc)
        return "failed"


async def shoppers_cases(tracker: Tracker, case_ref: Optional[str] = None
                         ) -> Optional[List[Dict[str, Any]]]:
    """The shopper's cases (None when the service cannot be asked). Only what the channel
    vouched for names a customer; otherwise the orders proved here and this conversation."""
    channel_verified = tracker.get_slot("identity_source") == "channel"
    payload = {"conversation_id": tracker.sender_id,
               "customer_id": tracker.get_slot("customer_id") if channel_verified else None,
               "order_ids": list(tracker.get_slot("verified_orders") or []),
               "case_ref": case_ref, "language": tracker.get_slot("language") or "zh"}
    try:
        return list((await _post(LOOKUP_PATH, payload)).get("cases") or [])
    except Exception as exc:
        log.warning("case lookup failed: %s", exc)
        return None
