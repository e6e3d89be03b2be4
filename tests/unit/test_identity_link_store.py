"""Channel identities and the real order actions on a real seeded store (SQLite here;
tests/integration/test_identity_link_pg.py runs the same cases on PostgreSQL).

Fakes only for the tracker and the dispatcher. An identity the shop linked (its own records)
makes a channel know the shopper; proving an order with four phone digits links nothing, since
four digits are a guess away from anyone: it opens that order in that conversation only.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.handover.action import lookup_customer
from common.ticket import CustomerCard
from actions.identity.link import ChannelIdentity, link_identity, linked_identities
from actions.orders import conversation as orders
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


async def verify(conversation, order_id: str, last4: str) -> Dict[str, Any]:
    """The order form's two questions, answered."""
    validator = orders.ValidateOrderForm()
    first = await validator.validate_order_id(order_id, CollectingDispatcher(), conversation(), {})
    assert first["order_id"] == order_id  # not identified yet: asks for the phone
    return await validator.validate_phone_last4(last4, CollectingDispatcher(),
                                                conversation({"order_id": order_id}), {})


async def channel_customer(conversation) -> Dict[str, Any]:
    """What the next conversation on this channel knows when the shopper asks about orders."""
    events = await orders.ActionOrderStatus().run(CollectingDispatcher(), conversation(), {})
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def identity_row(engine, channel: str, external_id: str) -> Optional[Identity]:
    with session_scope(engine) as session:
        return session.execute(select(Identity).where(
            Identity.channel == channel, Identity.external_id == external_id)).scalars().first()


def shop_links(engine, customer_id: str, *identities: ChannelIdentity, conversation=None) -> None:
    """What the shop's own records do (the store import's identities)."""
    with session_scope(engine) as session:
        for identity in identities:
            link_identity(session, customer_id, identity, conversation, "import")


async def test_four_digits_open_one_order_and_link_nothing(store):
    order = order_of(store, "C0003")
    ok = await verify(web("s-first-000000001"), order.id, "0003")  # the customer's own phone
    assert ok["verified_orders"] == [order.id] and ok["identity_source"] == "order"
    assert identity_row(store, "web", VISITOR) is None
    # The next conversation from the same browser is a stranger again.
    later = await channel_customer(web("s-next-0000000001"))
    assert later.get("customer_id") is None and later.get("identity_source") != "channel"
    await verify(wechat(), order.id, "0003")
    assert identity_row(store, "wechat", OPENID) is None
    assert (await channel_customer(wechat())).get("customer_id") is None


async def test_a_shop_linked_identity_is_known_on_its_channel(store):
    order = order_of(store, "C0003")
    shop_links(store, "C0003", ChannelIdentity("web", VISITOR), ChannelIdentity("wechat", OPENID),
               conversation="web:0123456789abcdef0123456789abcdef")
    later = await channel_customer(web("s-next-0000000001"))
    assert later["customer_id"] == "C0003" and later["identity_source"] == "channel"
    assert later["order_id"] == order.id
    assert (await channel_customer(wechat()))["customer_id"] == "C0003"
    with session_scope(store) as session:
        assert identify(session, "web", "web:x", {"visitor_id": VISITOR}).id == "C0003"
        cards = {(i.channel, i.id): i for i in linked_identities(session, "C0003")}
    assert ("web", "…" + VISITOR[-6:]) in cards  # a visitor id works like a password: masked
    assert ("wechat", OPENID) in cards and cards[("wechat", OPENID)].linked_at
    assert any(c == "phone" and "****" in i for c, i in cards)
    card = lookup_customer("C0003")
    assert "web:0123456789abcdef0123456789abcdef" in {i["conversation_id"] for i in card["identities"]}
    # the card is what the ticket carries: it must build the ticket's dataclass as it is
    ticket_card = CustomerCard(**card)
    assert ticket_card.customer_id == "C0003" and isinstance(ticket_card.extra["orders"], list)


async def test_only_identifiers_the_input_channel_vouches_for_count(store):
    shop_links(store, "C0006", ChannelIdentity("web", VISITOR), ChannelIdentity("wechat", OPENID),
               ChannelIdentity("app", "u-42"))
    # Web metadata posted through the REST channel: anyone can type a visitor id there.
    assert (await channel_customer(web("s-rest-0000000001", input_channel="rest"))).get("customer_id") is None
    # A page posing as a WeChat user over socket.io (the web channel also strips this).
    fake = {"channel": "wechat", "openid": OPENID}
    posing = await channel_customer(lambda slots=None: tracker(OPENID, "socketio", fake, slots))
    assert posing.get("customer_id") is None
    # The app user the token check verified.
    app = {"channel": "app", "verified_app_user_id": "u-42", "app_version": "5.2.0"}
    assert (await channel_customer(lambda slots=None: tracker("app:u-42", "app", app, slots)))[
        "customer_id"] == "C0006"


async def test_wrong_phone_links_nothing_and_counts(store):
    order = order_of(store, "C0007")
    app = {"channel": "app", "verified_app_user_id": "u-77", "app_version": "5.2.0"}
    conversation = (lambda slots=None: tracker("app:u-77", "app", app, slots))
    validator = orders.ValidateOrderForm()
    wrong = await validator.validate_phone_last4("1234", CollectingDispatcher(),
                                                 conversation({"order_id": order.id}), {})
    assert wrong["order_id"] is None and identity_row(store, "app", "u-77") is None
    ok = await verify(conversation, order.id, "0007")
    assert ok["verified_orders"] == [order.id] and identity_row(store, "app", "u-77") is None
