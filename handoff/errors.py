"""One shape for every error of the JSON API: `{"error": code, "message": text}`.

Handlers raise `ApiError` (or let the store's NotFound / Forbidden / Conflict through); the
`json_errors` middleware turns those, aiohttp's own HTTP errors (404, 405, 413) and anything
unexpected (500) into that shape on every JSON path, so a caller never gets an HTML page or a
stack trace. Console pages (HTML) keep their own error pages.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Dict, Mapping, Optional

from aiohttp import web

from handoff import store

log = logging.getLogger(__name__)

# Where a JSON answer is expected even when no declared route matched (an unknown path).
JSON_PREFIXES = ("/api/", "/console/api/")
STATUS_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 413: "too_large",
                422: "invalid", 429: "too_many", 500: "internal", 503: "unavailable"}


class ApiError(Exception):
    """An answer other than success, with a stable machine-readable code."""

    def __init__(self, status: int, code: str, message: str,
                 headers: Optional[Mapping[str, str]] = None, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> Dict[str, Any]:
        return {"error": self.code, "message": self.message, **self.extra}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.status, headers=self.headers)

    def http(self) -> web.HTTPException:
        """The same error as an aiohttp exception (for code that raises web.HTTPException)."""
        exc = web.HTTPException(text=json.dumps(self.body()), content_type="application/json",
                                headers=self.headers)
        exc.status_code = self.status
        return exc


def error(status: int, code: str, message: str) -> "ApiError":
    """An error answer; `raise error(...)` in a handler (the error middleware renders it)."""
    return ApiError(status, code, message)


def wants_json(request: web.Request, declared: bool) -> bool:
    return declared or request.path.startswith(JSON_PREFIXES)


def _from_http(exc: web.HTTPException) -> web.StreamResponse:
    if exc.status < 400 or exc.content_type == "application/json":
        raise exc
    message = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else exc.reason
    return ApiError(exc.status, STATUS_CODES.get(exc.status, "http_error"), message,
                    headers={k: v for k, v in exc.headers.items()
                             if k.lower() in ("allow", "retry-after")}).response()


def middleware(is_declared):
    """`is_declared(request)`: whether the matched route is one of the route table's."""

    @web.middleware
    async def json_errors(request: web.Request, handler):
        if not wants_json(request, is_declared(request)):
            return await handler(request)
        try:
            return await handler(request)
        except ApiError as exc:
            return exc.response()
        except store.NotFound as exc:
            return ApiError(404, "not_found", str(exc) or "not found").response()
        except store.Forbidden as exc:
            return ApiError(403, "forbidden", str(exc) or "forbidden").response()
        except store.Conflict as exc:
            return ApiError(409, "conflict", str(exc) or "conflict").response()
        except web.HTTPException as exc:
            return _from_http(exc)
        except (asyncio.CancelledError, ConnectionResetError):
            raise
        except Exception:  # a bug: logged with its trace here, never sent to the caller
            log.exception("%s %s failed", request.method, request.path)
            return ApiError(500, "internal", "internal error").response()
    return json_errors
