"""Where a shopper's browser opens an article: the service's public address."""
from __future__ import annotations

import os

from common.config import service_url


def public_url() -> str:
    """HANDOFF_PUBLIC_URL (behind a proxy or a domain), else the service's own address."""
    return (os.environ.get("HANDOFF_PUBLIC_URL") or service_url()).rstrip("/")
