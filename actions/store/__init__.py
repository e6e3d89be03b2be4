"""The shop's store: SQLAlchemy models, sessions, migrations, seed and import.

Public API used by the actions and the handoff service:
    get_engine(), session_scope(), in_session(fn, *args) and off_loop(fn, *args) (store work
    off the action server's event loop), order_context(session, order_id), identify(session,
    channel, sender_id, metadata), OrderContext.
"""
from actions.store.context import OrderContext, build_context, order_context
from actions.store.db import (get_engine, in_session, make_engine, migrate, off_loop,
                               session_scope, store_url)
from actions.store.queries import find_order, identify, normalize_order_id

__all__ = [
    "OrderContext", "build_context", "order_context", "get_engine", "make_engine", "migrate",
    "session_scope", "in_session", "off_loop", "store_url", "find_order", "identify",
    "normalize_order_id",
]
