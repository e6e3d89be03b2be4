"""Agents' API and bot-side API of the handoff service on real PostgreSQL and Redis."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from common import signing
from handoff.routes import ROUTES
from tests.integration.handoff_support import (RASA_TOKEN, TOKEN, next_event, pg_url,  # noqa: F401
                                               prefix, rasa_stub, sample_ticket, stack)

pytestmark = pytest.mark.integration


async def test_openapi_describes_every_route(stack):
    status, doc = await stack.call("GET", "/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    registered = {(r.method, r.resource.canonical) for r in stack.runner.app.router.routes()
                  if r.method != "HEAD"
                  and not r.resource.canonical.startswith("/console")}  # HTML console
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert registered == documented == {(r.method, r.path) for r in ROUTES}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["summary"] and op["responses"]
            bodies = list(op["responses"].values()) + [op.get("requestBody", {})]
            for response in bodies:
                for media in response.get("content", {}).values():
                    name = media["schema"]["$ref"].rsplit("/", 1)[1]
                    assert name in doc["components"]["schemas"]


async def test_unauthenticated_and_forged_calls_are_refused(stack):
    stack.agent("ann")
    for method, path in [("GET", "/api/tickets"), ("POST", "/api/tickets/1/claim"),
                         ("GET", "/api/agents/me"), ("GET", "/api/queues"),
                         ("POST", "/api/tickets/1/messages")]:
        status, _ = await stack.call(method, path)
        assert status == 401, (method, path)
    status, _ = await stack.call("GET", "/api/tickets",
                                 headers={"Authorization": "Bearer forged-token"})
    assert status == 401
    status, _ = await stack.call("POST", "/api/agents/login",
                                 json={"username": "ann", "password": "wrong"})
    assert status == 401
    status, _ = await stack.call("POST", "/api/agents/login",
                                 json={"username": "nobody", "password": "wrong"})
    assert status == 401
    ws_status = None
    try:
        async with stack.http.ws_connect(f"{stack.url}/api/ws?token=forged"):
            pass
    except Exception as exc:  # aiohttp raises WSServerHandshakeError with the status
        ws_status = getattr(exc, "status", None)
    assert ws_status == 401

    ticket = sample_ticket()
    body = json.dumps(ticket.to_dict()).encode()
    # unsigned
    status, _ = await stack.call("POST", "/api/bot/handoffs", data=body)
    assert status == 401
    # signed with the wrong secret
    status, _ = await stack.hand_off(ticket, secret="not-the-secret")
    assert status == 403
    # a correct signature on a different body (tampered in transit)
    headers = signing.sign(TOKEN, "POST", "/api/bot/handoffs", body)
    status, _ = await stack.call("POST", "/api/bot/handoffs", headers=headers,
                                 data=body.replace(b"request_human", b"complaint"))
    assert status == 403
    # a replay of an old, once-valid request
    headers = signing.sign(TOKEN, "POST", "/api/bot/handoffs", body, now=time.time() - 3600)
    status, _ = await stack.call("POST", "/api/bot/handoffs", headers=headers, data=body)
    assert status == 403
    status, data = await stack.call("GET", f"/api/bot/conversations/{ticket.conversation_id}/ticket")
    assert status == 401
    # nothing of the above created a ticket
    headers = await stack.login("ann")
    status, data = await stack.call("GET", "/api/tickets?status=open", headers=headers)
    assert status == 200 and data["tickets"] == []


async def test_handoff_is_stored_whole_and_pushed_live(stack):
    stack.agent("ann", queues=["logistics"])
    headers = await stack.login("ann")
    async with stack.http.ws_connect(f"{stack.url}/api/ws",
                                     headers=headers) as ws:
        assert (await ws.receive_json())["type"] == "hello"
        ticket = sample_ticket()
        status, place = await stack.hand_off(ticket)
        assert status == 201
        assert place["queue"] == "logistics" and place["position"] == 1
        assert place["agents_online"] == 1 and 1 <= place["priority"] <= 4
        event = await next_event(ws, "ticket.new")
        assert event["ticket"]["id"] == place["ticket_id"]
        assert event["ticket"]["reason"] == "request_human"
    # a retried handoff (same handoff_id) is the same ticket
    status, again = await stack.hand_off(ticket)
    assert status == 200 and again["duplicate"] and again["ticket_id"] == place["ticket_id"]
    status, detail = await stack.call("GET", f"/api/tickets/{place['ticket_id']}", headers=headers)
    assert status == 200
    stored = detail["ticket"]
    assert stored["order"]["tracking_no"] == "SF1234567890123"
    assert stored["order"]["hours_stale"] == 73.0
    assert stored["emotion"]["peak"] == "angry" and stored["emotion"]["risk_flags"] == ["bad_review"]
    assert [i["name"] for i in stored["intent_history"]] == [
        "order_status", "logistics_problem", "request_human"]
    assert stored["customer"]["masked_phone"] == "138****5678"
    assert detail["top_intent"] == "logistics_problem" and detail["top_confidence"] == 0.91
    assert [e["kind"] for e in detail["events"]] == ["created"]
    status, view = await stack.call("GET",
                                    f"/api/bot/conversations/{ticket.conversation_id}/ticket",
                                    headers=signing.sign(TOKEN, "GET", f"/api/bot/conversations/"
                                                          f"{ticket.conversation_id}/ticket"))
    assert status == 200 and view["id"] == place["ticket_id"]


async def test_second_agent_cannot_claim_a_claimed_ticket(stack):
    stack.agent("ann")
    stack.agent("bob")
    stack.agent("cat")
    ann, bob, cat = [await stack.login(u) for u in ("ann", "bob", "cat")]
    _, place = await stack.hand_off(sample_ticket())
    tid = place["ticket_id"]
    status, view = await stack.call("POST", f"/api/tickets/{tid}/claim", headers=ann)
    assert status == 200 and view["status"] == "assigned"
    status, err = await stack.call("POST", f"/api/tickets/{tid}/claim", headers=bob)
    assert status == 409 and err["error"] == "conflict"
    # racing claims: exactly one wins
    _, place2 = await stack.hand_off(sample_ticket())
    results = await asyncio.gather(*[stack.call("POST", f"/api/tickets/{place2['ticket_id']}/claim",
                                                headers=h) for h in (ann, bob, cat)])
    assert sorted(s for s, _ in results) == [200, 409, 409]
    # bob may not write on ann's ticket
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=bob,
                                 json={"text": "hi"})
    assert status == 403


async def test_agent_sees_only_own_queues(stack):
    stack.agent("tech", queues=["tech_support"])
    stack.agent("boss", queues=[], role="supervisor")
    tech, boss = await stack.login("tech"), await stack.login("boss")
    _, place = await stack.hand_off(sample_ticket())  # logistics
    status, data = await stack.call("GET", "/api/tickets", headers=tech)
    assert data["tickets"] == []
    status, _ = await stack.call("GET", f"/api/tickets/{place['ticket_id']}", headers=tech)
    assert status == 403
    status, _ = await stack.call("POST", f"/api/tickets/{place['ticket_id']}/claim", headers=tech)
    assert status == 403
    status, data = await stack.call("GET", "/api/tickets", headers=boss)
    assert [t["id"] for t in data["tickets"]] == [place["ticket_id"]]
    status, _ = await stack.call("GET", "/api/tickets/999999", headers=boss)
    assert status == 404


async def test_message_transfer_note_resolve_and_csat(stack, rasa_stub):
    stack.agent("ann", queues=["logistics"])
    stack.agent("ted", queues=["after_sales"])
    ann, ted = await stack.login("ann"), await stack.login("ted")
    ticket = sample_ticket()
    cid = ticket.conversation_id
    _, place = await stack.hand_off(ticket)
    tid = place["ticket_id"]
    await stack.call("POST", f"/api/tickets/{tid}/claim", headers=ann)
    status, msg = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann,
                                   json={"text": "王先生您好,我来帮您查。", "client_id": "c-1"})
    assert status == 201 and msg["role"] == "agent"
    # the console retries the same message: stored once, relayed once
    status, same = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann,
                                    json={"text": "王先生您好,我来帮您查。", "client_id": "c-1"})
    assert status == 200 and same["id"] == msg["id"]
    await rasa_stub.wait_for(lambda: rasa_stub.bot_texts(cid))
    call = rasa_stub.calls[0]
    assert call["query"]["output_channel"] == "latest"
    assert call["query"]["execute_side_effects"] == "true"
    event = call["events"][0]
    assert event["event"] == "bot" and event["text"] == "王先生您好,我来帮您查。"
    assert event["metadata"]["handoff"]["role"] == "agent"
    status, note = await stack.call("POST", f"/api/tickets/{tid}/notes", headers=ann,
                                    json={"text": "客户要求退款,转售后"})
    assert status == 201 and note["kind"] == "note"
    status, view = await stack.call("POST", f"/api/tickets/{tid}/transfer", headers=ann,
                                    json={"queue": "after_sales", "note": "退款请售后处理"})
    assert status == 200 and view["status"] == "transferred" and view["queue"] == "after_sales"
    assert view["assignee_id"] is None
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann,
                                 json={"text": "still mine?"})
    assert status == 403
    status, view = await stack.call("POST", f"/api/tickets/{tid}/claim", headers=ted)
    assert status == 200
    status, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=ted)
    assert detail["ticket"]["order"]["order_id"] == "E202611180042"  # context kept
    kinds = [e["kind"] for e in detail["events"]]
    assert kinds[:2] == ["created", "claimed"] and "note" in kinds and "transferred" in kinds
    transfer_event = next(e for e in detail["events"] if e["kind"] == "transferred")
    assert transfer_event["data"]["note"] == "退款请售后处理"
    status, view = await stack.call("POST", f"/api/tickets/{tid}/resolve", headers=ted,
                                    json={"code": "refund_issued"})
    assert status == 200 and view["status"] == "resolved" and view["resolution_code"] == "refund_issued"
    await rasa_stub.wait_for(lambda: any(e.get("event") == "resume"
                                         for e in rasa_stub.trackers.get(cid, [])))
    events = rasa_stub.trackers[cid]
    resume_at = next(i for i, e in enumerate(events) if e.get("event") == "resume")
    after = events[resume_at + 1:]
    assert after[0]["event"] == "bot" and "还有其他" in after[0]["text"]
    assert after[1]["event"] == "bot" and "1-5" in after[1]["text"]
    assert len(after[1]["data"]["buttons"]) == 5
    assert after[-1] == {"event": "action", "name": "action_listen"}
    # the shopper's rating arrives through the event stream (bot.broker) and lands on the ticket
    from tests.integration.handoff_support import make_broker
    broker = make_broker(stack.settings.redis_prefix)
    broker.publish({"event": "user", "sender_id": cid, "text": "5", "message_id": "m-csat",
                    "timestamp": time.time(), "parse_data": {"intent": {"name": "csat_score"}}})
    for _ in range(200):
        status, detail = await stack.call("GET", f"/api/tickets/{tid}", headers=ted)
        if detail["csat"] is not None:
            break
        await asyncio.sleep(0.05)
    assert detail["csat"] == 5
    assert detail["events"][-1]["kind"] == "csat"
    await broker.close()


async def test_supervisor_reassigns_and_lists_agents(stack):
    ann_id = stack.agent("ann", queues=["logistics"])
    tech_id = stack.agent("tech", queues=["tech_support"])
    stack.agent("boss", queues=[], role="supervisor")
    ann, boss = await stack.login("ann"), await stack.login("boss")
    _, place = await stack.hand_off(sample_ticket())
    tid = place["ticket_id"]
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/assign", headers=ann,
                                 json={"agent_id": ann_id})
    assert status == 403  # agents cannot assign
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/assign", headers=boss,
                                 json={"agent_id": tech_id})
    assert status == 400  # not in that queue
    status, view = await stack.call("POST", f"/api/tickets/{tid}/assign", headers=boss,
                                    json={"agent_id": ann_id})
    assert status == 200 and view["assignee_id"] == ann_id and view["status"] == "assigned"
    status, _ = await stack.call("POST", f"/api/tickets/{tid}/messages", headers=ann,
                                 json={"text": "我来处理"})
    assert status == 201
    status, data = await stack.call("GET", "/api/agents", headers=boss)
    assert {a["username"] for a in data["agents"]} == {"ann", "tech", "boss"}
    status, _ = await stack.call("GET", "/api/agents", headers=ann)
    assert status == 403


async def test_action_handoff_against_the_running_service(stack, monkeypatch):
    """The real action (rasa-sdk) posts a signed ticket and tells the shopper its place."""
    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    import actions.handover.action as action_module
    from tests.unit.test_handoff_ticket import CUSTOMER, EVENTS, ORDER, slots

    monkeypatch.setenv("HANDOFF_URL", stack.url)
    monkeypatch.setenv("HANDOFF_TOKEN", TOKEN)
    monkeypatch.setattr(action_module, "lookup_order", lambda oid: ORDER)
    monkeypatch.setattr(action_module, "lookup_customer", lambda cid: CUSTOMER)
    stack.agent("ann", queues=["logistics"])
    headers = await stack.login("ann")
    async with stack.http.ws_connect(f"{stack.url}/api/ws", headers=headers) as ws:
        await ws.receive_json()
        tracker = Tracker("conv-action", slots(handoff_trigger="negative_emotion"),
                          EVENTS[-1]["parse_data"], EVENTS, False, None, {}, "socketio")
        dispatcher = CollectingDispatcher()
        events = await action_module.ActionHandoff().run(dispatcher, tracker, {})
        live = await next_event(ws, "ticket.new")
    assert [e["event"] for e in events] == ["slot", "pause"]
    text = dispatcher.messages[0]["text"]
    assert "转接人工客服" in text or "非工作时间" in text
    ticket = live["ticket"]
    assert ticket["conversation_id"] == "conv-action" and ticket["reason"] == "negative_emotion"
    assert ticket["queue"] == "logistics" and ticket["priority"] <= 2  # angry gold customer
    assert ticket["summary"]["zh"].startswith("王先生") and ticket["first_sentence"]["en"]
