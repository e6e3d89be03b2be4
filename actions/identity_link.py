"""One shopper, several channels: the identities a channel vouches for, and their customer.

An identity (web visitor id, WeChat openid, verified app user id) linked to a customer in the
store lets `actions.store.queries.identify` know the shopper and all their orders on that
channel, and the agent's customer card lists every linked channel with its conversation id
(`linked_identities`). Links come from the shop's own records (the store import's
`identities`, docs/store-import.md; `link_identity` for an integration that verified the customer
itself), never from a conversation: proving an order with its number and four phone digits is a
guess away from anyone, so it grants that order only (actions.identity).

Rules, because a link grants access to all of a customer's orders:
* Only identifiers the *input channel* vouches for: a web visitor id only from the widget's
  socket.io channel (which forces `channel: web`), an openid only from the WeChat channel
  (where it is the sender id), an app user id only after the app channel's token check.
  Metadata sent through REST or forged by a page is never trusted.
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

from actions.store.models import Identity

# channel in metadata -> Rasa input channel names that vouch for that channel's identifier
VOUCHING_INPUT_CHANNELS: Dict[str, tuple] = {"web": ("socketio",), "wechat": ("wechat",),
                                             "app": ("app",)}
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


def vouched_channel(metadata: Mapping, input_channel: Optional[str]) -> Optional[str]:
    """The metadata's channel if the Rasa input channel the message came through vouches for it."""
    channel = str(metadata.get("channel") or "").lower()
    return channel if input_channel in VOUCHING_INPUT_CHANNELS.get(channel, ()) else None


def channel_identity(metadata: Optional[Mapping], sender_id: Optional[str],
                     input_channel: Optional[str]) -> Optional[ChannelIdentity]:
    """The identifier this conversation's channel vouches for, or None."""
    metadata = metadata or {}
    channel = vouched_channel(metadata, input_channel)
    if channel is None:
        return None
    if channel == "web":
        visitor = metadata.get("visitor_id")
        if isinstance(visitor, str) and STRONG_VISITOR_ID.match(visitor):
            return ChannelIdentity("web", visitor)
        return None
    if channel == "wechat":
        # The WeChat channel sets the sender id to the (signature-checked) openid.
        openid = metadata.get("openid") or sender_id
        if openid and openid == sender_id:
            return ChannelIdentity("wechat", str(openid))
        return None
    user = metadata.get("verified_app_user_id")
    if user and sender_id == f"app:{user}":
        return ChannelIdentity("app", str(user))
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
    from actions.identity import conversation_metadata

    return channel_identity(conversation_metadata(tracker), tracker.sender_id,
                            tracker.get_latest_input_channel())


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
