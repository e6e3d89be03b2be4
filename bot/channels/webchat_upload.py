"""Pictures from the web widget: ``POST /webhooks/socketio/upload``, ``GET …/uploads/<name>``.

A shopper asked for a photo of a damaged item picks one in the widget; the browser uploads it
here and then sends the payload ``/send_image`` with ``{"image": "<name>"}`` in its metadata.
The channel turns that name into ``metadata["image_url"]`` (an absolute URL on this server), the
same key the WeChat and app channels fill, so the damaged-item form and the agent console work
the same way on every channel.

Only JPEG, PNG, GIF and WebP are kept, recognised by their first bytes (the browser's content
type is a claim), at most ``WEB_UPLOAD_MAX_BYTES`` (5 MB). Names are 128 random bits: a picture
can be opened by whoever has its link (the shopper and the agents), never listed or guessed.
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
from typing import Any, Callable, Dict, Optional

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

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


def public_url(name: str, environ: Optional[Dict[str, Any]]) -> str:
    """The picture's absolute URL as the browser reached this server (agents open it)."""
    environ = environ or {}
    host = environ.get("HTTP_X_FORWARDED_HOST") or environ.get("HTTP_HOST") or "127.0.0.1:5005"
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme") or "http"
    return f"{scheme}://{host}{UPLOAD_PREFIX}{name}"


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": code, "message": message}, status=status)


async def upload_route(request: Request, session_ok: Callable[[Any], bool]) -> HTTPResponse:
    if not session_ok(request.form.get("session_id") if request.form else None):
        return _error(400, "bad_session", "session_id must be the widget's session id")
    photo = (request.files or {}).get("photo")
    if photo is None:
        return _error(400, "no_photo", "send the picture as multipart field 'photo'")
    if len(photo.body) > max_bytes():
        return _error(413, "too_large", f"pictures are limited to {max_bytes() // (1024 * 1024)} MB")
    kind = sniff(photo.body)
    if kind is None:
        return _error(415, "not_an_image", "only JPEG, PNG, GIF and WebP pictures are accepted")
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
