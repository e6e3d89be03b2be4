"""The shop's data: customers and their channel identities, orders, shipments, after-sales, coupons.

SQLAlchemy 1.4 declarative models used in 2.0 style. Times are naive UTC (SQLite keeps no
zone); money is Numeric with two decimals. Status values are plain strings listed below so an
import file can name them.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import List, Optional

from sqlalchemy import (
    Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import declarative_base, relationship

Base = declarative_base()

CHANNELS = ("web", "wechat", "app", "phone")
TIERS = ("normal", "silver", "gold", "vip")
ORDER_STATUSES = ("unpaid", "paid", "shipped", "delivered", "cancelled", "refunded")
SHIPMENT_STATUSES = ("in_transit", "delivered", "exception")
RETURN_STATUSES = ("requested", "approved", "received", "refunded", "rejected")
REFUND_STATUSES = ("pending", "processing", "succeeded", "failed")
PAYMENT_METHODS = ("wechat_pay", "alipay", "bank_card", "credit_card", "huabei", "cash_on_delivery")


class Customer(Base):
    __tablename__ = "customers"
    id = Column(String(32), primary_key=True)
    name = Column(String(100), nullable=False)
    phone = Column(String(20), nullable=False, index=True)
    tier = Column(String(16), nullable=False, default="normal")
    language = Column(String(2), nullable=False, default="zh")
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    identities: List["Identity"] = relationship(
        "Identity", back_populates="customer", cascade="all, delete-orphan")
    orders: List["Order"] = relationship("Order", back_populates="customer")


class Identity(Base):
    """One way a customer shows up: a web visitor id, a WeChat openid, an app user id, a phone."""
    __tablename__ = "identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_identity_channel_ext"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    customer_id = Column(String(32), ForeignKey("customers.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    channel = Column(String(16), nullable=False)
    external_id = Column(String(128), nullable=False)
    # Set when a conversation linked this identity after a verification (actions.identity.link):
    # which conversation (so an agent can find that channel's history), how, and when.
    conversation_id = Column(String(160), nullable=True)
    verified_by = Column(String(16), nullable=True)  # order_phone | app_token | import
    linked_at = Column(DateTime, nullable=True)
    customer: Customer = relationship("Customer", back_populates="identities")


class Order(Base):
    __tablename__ = "orders"
    id = Column(String(32), primary_key=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False)
    amount = Column(Numeric(10, 2), nullable=False)
    shipping_fee = Column(Numeric(10, 2), nullable=False, default=Decimal("0"))
    payment_method = Column(String(32), nullable=True)
    created_at = Column(DateTime, nullable=False)
    paid_at = Column(DateTime, nullable=True)
    cancelled_at = Column(DateTime, nullable=True)
    recipient = Column(String(100), nullable=False, default="")
    recipient_phone = Column(String(20), nullable=False)
    address = Column(Text, nullable=False, default="")
    # The shopper says a "delivered" parcel never arrived.
    delivery_disputed = Column(Boolean, nullable=False, default=False)
    customer: Customer = relationship("Customer", back_populates="orders")
    items: List["OrderItem"] = relationship(
        "OrderItem", back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id")
    shipments: List["Shipment"] = relationship(
        "Shipment", back_populates="order", cascade="all, delete-orphan", order_by="Shipment.id")
    returns: List["ReturnRequest"] = relationship(
        "ReturnRequest", back_populates="order", order_by="ReturnRequest.created_at")
    refunds: List["Refund"] = relationship(
        "Refund", back_populates="order", order_by="Refund.requested_at")

    @property
    def shipment(self) -> Optional["Shipment"]:
        return self.shipments[-1] if self.shipments else None


class OrderItem(Base):
    __tablename__ = "order_items"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(32), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False,
                      index=True)
    sku = Column(String(64), nullable=False)
    name_zh = Column(String(200), nullable=False)
    name_en = Column(String(200), nullable=False)
    category = Column(String(32), nullable=False, default="general")
    quantity = Column(Integer, nullable=False, default=1)
    unit_price = Column(Numeric(10, 2), nullable=False)
    order: Order = relationship("Order", back_populates="items")


class Shipment(Base):
    __tablename__ = "shipments"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(32), ForeignKey("orders.id", ondelete="CASCADE"), nullable=False,
                      index=True)
    carrier = Column(String(16), nullable=False)
    tracking_no = Column(String(32), nullable=False, unique=True)
    status = Column(String(16), nullable=False, default="in_transit")
    shipped_at = Column(DateTime, nullable=False)
    delivered_at = Column(DateTime, nullable=True)
    order: Order = relationship("Order", back_populates="shipments")
    events: List["TrackingEvent"] = relationship(
        "TrackingEvent", back_populates="shipment", cascade="all, delete-orphan",
        order_by="TrackingEvent.at")

    @property
    def last_event(self) -> Optional["TrackingEvent"]:
        return self.events[-1] if self.events else None


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (UniqueConstraint("shipment_id", "at", "status", name="uq_tracking_event"),)
    id = Column(Integer, primary_key=True, autoincrement=True)
    shipment_id = Column(Integer, ForeignKey("shipments.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    at = Column(DateTime, nullable=False)
    place = Column(String(100), nullable=False, default="")
    # picked_up | in_transit | arrived | out_for_delivery | delivered | exception
    status = Column(String(24), nullable=False)
    description = Column(String(300), nullable=False, default="")
    shipment: Shipment = relationship("Shipment", back_populates="events")


class ReturnRequest(Base):
    __tablename__ = "returns"
    id = Column(String(32), primary_key=True)
    order_id = Column(String(32), ForeignKey("orders.id"), nullable=False, index=True)
    reason = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="requested")
    shipping_paid_by = Column(String(16), nullable=False, default="customer")
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    order: Order = relationship("Order", back_populates="returns")


class Refund(Base):
    __tablename__ = "refunds"
    id = Column(String(32), primary_key=True)
    order_id = Column(String(32), ForeignKey("orders.id"), nullable=False, index=True)
    return_id = Column(String(32), ForeignKey("returns.id"), nullable=True)
    amount = Column(Numeric(10, 2), nullable=False)
    method = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default="pending")
    requested_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    completed_at = Column(DateTime, nullable=True)
    order: Order = relationship("Order", back_populates="refunds")


class Coupon(Base):
    __tablename__ = "coupons"
    code = Column(String(32), primary_key=True)
    title_zh = Column(String(100), nullable=False)
    title_en = Column(String(100), nullable=False)
    amount = Column(Numeric(10, 2), nullable=False)
    min_spend = Column(Numeric(10, 2), nullable=False, default=Decimal("0"))
    valid_from = Column(DateTime, nullable=False)
    valid_to = Column(DateTime, nullable=False)
    # public: anyone may claim it; otherwise only customers it was issued to
    public = Column(Boolean, nullable=False, default=True)
    # comma-separated tiers allowed; empty = all tiers
    tiers = Column(String(64), nullable=False, default="")


class CouponIssuance(Base):
    """A coupon given to one customer (a claimed promotion or a goodwill gesture)."""
    __tablename__ = "coupon_issuances"
    id = Column(Integer, primary_key=True, autoincrement=True)
    coupon_code = Column(String(32), ForeignKey("coupons.code"), nullable=False)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=False, index=True)
    order_id = Column(String(32), ForeignKey("orders.id"), nullable=True, index=True)
    reason = Column(String(32), nullable=False, default="promotion")
    amount = Column(Numeric(10, 2), nullable=False)
    issued_at = Column(DateTime, nullable=False, default=datetime.utcnow)
    used_at = Column(DateTime, nullable=True)
    coupon: Coupon = relationship("Coupon")


class AfterSalesCase(Base):
    __tablename__ = "after_sales_cases"
    id = Column(String(32), primary_key=True)
    order_id = Column(String(32), ForeignKey("orders.id"), nullable=False, index=True)
    customer_id = Column(String(32), ForeignKey("customers.id"), nullable=False)
    kind = Column(String(32), nullable=False)  # damaged_item | carrier_inquiry | not_received
    priority = Column(String(8), nullable=False, default="normal")
    status = Column(String(16), nullable=False, default="open")
    description = Column(Text, nullable=False, default="")
    photo_url = Column(String(500), nullable=True)
    conversation_id = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=datetime.utcnow)


class OrderLog(Base):
    """What was done to an order and by whom (address changes, cancellations)."""
    __tablename__ = "order_log"
    id = Column(Integer, primary_key=True, autoincrement=True)
    order_id = Column(String(32), ForeignKey("orders.id"), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=datetime.utcnow)
    kind = Column(String(32), nullable=False)
    detail = Column(Text, nullable=False, default="")
    actor = Column(String(128), nullable=False, default="bot")


class VerificationFailure(Base):
    """A wrong order-number/phone attempt; counted per conversation to rate-limit guessing."""
    __tablename__ = "verification_failures"
    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(160), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=datetime.utcnow, index=True)
