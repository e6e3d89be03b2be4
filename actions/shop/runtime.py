"""The shop connector inside the action server (Sanic, like rasa-sdk itself).

- `POST /shop/webhooks`: the shop's signed events (authenticated by the signature, not by
  Rasa's bearer token: actions.server lets this one path through to this check). Bad or
  missing signature, stale timestamp: 401; body over 1 MB: 413; malformed event: 400;
  an order that fails the import validation: 422 with every reason; a replay: 200 duplicate.
- With SHOP_URL set, two background tasks: the outbox sender and the periodic sync
  (SHOP_SYNC_SECONDS, default 300) that pulls events a webhook missed. Retries start after
  SHOP_RETRY_BASE_SECONDS (2) and double; after SHOP_MAX_ATTEMPTS (8) a row is dead.
"""
from __future__ import annotations

import asyncio
import json
import logging
import os
from typing import List

import aiohttp
from sanic import Sanic, response
from sqlalchemy.exc import IntegrityError
from sanic.request import Request
from sanic.response import HTTPResponse

from actions.shop import answers, inbound, wake
from actions.store import get_engine
from actions.store.records import RecordError
from common.shop.backoff import Backoff
from common.shop.client import ShopClient, shop_url
from common.shop.outbox import STORE_OUTBOX
from common.shop.sender import OutboxSender
from common.shop.signing import MAX_BODY, SignatureError, shop_secret, verify

WEBHOOK_PATH = "/shop/webhooks"
SYNC_ENV = "SHOP_SYNC_SECONDS"
RETRY_ENV = "SHOP_RETRY_BASE_SECONDS"  # first retry after this, doubling up to 10 minutes
ATTEMPTS_ENV = "SHOP_MAX_ATTEMPTS"  # then the row is dead-lettered
log = logging.getLogger(__name__)
_tasks: List[asyncio.Task] = []


async def webhook(request: Request) -> HTTPResponse:
    body = request.body or b""
    if len(body) > MAX_BODY:
        return response.json({"error": "body too large"}, status=413)
    try:
        verify(shop_secret(), request.headers, body)
    except SignatureError as exc:
        log.warning("shop webhook refused from %s: %s", request.ip, exc)
        return response.json({"error": str(exc)}, status=401)
    try:
        event = json.loads(body)
    except ValueError:
        return response.json({"error": "body is not JSON"}, status=400)
    try:
        result = await asyncio.to_thread(inbound.receive, get_engine(), event)
    except inbound.EventError as exc:
        return response.json({"error": "bad event", "reasons": exc.reasons}, status=400)
    except RecordError as exc:
        return response.json({"error": "invalid record", "reasons": exc.reasons}, status=422)
    except IntegrityError as exc:  # e.g. a tracking number that belongs to another order
        return response.json({"error": "could not be stored",
                              "reasons": [str(exc.orig).splitlines()[0][:200]]}, status=422)
    return response.json({"result": result})


async def _sync_forever(client: ShopClient, every: float) -> None:
    while True:
        try:
            counts = await inbound.sync_once(get_engine(), client)
            if counts["applied"] or counts["rejected"]:
                log.info("shop sync: %s", counts)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the shop or the store is away: next round
            log.warning("shop sync failed: %s", exc)
        await asyncio.sleep(every)


async def start(app: Sanic, loop) -> None:
    if not shop_url():
        log.info("shop connector: no SHOP_URL, the store is the record (nothing is sent)")
        return
    session = aiohttp.ClientSession()
    app.ctx.shop_session = session
    client = ShopClient(shop_url(), shop_secret(), session)
    backoff = Backoff(base=float(os.environ.get(RETRY_ENV) or 2.0),
                      max_attempts=int(os.environ.get(ATTEMPTS_ENV) or 8))
    sender = OutboxSender(get_engine(), STORE_OUTBOX, client, apply=answers.apply,
                          tell=answers.tell, backoff=backoff)
    wake.register(sender)
    _tasks.append(loop.create_task(sender.run_forever()))
    _tasks.append(loop.create_task(_sync_forever(client, float(os.environ.get(SYNC_ENV) or 300))))
    log.info("shop connector: sending to %s", shop_url())


async def stop(app: Sanic, loop) -> None:
    for task in _tasks:
        task.cancel()
    await asyncio.gather(*_tasks, return_exceptions=True)
    _tasks.clear()
    wake.register(None)
    session = getattr(app.ctx, "shop_session", None)
    if session is not None:
        await session.close()


def install(app: Sanic) -> None:
    app.add_route(webhook, WEBHOOK_PATH, methods=["POST"])
    app.register_listener(start, "after_server_start")
    app.register_listener(stop, "before_server_stop")
