"""The bot's side of the shop connector: queue a change, then tell the truth about it.

A topic handler calls `request()` inside its store session: the outbox row commits with the
local change, and the handler gets back a placeholder to put in its reply where the outcome
goes. After the session committed, the action calls `resolve(dispatcher)`: it wakes the
sender, waits a moment for the shop's answer and replaces each placeholder with what is true
now: the done sentence if the shop accepted, the shop's reason if it refused, otherwise
"submitted" (the answer then reaches the shopper later, on their channel: actions.shop.answers).

Without SHOP_URL no shop is connected: the store is the record, `request()` returns the done
sentence and nothing is queued (the behaviour before the connector existed).
"""
from __future__ import annotations

import asyncio
import os
import re
import time
import uuid
from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.shop import wake
from actions.texts import text
from actions.store import get_engine
from common.shop import outbox
from common.shop.client import shop_url
from common.shop.outbox import STORE_OUTBOX

WAIT_ENV = "SHOP_INLINE_WAIT"
_MARK = re.compile("( ?)\u2063shop:([A-Za-z0-9:_-]+)\u2063")
_NOTICES: Dict[str, Dict[str, Any]] = {}  # placeholder key -> what to say, for this process


def connected() -> bool:
    return bool(shop_url())


def inline_wait() -> float:
    """How long a reply waits for the shop's answer before saying "submitted"."""
    return float(os.environ.get(WAIT_ENV) or 4.0)


def request(session: Session, tracker: Tracker, kind: str, order_id: str,
            payload: Dict[str, Any], done: str, lang: str,
            local: Optional[Dict[str, Any]] = None, later: Optional[str] = None) -> str:
    """Queue `kind` for the shop with the local change; the text to put in the reply.

    `local` is what undoing the change takes if the shop refuses it (kept with the
    shopper's notice, never sent to the shop). `later` is the confirmation told after the
    reply when `done` alone would not say what happened (default: `done`)."""
    if not connected():
        return done
    key = f"fl-{kind}-{order_id}-{uuid.uuid4().hex[:12]}"
    notice = {"lang": lang, "done": done, "later": later or done, "local": local or {},
              "what": text(f"shop_what_{kind}", lang, order_id=order_id)}
    outbox.enqueue(session, kind, order_id, payload, key, STORE_OUTBOX,
                   conversation_id=tracker.sender_id, notice=notice)
    _NOTICES[key] = notice
    return f"\u2063shop:{key}\u2063"


def final_text(row: outbox.OutboxRow, later: bool = False) -> str:
    """What the shopper hears about a final answer (`later`: not in reply to their message)."""
    notice = row.notice or {}
    lang = notice.get("lang") or "zh"
    if row.status == "refused":
        return text("shop_refused", lang, what=notice.get("what") or row.kind,
                    reason=row.reason or "-")
    if later:
        return text("shop_confirmed_later", lang, done=notice.get("later") or notice.get("done"))
    return notice.get("done") or ""


def _answer_or_submitted(key: str, notice: Dict[str, Any]) -> str:
    engine = get_engine()
    with engine.begin() as conn:
        row = outbox.find(conn, STORE_OUTBOX, key)
        if row is not None and row.status in outbox.FINAL_STATES and \
                outbox.mark_told(conn, STORE_OUTBOX, key, "final"):
            return final_text(row)
        outbox.mark_told(conn, STORE_OUTBOX, key, "submitted")
    return text("shop_submitted", notice["lang"], what=notice["what"])


def _answered(key: str) -> bool:
    with get_engine().connect() as conn:
        row = outbox.find(conn, STORE_OUTBOX, key)
    return row is not None and row.status in outbox.FINAL_STATES


async def resolve(dispatcher: CollectingDispatcher, wait: Optional[float] = None) -> None:
    """Replace every placeholder in the replies with what is true once the session committed."""
    keys = [k for m in dispatcher.messages
            for _, k in _MARK.findall(str(m.get("text") or ""))]
    if not keys:
        return
    wake.nudge()  # the sender runs in this process (when started)
    deadline = time.monotonic() + (inline_wait() if wait is None else wait)
    pending = list(keys)
    while pending and time.monotonic() < deadline:
        pending = [k for k in pending if not await asyncio.to_thread(_answered, k)]
        if pending:
            await asyncio.sleep(0.1)
    said: Dict[str, str] = {}
    for key in keys:
        notice = _NOTICES.pop(key, None) or {"lang": "zh", "what": "", "done": ""}
        try:
            said[key] = await asyncio.to_thread(_answer_or_submitted, key, notice)
        except Exception:  # the store is away: the request is queued, say only that
            said[key] = text("shop_submitted", notice["lang"], what=notice["what"])
    for message in dispatcher.messages:
        if message.get("text"):
            # an empty outcome takes its leading space with it
            message["text"] = _MARK.sub(
                lambda m: m.group(1) + said[m.group(2)] if said.get(m.group(2)) else "",
                message["text"])
