"""aiohttp application factory of the handoff service."""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

from aiohttp import web

from common import production
from common.shop import sender as shop_sender
from common.shop.outbox import HANDOFF_OUTBOX
from handoff import access, errors
from handoff.config import SECRETS, Settings
from handoff.kb.files import import_on_startup as import_kb_files
from handoff.routes import add_routes
from handoff.service import SERVICE, SETTINGS, Service

SHOP_SENDER = web.AppKey("shop_sender", object)


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def create_app(config: Optional[Settings] = None) -> web.Application:
    settings = config or Settings.from_env()
    app = web.Application(middlewares=[security_headers], client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    app[SERVICE] = Service(settings)
    add_routes(app)  # also the console, whose cookie-session middleware comes first
    # Then, for every route of the table: JSON errors around auth around body validation.
    app.middlewares.extend([errors.middleware(access.is_declared), access.authorize,
                            access.bodies])

    async def on_startup(app: web.Application) -> None:
        await app[SERVICE].start()

    async def start_shop_sender(app: web.Application) -> None:
        # After the migrations of on_startup: the outbox table must exist before it is read.
        app[SHOP_SENDER] = await shop_sender.start(app[SERVICE].engine, HANDOFF_OUTBOX)

    async def on_cleanup(app: web.Application) -> None:
        await shop_sender.stop(app.get(SHOP_SENDER))
        await app[SERVICE].stop()

    async def on_shutdown(app: web.Application) -> None:
        await app[SERVICE].drain()  # close agent sockets with a reconnect hint

    app.on_startup.append(on_startup)
    app.on_startup.append(import_kb_files)  # after the migrations of on_startup
    app.on_startup.append(start_shop_sender)  # grants of compensation go to the shop
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app


def use_uvloop() -> bool:
    """uvloop's event loop (libuv; Rasa's and the action server's Sanic run on it too): the
    service hands every database call to a thread and back, and relays sockets, where the
    standard loop's overhead per callback adds up."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - installed with Sanic, pinned in requirements.txt
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    production.require("the handoff service", SECRETS)
    settings = Settings.from_env()
    use_uvloop()
    web.run_app(create_app(settings), host=settings.host, port=settings.port,
                access_log=None)
