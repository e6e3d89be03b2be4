"""What the shopper is told when an agent moves their case on (zh first, en second).

Sent through the relay like every message of the service, on the conversation (and so the
channel) the case came from; the relay id makes a redelivered entry a no-op.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

KIND = {"damaged_item": ("商品破损", "damaged item"), "not_received": ("未收到货", "parcel not received"),
        "carrier_inquiry": ("物流查询", "carrier inquiry"), "return": ("退货", "return"),
        "refund": ("退款", "refund")}
STATUS = {
    "open": ("已受理,正在处理", "open and being handled"),
    "waiting_shop": ("正在等待商家处理", "waiting for the shop"),
    "waiting_carrier": ("正在等待快递公司回复", "waiting for the carrier"),
    "waiting_customer": ("需要您的补充信息", "waiting for information from you"),
    "resolved": ("已处理完成", "resolved"),
}
TEMPLATE = ("您的售后单 {ref}({kind})进度更新:{status}。{note}",
            "Update on your case {ref} ({kind}): {status}.{note}")
NOTE = ("客服说明:{text}", " Note from our team: {text}")


def label(table: Dict[str, tuple], code: str, lang: str) -> str:
    pair = table.get(code)
    return pair[0 if lang == "zh" else 1] if pair else code


def progress_text(case: Dict[str, Any], note: str = "", lang: Optional[str] = None) -> str:
    lang = lang or case.get("language") or "zh"
    index = 0 if lang == "zh" else 1
    said = NOTE[index].format(text=note.strip()) if note and note.strip() else ""
    return TEMPLATE[index].format(ref=case["case_ref"], kind=label(KIND, case["kind"], lang),
                                  status=label(STATUS, case["status"], lang), note=said)


def relay_item(case: Dict[str, Any], event_id: int, note: str = "") -> Optional[Dict[str, Any]]:
    """The relay entry for a status change, or None when the case has no conversation."""
    if not case.get("conversation_id"):
        return None
    return {"kind": "case_progress", "role": "bot", "conversation_id": case["conversation_id"],
            "channel": case.get("channel") or "", "text": progress_text(case, note),
            "case_id": case["id"], "relay_id": f"case:{case['id']}:{event_id}"}
