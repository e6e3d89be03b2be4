"""Action-server calls over kept-alive connections: one HTTP client per event loop, not per call.

Rasa 3.6's `EndpointConfig.request` opens a new `aiohttp.ClientSession` (so a new TCP connection,
and a new TLS context when a `cafile` is set) for every custom action it runs, and closes it
after the response. For the action endpoint the request is now sent through one session per
(process, event loop, session settings), whose connector keeps connections alive:

* same request: the same headers (session and request), auth, params/token, total timeout
  (`DEFAULT_REQUEST_TIMEOUT`), compression and `cafile` TLS context (built once per file);
* same errors: status >= 400 raises Rasa's `ClientResponseError` (status, reason, body), which
  `RemoteAction.run` maps to a rejection (400) or a failed action; connection errors and timeouts
  are aiohttp's own, as before; a body that is not JSON gives None;
* the body is the same JSON value, encoded faster (`dumps`);
* nothing leaks from one call to the next: cookies are not kept (a fresh session had none);
* idle connections are dropped before the action server would close them (sanic closes them after
  5 s), so a call does not go out on a connection the server is closing;
* a forked child never uses its parent's sessions: they are keyed by process id;
* `close()` closes them all; the event broker's close, which Rasa calls when the server stops,
  calls it.

Only the action endpoint is pooled (`RemoteAction` marks the endpoint it is given): Rasa's other
endpoints keep their one-off sessions.
"""
from __future__ import annotations

import json
import os
import ssl
import weakref
from asyncio import AbstractEventLoop, get_running_loop
from typing import Any, Dict, Optional, Text, Tuple

import aiohttp
import ujson
from aiohttp.client_exceptions import ContentTypeError
from rasa.core.actions.action import RemoteAction
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.shared.exceptions import FileNotFoundException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig, concat_url

from bot.speedups.patching import Patches

_RASA_REQUEST = EndpointConfig.request
_RASA_REMOTE_INIT = RemoteAction.__init__
MARK = "_frontline_keep_alive"
# below sanic's KEEP_ALIVE_TIMEOUT (5 s): the client lets an idle connection go first
IDLE_SECONDS = 3.0

_sessions: "weakref.WeakKeyDictionary[AbstractEventLoop, Dict[Tuple, aiohttp.ClientSession]]" = (
    weakref.WeakKeyDictionary())
_owner_pid = os.getpid()
_ssl_contexts: Dict[Text, ssl.SSLContext] = {}


def _session_key(endpoint: EndpointConfig) -> Tuple:
    auth = endpoint.basic_auth
    return (tuple(sorted((str(k), str(v)) for k, v in endpoint.headers.items())),
            (auth["username"], auth["password"]) if auth else None)


def session_for(endpoint: EndpointConfig) -> aiohttp.ClientSession:
    """This process's and loop's session for the endpoint's headers and auth, made on first use."""
    global _owner_pid
    if os.getpid() != _owner_pid:  # forked: the parent's sessions belong to the parent's loop
        _sessions.clear()
        _ssl_contexts.clear()
        _owner_pid = os.getpid()
    loop = get_running_loop()
    sessions = _sessions.setdefault(loop, {})
    key = _session_key(endpoint)
    session = sessions.get(key)
    if session is None or session.closed:
        auth = endpoint.basic_auth
        session = aiohttp.ClientSession(
            headers=endpoint.headers,
            auth=aiohttp.BasicAuth(auth["username"], auth["password"]) if auth else None,
            timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
            connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=IDLE_SECONDS),
            cookie_jar=aiohttp.DummyCookieJar(),
            json_serialize=dumps,
        )
        sessions[key] = session
    return session


def dumps(value: Any) -> Text:
    """The JSON text of the request body: the same JSON value as `json.dumps` gives, 3-4x faster.

    The tracker with every event goes to the action server with each call, and encoding it was
    the larger part of the call's cost. ujson writes the same values (floats in their shortest
    round-trip form, non-ASCII escaped, NaN/Infinity and non-string keys as the json module does),
    without the spaces after separators. Whatever it refuses goes to `json.dumps`, which then
    accepts or refuses it as before. (ujson would also encode an object with a `toDict` or
    `__json__` method, which `json.dumps` refuses; the payload is built from `as_dict()`s of
    events and slot values that came in as JSON, so it holds none.)
    """
    try:
        return ujson.dumps(value, escape_forward_slashes=False)
    except (TypeError, ValueError, OverflowError):
        return json.dumps(value)


def _ssl_context(cafile: Text) -> ssl.SSLContext:
    # the connector pools connections per TLS context: a new context per call would never reuse one
    context = _ssl_contexts.get(cafile)
    if context is None:
        try:
            context = ssl.create_default_context(cafile=cafile)
        except FileNotFoundError as e:
            raise FileNotFoundException(
                f"Failed to find certificate file, "
                f"'{os.path.abspath(cafile)}' does not exist."
            ) from e
        _ssl_contexts[cafile] = context
    return context


async def request(
    self: EndpointConfig,
    method: Text = "post",
    subpath: Optional[Text] = None,
    content_type: Optional[Text] = "application/json",
    compress: bool = False,
    **kwargs: Any,
) -> Optional[Any]:
    """Rasa's `EndpointConfig.request`, through the kept-alive session for the action endpoint."""
    if not getattr(self, MARK, False):
        return await _RASA_REQUEST(self, method, subpath, content_type, compress, **kwargs)
    headers = {}
    if content_type:
        headers["Content-Type"] = content_type
    if "headers" in kwargs:
        headers.update(kwargs["headers"])
        del kwargs["headers"]
    if self.headers:
        headers.update(self.headers)
    url = concat_url(self.url, subpath)
    sslcontext = _ssl_context(self.cafile) if self.cafile else None
    session = session_for(self)
    async with session.request(
        method,
        url,
        headers=headers,
        params=self.combine_parameters(kwargs),
        compress=compress,
        ssl=sslcontext,
        **kwargs,
    ) as response:
        if response.status >= 400:
            raise ClientResponseError(
                response.status,
                response.reason,
                await response.content.read(),
            )
        try:
            return await response.json()
        except ContentTypeError:
            return None


def remote_action_init(
    self: RemoteAction, name: Text, action_endpoint: Optional[EndpointConfig]
) -> None:
    _RASA_REMOTE_INIT(self, name, action_endpoint)
    if action_endpoint is not None:
        setattr(action_endpoint, MARK, True)


async def close() -> None:
    """Closes this process's sessions on the running loop (and forgets the others')."""
    if os.getpid() != _owner_pid:
        return
    try:
        loop = get_running_loop()
    except RuntimeError:
        return
    for session in _sessions.pop(loop, {}).values():
        await session.close()


# action-server calls over kept-alive connections
PATCHES = Patches((EndpointConfig, "request", request),
                  (RemoteAction, "__init__", remote_action_init))
install, uninstall = PATCHES.install, PATCHES.uninstall
