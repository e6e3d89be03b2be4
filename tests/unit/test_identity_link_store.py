"""Identity linking through the real order actions on a real seeded store (SQLite here;
tests/integration/test_identity_link_pg.py runs the same cases on PostgreSQL).

Fakes only for the tracker and the dispatcher: the shopper verifies with order number + last
four phone digits on one channel, and from then on that channel knows them.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import orders
from actions.handoff import lookup_customer
from actions.identity_link import linked_identities
from actions.store import session_scope
from actions.store.models import Identity, Order
from actions.store.queries import identify
from common import channel_proof
from tests.unit.sealed import as_sent_by

VISITOR = "Vq3xL0b9ZkR2mT7yP4wN1a"  # what the widget makes: 128 random bits, base64url
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"


def tracker(sender: str, input_channel: str, metadata: Dict[str, Any],
            slots: Optional[Dict[str, Any]] = None) -> Tracker:
    sealed_sender, metadata = as_sent_by(input_channel, sender, metadata)
    # a forged conversation keeps its own id: the seal is for the id the channel would make
    metadata = metadata if sealed_sender == sender else channel_proof.strip(metadata)
    message = {"text": "", "intent": {"name": "order_status", "confidence": 0.99},
               "entities": [], "metadata": metadata}
    events = [{"event": "user", "text": "", "metadata": metadata, "input_channel": input_channel}]
    return Tracker(sender, {"language": "zh", **(slots or {})}, message, events, False, None, {},
                   "action_listen")


def web(session_id: str, visitor: str = VISITOR, input_channel: str = "socketio"):
    meta = {"channel": "web", "visitor_id": visitor, "page": "/"}
    return lambda slots=None: tracker(f"web:{session_id}", input_channel, meta, slots)


def wechat(openid: str = OPENID):
    meta = {"channel": "wechat", "openid": openid, "msg_type": "text"}
    return lambda slots=None: tracker(openid, "wechat", meta, slots)


def order_of(engine, customer_id: str) -> Order:
    with session_scope(engine) as session:
        return session.execute(select(Order).where(Order.customer_id == customer_id)
                               .order_by(Order.created_at.desc())).scalars().first()


def verify(conversation, order_id: str, last4: str) -> Dict[str, Any]:
    """The order form's two questions, answered."""
    validator = orders.ValidateOrderForm()
    first = validator.validate_order_id(order_id, CollectingDispatcher(), conversation(), {})
    assert first["order_id"] == order_id  # not identified yet: asks for the phone
    return validator.validate_phone_last4(last4, CollectingDispatcher(),
                                          conversation({"order_id": order_id}), {})


async def channel_customer(conversation) -> Dict[str, Any]:
    """What the next conversation on this channel knows when the shopper asks about orders."""
    events = await orders.ActionOrderStatus().run(CollectingDispatcher(), conversation(), {})
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def identity_row(engine, channel: str, external_id: str) -> Optional[Identity]:
    with session_scope(engine) as session:
        return session.execute(select(Identity).where(
            Identity.channel == channel, Identity.external_id == external_id)).scalars().first()


async def test_verified_on_web_then_wechat_is_one_customer(store):
    order = order_of(store, "C0003")
    assert (await channel_customer(web("s-next-0000000001"))).get("customer_id") is None

    ok = verify(web("s-first-000000001"), order.id, "0003")
    assert ok["customer_id"] == "C0003" and ok["verified_orders"] == [order.id]
    # A new web conversation from the same browser: known, and their order is picked.
    later = await channel_customer(web("s-next-0000000001"))
    assert later["customer_id"] == "C0003" and later["identity_source"] == "channel"
    assert later["order_id"] == order.id

    verify(wechat(), order.id, "0003")
    assert (await channel_customer(wechat()))["customer_id"] == "C0003"
    with session_scope(store) as session:
        assert identify(session, "web", "web:x", {"visitor_id": VISITOR}).id == "C0003"
        assert identify(session, "wechat", OPENID, {"openid": OPENID}).id == "C0003"
        cards = {(i.channel, i.conversation_id): i for i in linked_identities(session, "C0003")}
    assert cards[("web", "web:s-first-000000001")].verified_by == "order_phone"
    assert cards[("web", "web:s-first-000000001")].id == "…" + VISITOR[-6:]  # a secret: masked
    assert cards[("wechat", OPENID)].id == OPENID and cards[("wechat", OPENID)].linked_at
    assert ("phone", None) in cards and "****" in cards[("phone", None)].id
    # The agent's customer card in the handoff ticket lists both channels' conversations.
    card = lookup_customer("C0003")
    conversations = {i["conversation_id"] for i in card["identities"]}
    assert {"web:s-first-000000001", OPENID} <= conversations


