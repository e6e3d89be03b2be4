"""One shopper, several channels: the identities a channel vouches for, and their customer.

An identity (web visitor id, WeChat openid, verified app user id) linked to a customer in the
store lets `actions.store.queries.identify` know the shopper and all their orders on that
channel, and the agent's customer card lists every linked channel with its conversation id
(`linked_identities`). Links come from the shop's own records (the store import's
`identities`, docs/store-import.md; `link_identity` for an integration that verified the customer
itself), never from a conversation: proving an order with its number and four phone digits is a
guess away from anyone, so it grants that order only (actions.identity.access).

Rules, because a link grants access to all of a customer's orders:
* Only identifiers a channel verified and sealed for this very conversation
  (common.channel_proof): a web visitor id from the widget's socket.io channel, an openid from
  the signature-checked WeChat channel, an app user id after the app channel's token check.
  Metadata sent through REST, a reported input channel or a page's claim is never linked.
* Web visitor ids must be long random strings (the widget makes 128-bit ids).
* An identity belongs to one customer.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.identity.metadata import conversation_metadata
from actions.store.models import Identity
from common import channel_proof

STRONG_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
LINKED = "linked"
MOVED = "moved"
UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ChannelIdentity:
    channel: str
    external_id: str


@dataclass
class LinkResult:
    channel: str
    external_id: str
    customer_id: str
    outcome: str  # linked | moved | unchanged
    previous_customer_id: Optional[str] = None


@dataclass
class LinkedIdentity:
    """One row of the agent's customer card (`id` is masked where it is a secret or a phone)."""
    channel: str
    id: str
    conversation_id: Optional[str] = None
    verified_by: Optional[str] = None
    linked_at: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


def channel_identity(metadata: Optional[Mapping],
                     sender_id: Optional[str]) -> Optional[ChannelIdentity]:
    """The identifier a channel sealed for this conversation (`sender_id`), or None."""
    proof = channel_proof.verified(metadata, sender_id)
    if proof is None:
        return None
    if proof.channel == "web":
        return ChannelIdentity("web", proof.external_id) if sender_id.startswith("web:") else None
    if proof.channel == "wechat":
        # The WeChat channel's conversation id is the (signature-checked) openid itself.
        return ChannelIdentity("wechat", proof.external_id) if proof.external_id == sender_id else None
    if sender_id == f"app:{proof.external_id}":
        return ChannelIdentity("app", proof.external_id)
    return None


def link_identity(session: Session, customer_id: str, identity: ChannelIdentity,
                  conversation_id: Optional[str], verified_by: str) -> LinkResult:
    """Create or re-point the identity to `customer_id` (flushed, not committed)."""
    row = session.execute(select(Identity).where(
        Identity.channel == identity.channel,
        Identity.external_id == identity.external_id)).scalars().first()
    now = datetime.utcnow()
    if row is None:
        session.add(Identity(customer_id=customer_id, channel=identity.channel,
                             external_id=identity.external_id, conversation_id=conversation_id,
                             verified_by=verified_by, linked_at=now))
        outcome, previous = LINKED, None
    else:
        previous = row.customer_id if row.customer_id != customer_id else None
        outcome = MOVED if previous else UNCHANGED
        row.customer_id = customer_id
        row.conversation_id = conversation_id or row.conversation_id
        row.verified_by, row.linked_at = verified_by, now
    session.flush()
    return LinkResult(identity.channel, identity.external_id, customer_id, outcome, previous)


def identity_of(tracker: Any) -> Optional[ChannelIdentity]:
    return channel_identity(conversation_metadata(tracker), tracker.sender_id)


def _shown_id(identity: Identity) -> str:
    value = identity.external_id or ""
    if identity.channel == "phone":
        return value[:3] + "****" + value[-4:] if len(value) >= 7 else "****"
    if identity.channel == "web":
        # A visitor id works like a password for the widget: agents see only its tail.
        return "…" + value[-6:]
    return value


def linked_identities(session: Session, customer_id: str) -> List[LinkedIdentity]:
    """Every channel identity of the customer, for the ticket's customer card."""
    rows = session.execute(select(Identity).where(Identity.customer_id == customer_id)
                           .order_by(Identity.channel, Identity.id)).scalars().all()
    return [LinkedIdentity(channel=row.channel, id=_shown_id(row),
                           conversation_id=row.conversation_id, verified_by=row.verified_by,
                           linked_at=row.linked_at.isoformat() + "Z" if row.linked_at else None)
            for row in rows]
