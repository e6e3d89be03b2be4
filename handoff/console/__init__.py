"""The agent console: pages, JSON calls and a WebSocket under /console on the handoff service.

Mounted by `handoff.console.mount.setup_console` (called once from handoff.routes.add_routes).
This package file stays empty on purpose: the route-table middlewares import the console's
session checks (handoff.console.auth) without pulling in the pages.
"""