async def test_recipient_phone_proves_the_order_but_links_nothing(store):
    order = order_of(store, "C0005")
    with session_scope(store) as session:
        session.get(Order, order.id).recipient_phone = "13712348888"  # a gift to a friend
    ok = verify(web("s-gift-0000000001"), order.id, "8888")
    assert ok["verified_orders"] == [order.id]  # the friend may ask about this parcel
    assert identity_row(store, "web", VISITOR) is None  # but not see the buyer's account
    assert (await channel_customer(web("s-gift-0000000002"))).get("customer_id") is None


async def test_only_identifiers_the_input_channel_vouches_for_are_linked(store):
    order = order_of(store, "C0006")
    # Web metadata posted through the REST channel: anyone can type a visitor id there.
    verify(web("s-rest-0000000001", input_channel="rest"), order.id, "0006")
    # A page posing as a WeChat user over socket.io (the web channel also strips this).
    fake = {"channel": "wechat", "openid": OPENID}
    verify(lambda slots=None: tracker(OPENID, "socketio", fake, slots), order.id, "0006")
    # A short, guessable visitor id.
    verify(web("s-weak-0000000001", visitor="visitor1"), order.id, "0006")
    # An app user id that the token check did not put there (sender is not app:<id>).
    app_claim = {"channel": "app", "verified_app_user_id": "u-42"}
    verify(lambda slots=None: tracker("app-anon:abcdefgh", "app", app_claim, slots),
           order.id, "0006")
    assert identity_row(store, "web", VISITOR) is None
    assert identity_row(store, "web", "visitor1") is None
    assert identity_row(store, "wechat", OPENID) is None
    assert identity_row(store, "app", "u-42") is None


async def test_verified_app_user_and_wrong_phone(store):
    order = order_of(store, "C0007")
    app = {"channel": "app", "verified_app_user_id": "u-77", "app_version": "5.2.0"}
    conversation = (lambda slots=None: tracker("app:u-77", "app", app, slots))
    validator = orders.ValidateOrderForm()
    wrong = validator.validate_phone_last4("1234", CollectingDispatcher(),
                                           conversation({"order_id": order.id}), {})
    assert wrong["order_id"] is None and identity_row(store, "app", "u-77") is None
    verify(conversation, order.id, "0007")
    row = identity_row(store, "app", "u-77")
    assert row.customer_id == "C0007" and row.conversation_id == "app:u-77"
    assert (await channel_customer(conversation))["customer_id"] == "C0007"


async def test_shared_browser_follows_who_verified_last(store):
    verify(web("s-shared-00000001"), order_of(store, "C0008").id, "0008")
    assert identity_row(store, "web", VISITOR).customer_id == "C0008"
    verify(web("s-shared-00000002"), order_of(store, "C0009").id, "0009")
    row = identity_row(store, "web", VISITOR)
    assert row.customer_id == "C0009" and row.conversation_id == "web:s-shared-00000002"
    with session_scope(store) as session:
        assert all(i.channel != "web" or i.id != "…" + VISITOR[-6:]
                   for i in linked_identities(session, "C0008"))
