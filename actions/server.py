"""`python -m actions.server`: the rasa-sdk action server, reachable only by Rasa.

rasa-sdk has no authentication of its own: whoever can POST a tracker to `/webhook` runs any
action with whatever slots it made up (read or cancel any order). This entry point serves the
same actions (rasa_sdk.endpoint.create_app) with two controls:

* it listens on ACTIONS_HOST, loopback unless the operator names an address;
* every request but `/health` must carry ``Authorization: Bearer <ACTION_SERVER_TOKEN>``, the
  token Rasa sends with each call (endpoints.yml, ``action_endpoint.headers``); anything else
  gets 401 and runs nothing. Without a token the server does not start at all.
"""
from __future__ import annotations

import argparse
import hmac
import logging
import os
from typing import Optional

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from common import production

TOKEN_ENV = "ACTION_SERVER_TOKEN"
HOST_ENV = "ACTIONS_HOST"
DEFAULT_PORT = 5055
OPEN_PATHS = ("/health",)
# The secrets this process uses: its own token, the channels' seal key, the handoff token.
SECRETS = (TOKEN_ENV, "CHANNEL_PROOF_SECRET", "HANDOFF_TOKEN")

log = logging.getLogger(__name__)


def authorized(header: Optional[str], token: str) -> bool:
    """Whether an Authorization header carries exactly this bearer token."""
    scheme, _, value = (header or "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(),
                                                              token.encode())


def create(token: str, package: str = "actions") -> Sanic:
    """The rasa-sdk app with the token check in front of every route but /health."""
    if not token:
        raise ValueError(f"{TOKEN_ENV} is required: the action server never runs unauthenticated")
    app = create_app(package, cors_origins=None)  # browsers have no business here

    @app.on_request
    async def authenticate(request: Request) -> Optional[HTTPResponse]:
        if request.path in OPEN_PATHS:
            return None
        if authorized(request.headers.get("Authorization"), token):
            return None
        log.warning("action server: refused %s %s from %s (no valid token)", request.method,
                    request.path, request.ip)
        return response.json({"error": "unauthorized",
                              "message": "only Rasa may call the action server"}, status=401)

    return app


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m actions.server")
    parser.add_argument("--port", type=int, default=int(os.environ.get("ACTIONS_PORT") or DEFAULT_PORT))
    parser.add_argument("--actions", default="actions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    production.require("the action server", SECRETS)
    token = os.environ.get(TOKEN_ENV) or ""
    if not token:
        raise SystemExit(f"the action server refuses to start: {TOKEN_ENV} is missing "
                         "(Rasa sends it with each call; see docs/operations.md, running in production)")
    host = production.bind_host(HOST_ENV)
    app = create(token, args.actions)
    log.info("action server on http://%s:%d (token required)", host, args.port)
    app.run(host=host, port=args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
