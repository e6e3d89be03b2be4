"""Auth and errors come from the route table's middlewares: who may call, what a bad body
gets, and that nothing (not even a bug) answers with HTML or a stack trace."""
from __future__ import annotations

import json

import pytest

from common import signing as security
from handoff import store
from tests.integration.handoff_support import (TOKEN, pg_url, prefix, rasa_stub,  # noqa: F401
                                               sample_ticket, stack)

pytestmark = pytest.mark.integration


async def test_auth_is_checked_before_the_body(stack):
    stack.agent("ann", queues=["logistics"])
    ann = await stack.login("ann")
    # no session: 401 whatever the body; an agent on a supervisor's route: 403
    status, data = await stack.call("POST", "/api/kb/articles", data=b"not json")
    assert status == 401 and data["error"] == "unauthenticated"
    status, data = await stack.call("POST", "/api/kb/articles", headers=ann, data=b"not json")
    assert status == 403 and data["error"] == "forbidden"
    # a bot route: unsigned 401, forged 403, before the body is looked at
    status, data = await stack.call("POST", "/api/bot/handoffs", data=b"[]")
    assert status == 401 and data["error"] == "unsigned"
    body = b"[]"
    forged = security.sign("not-the-secret", "POST", "/api/bot/handoffs", body)
    status, data = await stack.call("POST", "/api/bot/handoffs", data=body, headers=forged)
    assert status == 403 and data["error"] == "bad_signature"


async def test_a_malformed_body_gets_the_declared_shape(stack):
    stack.agent("ann", queues=["logistics"])
    ann = await stack.login("ann")
    _, place = await stack.hand_off(sample_ticket())
    path = f"/api/tickets/{place['ticket_id']}/messages"
    status, data = await stack.call("POST", path, headers=ann, data=b"{not json")
    assert status == 400 and data["error"] == "bad_json" and data["message"]
    status, data = await stack.call("POST", path, headers=ann, data=b"[1, 2]")
    assert status == 400 and data["error"] == "bad_json"
    status, data = await stack.call("POST", path, headers=ann, json={"text": 7})
    assert status == 400 and data["error"] == "bad_field"
    assert data["fields"] == [{"field": "text", "problem": "str type expected"}]
    status, data = await stack.call("POST", path, headers=ann, json={"text": "   "})
    assert status == 400 and data["fields"][0]["field"] == "text"
    # nothing was stored by the refused calls
    _, messages = await stack.call("GET", path, headers=ann)
    assert messages["messages"] == []
    # a signed but invalid ticket
    raw = json.dumps({"conversation_id": "c-1", "trigger": "because"}).encode()
    status, data = await stack.call("POST", "/api/bot/handoffs", data=raw, headers={
        "Content-Type": "application/json",
        **security.sign(TOKEN, "POST", "/api/bot/handoffs", raw)})
    assert status == 400 and data["error"] == "bad_ticket"
    assert data["fields"][0]["field"] == "trigger"


async def test_store_errors_unknown_paths_and_bugs_are_json(stack, monkeypatch):
    stack.agent("boss", queues=[], role="supervisor")
    boss = await stack.login("boss")
    status, data = await stack.call("GET", "/api/tickets/999999", headers=boss)
    assert status == 404 and data["error"] == "not_found"
    status, data = await stack.call("GET", "/api/no/such/thing", headers=boss)
    assert status == 404 and data["error"] == "not_found"
    status, data = await stack.call("DELETE", "/api/queues", headers=boss)
    assert status == 405 and data["error"] == "method_not_allowed"

    def broken(db):
        raise RuntimeError("secret internals /etc/passwd")
    monkeypatch.setattr(store, "list_agents", broken)
    status, data = await stack.call("GET", "/api/agents", headers=boss)
    assert status == 500 and data == {"error": "internal", "message": "internal error"}


async def test_the_console_mounts_the_same_handlers_behind_its_session(stack):
    """Every console twin of an API route refuses a caller without a console session."""
    from handoff.routes import ROUTES
    for route in [r for r in ROUTES if r.console and r.status != 101]:
        path = route.console.replace("{ticket_id}", "1").replace("{article_id}", "1")
        status, data = await stack.call(route.method, path)
        assert status == 401 and data["error"] == "unauthenticated", path
