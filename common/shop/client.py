"""The HTTP client of the shop contract (openapi.yml): what Frontline asks a shop backend.

Every request is signed (common.shop.signing) and every change carries its idempotency key,
so a retry after a timeout is answered, not done twice. Answers are business outcomes:
accepted, refused (with the shop's reason) or pending (the shop confirms later; poll
`GET /v1/requests/{key}` or wait for its `request.answered` webhook). Transport trouble
(connection, timeout, 5xx, 429) raises ShopUnavailable, which the sender retries; any other
4xx raises ShopRejected: the request itself is wrong and retrying cannot help.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import quote

import aiohttp

from common.shop.signing import IDEMPOTENCY_HEADER, sign

URL_ENV = "SHOP_URL"
PATHS: Dict[str, str] = {
    "cancel": "/v1/orders/{order}/cancel",
    "change_address": "/v1/orders/{order}/address",
    "return_request": "/v1/orders/{order}/returns",
    "refund_request": "/v1/orders/{order}/refunds",
    "carrier_inquiry": "/v1/orders/{order}/carrier-inquiries",
    "coupon": "/v1/orders/{order}/coupons",
    "reship": "/v1/orders/{order}/reships",
}
ANSWERS = ("accepted", "refused", "pending")


class ShopUnavailable(Exception):
    """The shop could not answer now; try again later."""


class ShopRejected(Exception):
    """The shop refused the request as malformed or unauthorized (not a business refusal)."""


@dataclass(frozen=True)
class ShopAnswer:
    status: str  # accepted | refused | pending
    reason: Optional[str] = None
    reference: Optional[str] = None


def shop_url(env: Optional[Dict[str, str]] = None) -> str:
    """The shop backend's base URL; empty when no shop is connected (the store is the record)."""
    env = os.environ if env is None else env  # type: ignore[assignment]
    return (env.get(URL_ENV) or "").rstrip("/")


def path_for(kind: str, order_no: str) -> str:
    return PATHS[kind].format(order=quote(order_no, safe=""))


def parse_answer(data: Any) -> ShopAnswer:
    if not isinstance(data, dict) or data.get("status") not in ANSWERS:
        raise ShopUnavailable(f"unreadable answer from the shop: {str(data)[:200]}")
    reason = data.get("reason")
    return ShopAnswer(data["status"], str(reason)[:500] if reason else None,
                      str(data["reference"])[:64] if data.get("reference") else None)


class ShopClient:
    def __init__(self, base_url: str, secret: str, session: aiohttp.ClientSession,
                 timeout: float = 10.0):
        self.base_url, self.secret, self.session = base_url.rstrip("/"), secret, session
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None,
                    key: Optional[str] = None, params: Optional[Dict[str, str]] = None) -> Any:
        raw = json.dumps(body, ensure_ascii=False, sort_keys=True).encode() if body is not None \
            else b""
        headers = {"Content-Type": "application/json", **sign(self.secret, raw)}
        if key:
            headers[IDEMPOTENCY_HEADER] = key
        try:
            async with self.session.request(method, self.base_url + path, data=raw or None,
                                            headers=headers, params=params,
                                            timeout=self.timeout) as resp:
                text = await resp.text()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise ShopUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if status >= 500 or status in (408, 429):
            raise ShopUnavailable(f"shop answered {status}: {text[:200]}")
        if status >= 400:
            raise ShopRejected(f"shop answered {status}: {text[:200]}")
        try:
            return json.loads(text) if text else {}
        except ValueError:
            raise ShopUnavailable(f"shop answered {status} with no JSON: {text[:200]}") from None

    async def submit(self, kind: str, order_no: str, payload: Dict[str, Any],
                     key: str) -> ShopAnswer:
        """Send one change; the same key always gets the same answer."""
        return parse_answer(await self._call("POST", path_for(kind, order_no), payload, key))

    async def status(self, key: str) -> ShopAnswer:
        """The answer to a request the shop left pending."""
        return parse_answer(await self._call("GET", f"/v1/requests/{quote(key, safe='')}"))

    async def changes(self, since: Optional[str]) -> Tuple[List[Dict[str, Any]], Optional[str]]:
        """Webhook events the shop sent since `since` (the sync that catches missed ones):
        the events, and the cursor to ask from next time."""
        data = await self._call("GET", "/v1/events", params={"since": since} if since else None)
        events = data.get("events") if isinstance(data, dict) else None
        if not isinstance(events, list):
            raise ShopUnavailable("unreadable event list from the shop")
        return [e for e in events if isinstance(e, dict)], data.get("cursor") or since
