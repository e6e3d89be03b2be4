"""Client for WeChat's access-token and customer-service (客服消息) APIs, fully async (aiohttp).

The access token is shared through the state store (Redis) so all workers use one token, and it
expires from the cache ``refresh_margin`` seconds before WeChat's own expiry: the next caller then
fetches a fresh one instead of sending with a token that dies mid-flight. Window and quota are
checked before every send, because WeChat rejects messages outside the 48-hour window (45015) or
beyond the per-message quota (45047) and repeated violations are penalised.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Optional

import aiohttp

from bot.channels.wechat.store import WeChatStateStore

logger = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://api.weixin.qq.com"
_TOKEN_ERRORS = {40001, 40014, 42001}  # invalid / malformed / expired access token
_REASONS = {45015: "outside_window", 45047: "quota_exhausted"}


class WeChatAPIError(Exception):
    """WeChat answered with an error code (or not at all)."""


@dataclass(frozen=True)
class SendResult:
    ok: bool
    reason: str = ""  # "", outside_window, quota_exhausted, api_error
    errcode: int = 0


class CustomerServiceClient:
    def __init__(
        self,
        app_id: str,
        app_secret: str,
        store: WeChatStateStore,
        api_base: str = DEFAULT_API_BASE,
        refresh_margin: int = 300,
        http_timeout: float = 10.0,
    ) -> None:
        self.app_id = app_id
        self._secret = app_secret
        self.store = store
        self.api_base = (api_base or DEFAULT_API_BASE).rstrip("/")
        self.refresh_margin = refresh_margin
        self._timeout = aiohttp.ClientTimeout(total=http_timeout)
        self._session: Optional[aiohttp.ClientSession] = None

    def _http(self) -> aiohttp.ClientSession:
        # Created lazily so it binds to the loop Sanic is actually running on.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def access_token(self, force_refresh: bool = False) -> str:
        if not force_refresh:
            cached = await self.store.get_token()
            if cached:
                return cached
        # One worker refreshes; the others wait briefly for its result (no token stampede,
        # which matters because every fetch invalidates the previous token at WeChat).
        if not await self.store.acquire_lock("token", 15):
            for _ in range(50):
                await asyncio.sleep(0.1)
                cached = await self.store.get_token()
                if cached:
                    return cached
        try:
            return await self._fetch_token()
        finally:
            await self.store.release_lock("token")

    async def _fetch_token(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.app_id, "secret": self._secret}
        data = await self._request("GET", "/cgi-bin/token", params=params)
        token = data.get("access_token")
        if not token:
            raise WeChatAPIError(f"token endpoint error {data.get('errcode')}: {data.get('errmsg')}")
        expires_in = int(data.get("expires_in") or 7200)
        await self.store.set_token(token, max(1, expires_in - self.refresh_margin))
        logger.info("WeChat access token refreshed (valid %ss)", expires_in)
        return str(token)

    async def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            async with self._http().request(method, self.api_base + path, **kwargs) as resp:
                body = await resp.text()
                if resp.status != 200:
                    raise WeChatAPIError(f"{path} answered HTTP {resp.status}")
        except aiohttp.ClientError as exc:
            raise WeChatAPIError(f"{path} unreachable: {type(exc).__name__}") from exc
        try:
            return json.loads(body)
        except ValueError as exc:
            raise WeChatAPIError(f"{path} returned non-JSON") from exc

    async def send_text(self, openid: str, content: str) -> SendResult:
        """Send one text (already within WeChat's size limit) if window and quota allow."""
        reason = await self.store.consume_quota(openid)
        if reason != "ok":
            logger.warning("WeChat CS message to %s not sent: %s", openid, reason)
            return SendResult(False, reason)
        # ensure_ascii=False: WeChat shows \\uXXXX escapes literally instead of decoding them.
        payload = json.dumps(
            {"touser": openid, "msgtype": "text", "text": {"content": content}}, ensure_ascii=False
        ).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"}
        for attempt in range(2):
            try:
                token = await self.access_token(force_refresh=attempt > 0)
                data = await self._request(
                    "POST", "/cgi-bin/message/custom/send",
                    params={"access_token": token}, data=payload, headers=headers,
                )
            except WeChatAPIError as exc:
                logger.error("WeChat CS send to %s failed: %s", openid, exc)
                return SendResult(False, "api_error")
            errcode = int(data.get("errcode") or 0)
            if errcode == 0:
                return SendResult(True)
            if errcode in _TOKEN_ERRORS and attempt == 0:
                await self.store.delete_token()
                continue
            logger.error("WeChat CS send to %s rejected: %s %s", openid, errcode, data.get("errmsg"))
            return SendResult(False, _REASONS.get(errcode, "api_error"), errcode)
        return SendResult(False, "api_error")

    async def send_chunks(self, openid: str, chunks: list[str]) -> list[SendResult]:
        """Send in order; stop at the first failure so the shopper never gets a gap mid-answer."""
        results: list[SendResult] = []
        for chunk in chunks:
            result = await self.send_text(openid, chunk)
            results.append(result)
            if not result.ok:
                break
        return results
