"""`python -m tools.shop_standin`: a stand-in shop backend for the demo and the tests.

It implements the shop side of common/shop/openapi.yml: signed change requests (cancel,
address, returns, refunds, carrier inquiries, coupons, reships) answered per idempotency key,
`GET /v1/requests/{key}` for pending answers and `GET /v1/events` (the sync feed). Two
endpoints exist for demos and tests only, and are refused in production mode:

    GET  /calls       every change request it took: method, path, idempotency_key, body, at
                      (one entry per key: a retried request gets the first answer again)
    POST /behaviour   {"mode": "accept"|"refuse"|"fail"|"slow", "reason": "...", "delay": s}
                      how it answers from then on (fail: 503, the shop is down; slow: pending,
                      accepted `delay` seconds later)
    POST /events      {"type": "order.updated", "data": {...}}: an event for the sync feed,
                      also pushed as a signed webhook to FRONTLINE_WEBHOOK_URL when set
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
from aiohttp import web

from common import production
from common.shop.signing import (EVENT_HEADER, IDEMPOTENCY_HEADER, MAX_BODY, SignatureError,
                                 shop_secret, sign, verify)

MODES = ("accept", "refuse", "fail", "slow")
DEFAULT_REASON = "the parcel has already been handed to the carrier"
log = logging.getLogger("shop-standin")


@dataclass
class Behaviour:
    mode: str = "accept"
    reason: str = DEFAULT_REASON
    delay: float = 5.0


@dataclass
class StandinShop:
    secret: str
    webhook_url: str = ""
    behaviour: Behaviour = field(default_factory=Behaviour)
    calls: List[Dict[str, Any]] = field(default_factory=list)
    answers: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    events: List[Dict[str, Any]] = field(default_factory=list)
    down_refusals: int = 0

    def answer_of(self, key: str) -> Dict[str, Any]:
        answer = self.answers[key]
        if answer["status"] == "pending" and time.time() >= answer["ready_at"]:
            answer.update(status="accepted", reference=f"S-{uuid.uuid4().hex[:8]}")
        return {k: answer.get(k) for k in ("status", "reason", "reference")}

    async def checked(self, request: web.Request) -> bytes:
        body = await request.read()
        try:
            verify(self.secret, request.headers, body)
        except SignatureError as exc:
            raise web.HTTPUnauthorized(text=json.dumps({"error": str(exc)}),
                                       content_type="application/json")
        return body

    async def change(self, request: web.Request) -> web.Response:
        body = await self.checked(request)
        key = request.headers.get(IDEMPOTENCY_HEADER) or ""
        if not key:
            return web.json_response({"error": "Idempotency-Key is required"}, status=400)
        if key in self.answers:  # a retry: the first answer, recorded once
            return web.json_response(self.answer_of(key))
        mode = self.behaviour.mode
        if mode == "fail":
            self.down_refusals += 1
            return web.json_response({"error": "shop unavailable"}, status=503)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return web.json_response({"error": "body is not JSON"}, status=400)
        answer: Dict[str, Any] = {"status": "accepted", "reason": None,
                                  "reference": f"S-{uuid.uuid4().hex[:8]}"}
        if mode == "refuse":
            answer = {"status": "refused", "reason": self.behaviour.reason, "reference": None}
        elif mode == "slow":
            answer = {"status": "pending", "reason": None, "reference": None,
                      "ready_at": time.time() + self.behaviour.delay}
        self.answers[key] = answer
        self.calls.append({"method": request.method, "path": request.path,
                           "idempotency_key": key, "body": payload, "at": time.time(),
                           "answer": answer["status"]})
        return web.json_response(self.answer_of(key), status=202 if mode == "slow" else 200)

    async def request_status(self, request: web.Request) -> web.Response:
        await self.checked(request)
        key = request.match_info["key"]
        if key not in self.answers:
            return web.json_response({"error": "unknown request"}, status=404)
        return web.json_response(self.answer_of(key))

    async def event_feed(self, request: web.Request) -> web.Response:
        await self.checked(request)
        since = int(request.query.get("since") or 0)
        return web.json_response({"events": self.events[since:], "cursor": str(len(self.events))})

    # --- demo and test controls -----------------------------------------------------------
    async def list_calls(self, request: web.Request) -> web.Response:
        return web.json_response(self.calls)

    async def set_behaviour(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("mode") not in MODES:
            return web.json_response({"error": f"mode must be one of {', '.join(MODES)}"},
                                     status=400)
        self.behaviour = Behaviour(data["mode"], str(data.get("reason") or DEFAULT_REASON),
                                   float(data.get("delay") or 5.0))
        return web.json_response({"mode": self.behaviour.mode, "reason": self.behaviour.reason,
                                  "delay": self.behaviour.delay})

    async def add_event(self, request: web.Request) -> web.Response:
        data = await request.json()
        if not isinstance(data, dict) or not data.get("type"):
            return web.json_response({"error": "an event needs a type"}, status=400)
        event = {"id": data.get("id") or f"ev-{uuid.uuid4().hex[:12]}", "type": data["type"],
                 "data": data.get("data") or {}}
        self.events.append(event)
        pushed = await self.push(event) if self.webhook_url and not data.get("feed_only") else None
        return web.json_response({"event": event, "pushed": pushed})

    async def push(self, event: Dict[str, Any]) -> Optional[int]:
        raw = json.dumps(event, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", EVENT_HEADER: event["id"],
                   **sign(self.secret, raw)}
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(self.webhook_url, data=raw, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=10)) as resp:
                    return resp.status
        except (aiohttp.ClientError, OSError) as exc:  # the sync feed still has it
            log.warning("webhook to %s failed: %s", self.webhook_url, exc)
            return None

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "mode": self.behaviour.mode})


@web.middleware
async def demo_only(request: web.Request, handler):
    if request.path in ("/calls", "/behaviour", "/events") and production.is_production():
        return web.json_response({"error": "demo and test control, off in production"},
                                 status=403)
    return await handler(request)


SHOP = web.AppKey("shop", StandinShop)


def create_app(shop: Optional[StandinShop] = None) -> web.Application:
    shop = shop or StandinShop(shop_secret(), os.environ.get("FRONTLINE_WEBHOOK_URL") or "")
    app = web.Application(middlewares=[demo_only], client_max_size=MAX_BODY)
    app[SHOP] = shop
    app.add_routes([
        web.post("/v1/orders/{order}/{action}", shop.change),
        web.get("/v1/requests/{key}", shop.request_status),
        web.get("/v1/events", shop.event_feed),
        web.get("/calls", shop.list_calls),
        web.post("/behaviour", shop.set_behaviour),
        web.post("/events", shop.add_event),
        web.get("/health", shop.health),
    ])
    return app


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tools.shop_standin")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5070)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    production.require("the stand-in shop", ["SHOP_SECRET"])
    web.run_app(create_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
