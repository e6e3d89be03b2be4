"""Pictures from the web widget: ``POST /webhooks/socketio/upload``, ``GET …/uploads/<name>``.

A shopper asked for a photo of a damaged item picks one in the widget; the browser uploads it
here and then sends the payload ``/send_image`` with ``{"image": "<name>"}`` in its metadata.
The channel turns that name into ``metadata["image_url"]`` (an absolute URL on this server), the
same key the WeChat and app channels fill, so the damaged-item form and the agent console work
the same way on every channel.

Only JPEG, PNG, GIF and WebP are kept, recognised by their first bytes (the browser's content
type is a claim), at most ``WEB_UPLOAD_MAX_BYTES`` (5 MB). The size is enforced before the body
is read: a Content-Length over the cap (or none) is refused at once, and the streamed body is cut
off as soon as it passes the cap, so nothing larger is ever buffered. Uploads are rate-limited per
client address before reading and per session (count and a daily byte quota) after
(bot.channels.webchat_limits). The session is the widget's server-issued session key. Links
are built from ``WEB_PUBLIC_URL``, never from request headers. Names are 128 random bits: a
picture can be opened by whoever has its link (the shopper and the agents), never listed or
guessed.
Files live in ``WEB_UPLOAD_DIR`` (default ``var/uploads``) and are deleted after
``WEB_UPLOAD_KEEP_DAYS`` (default 180, long enough for any after-sales case) when the channel starts.
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any, Callable, List, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.webchat_limits import (UPLOAD_FROM, UPLOAD_SESSION, WebLimits, origin_allowed,
                                         upload_bytes_quota)

logger = logging.getLogger(__name__)

UPLOAD_PREFIX = "/webhooks/socketio/uploads/"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{22}\.(jpg|png|gif|webp)$")
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


def upload_dir() -> Path:
    return Path(os.environ.get("WEB_UPLOAD_DIR") or Path(__file__).resolve().parents[2] / "var" / "uploads")


def max_bytes() -> int:
    return int(os.environ.get("WEB_UPLOAD_MAX_BYTES") or DEFAULT_MAX_BYTES)


def prune(keep_days: Optional[float] = None, now: Optional[float] = None) -> int:
    """Delete pictures older than the retention period; returns how many went."""
    keep = float(os.environ.get("WEB_UPLOAD_KEEP_DAYS") or 180) if keep_days is None else keep_days
    cutoff = (time.time() if now is None else now) - keep * 86400
    folder, removed = upload_dir(), 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        if _NAME_RE.match(path.name) and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    if removed:
        logger.info("removed %d web upload(s) older than %g days", removed, keep)
    return removed


def sniff(data: bytes) -> Optional[str]:
    """The picture's file extension from its first bytes, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def valid_name(name: Any) -> bool:
    return isinstance(name, str) and bool(_NAME_RE.match(name)) and (upload_dir() / name).is_file()


def public_url(name: str, base_url: str) -> str:
    """The picture's absolute URL under the configured public base URL (agents open it)."""
    return f"{base_url.rstrip('/')}{UPLOAD_PREFIX}{name}"


def _error(status: int, code: str, message: str, retry_after: int = 0) -> HTTPResponse:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return response.json({"error": code, "message": message}, status=status, headers=headers)


def _too_large() -> HTTPResponse:
    return _error(413, "too_large", f"pictures are limited to {max_bytes() // (1024 * 1024)} MB")


async def _read_capped(request: Request, cap: int) -> Optional[bytes]:
    """The streamed body, or None as soon as it passes ``cap`` (the rest is never read)."""
    chunks, size = [], 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)


async def upload_route(request: Request, session_of: Callable[[Any], Optional[str]],
                       limits: WebLimits, origins: List[str]) -> HTTPResponse:
    """A streaming route: the checks that need no body come before any of it is read."""
    if not origin_allowed(request.headers.get("Origin"), origins):
        return _error(403, "bad_origin", "uploads are accepted from the shop's pages only")
    try:
        declared = int(request.headers.get("Content-Length", ""))
    except ValueError:
        return _error(411, "length_required", "send the picture with a Content-Length")
    envelope = 16 * 1024  # multipart boundaries and the session field
    if declared > max_bytes() + envelope:
        return _too_large()
    address = request.ip or "unknown"
    verdict = await limits.hit(UPLOAD_FROM, address)
    if not verdict.allowed:
        return _error(429, "too_many", "too many pictures from this address", verdict.retry_after)
    body = await _read_capped(request, max_bytes() + envelope)
    if body is None:
        return _too_large()
    request.body = body  # Sanic parses the form from it
    session = session_of(request.form.get("session_id") if request.form else None)
    if session is None:
        return _error(400, "bad_session", "session_id must be the widget's session key")
    photo = (request.files or {}).get("photo")
    if photo is None:
        return _error(400, "no_photo", "send the picture as multipart field 'photo'")
    if len(photo.body) > max_bytes():
        return _too_large()
    kind = sniff(photo.body)
    if kind is None:
        return _error(415, "not_an_image", "only JPEG, PNG, GIF and WebP pictures are accepted")
    for limit, cost in ((UPLOAD_SESSION, 1), (upload_bytes_quota(), len(photo.body))):
        verdict = await limits.hit(limit, session, cost)
        if not verdict.allowed:
            return _error(429, "too_many", "this chat has sent too many pictures for now",
                          verdict.retry_after)
    name = f"{secrets.token_urlsafe(16)}.{kind}"
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(photo.body)
    logger.info("web upload %s (%d bytes)", name, len(photo.body))
    return response.json({"name": name, "path": f"{UPLOAD_PREFIX}{name}"}, status=201)


async def serve_route(_: Request, name: str) -> HTTPResponse:
    if not valid_name(name):
        return _error(404, "not_found", "no such picture")
    return await response.file(
        upload_dir() / name, mime_type=_TYPES[name.rsplit(".", 1)[1]],
        headers={"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'",
                 "Cache-Control": "private, max-age=86400"})
