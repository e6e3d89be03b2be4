"""Serve the demo shop page and the widget: `python -m web.serve [--port 8080] [--rasa-url URL]`.

A shop serves web/widget/ from its own CDN or web server; this aiohttp server is for `make demo`
and the browser tests. The demo page is a template: `__RASA_URL__` becomes the socket.io server
the widget talks to, `__SHOP_NAME__`, `__FREE_THRESHOLD__` and `__NO_REASON_DAYS__` come from data/shop.yml.
"""
from __future__ import annotations

import argparse
import html
import json
import logging
import os
from pathlib import Path
from typing import Dict

from aiohttp import web

from common import policy

ROOT = Path(__file__).resolve().parent
WIDGET = ROOT / "widget"
DEMO = ROOT / "demo"
log = logging.getLogger("web.serve")


def page_values(rasa_url: str) -> Dict[str, str]:
    """Placeholder -> text; every value is escaped for where it goes (a JS string, HTML)."""
    name = policy.get("name.zh") or "Frontline"
    threshold = policy.get("shipping.free_threshold")
    currency = policy.get("currency") or "¥"
    # json.dumps makes a safe JS string literal; "</" is split so it cannot end the <script>.
    return {"__RASA_URL__": json.dumps(rasa_url).replace("</", "<\\/"),
            "__SHOP_NAME__": html.escape(str(name)),
            "__FREE_THRESHOLD__": html.escape(f"{currency}{threshold}"),
            "__NO_REASON_DAYS__": html.escape(str(policy.get("returns.no_reason_days")))}


@web.middleware
async def headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Cache-Control", "no-cache")  # the demo always shows fresh files
    return response


def make_app(rasa_url: str) -> web.Application:
    values = page_values(rasa_url)

    async def demo_page(_: web.Request) -> web.Response:
        text = (DEMO / "index.html").read_text(encoding="utf-8")
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return web.Response(text=text, content_type="text/html", charset="utf-8")

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(middlewares=[headers])
    app.router.add_get("/", demo_page)
    app.router.add_get("/health", health)
    app.router.add_static("/widget/", WIDGET, follow_symlinks=False)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=os.environ.get("WEB_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_PUBLIC_URL")
                        or os.environ.get("RASA_URL") or "http://127.0.0.1:5005",
                        help="the Rasa server as the browser reaches it (socket.io)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info("demo shop on http://%s:%s/ (widget -> %s)", args.host, args.port, args.rasa_url)
    web.run_app(make_app(args.rasa_url), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
