"""Console lock-out over plain HTTP (no browser): per username, and per client address so that
one password tried against many usernames (password spraying) is stopped too."""
from __future__ import annotations

import re
import uuid

import aiohttp
import pytest
import redis as redis_sync
from yarl import URL

from tests.integration.console_support import (ADDRESS_LOCKOUT_ATTEMPTS, PASSWORD, REDIS_URL,  # noqa: F401
                                               console_server)

pytestmark = pytest.mark.integration


class Browserless:
    """A login form client: GETs the page for the session cookie and CSRF token, then POSTs."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[URL(base)])
        self.http = aiohttp.ClientSession(cookie_jar=jar)

    async def login(self, username: str, password: str) -> tuple[int, str]:
        async with self.http.get(f"{self.base}/console/login") as page:
            csrf = re.search(r'name="_csrf" value="([^"]+)"', await page.text()).group(1)
        async with self.http.post(f"{self.base}/console/login", allow_redirects=False,
                                  data={"username": username, "password": password, "_csrf": csrf},
                                  headers={"Origin": self.base}) as resp:
            return resp.status, await resp.text()

    async def close(self) -> None:
        await self.http.close()


async def test_spraying_one_password_over_many_usernames_blocks_the_address(console_server):
    srv = console_server
    real = f"ivy-{uuid.uuid4().hex[:6]}"
    srv.agent(real)
    client = Browserless(srv.url)
    try:
        status, _ = await client.login(real, PASSWORD)
        assert status == 302  # the address is fine before
        # every username gets fewer failures than its own limit ...
        for n in range(ADDRESS_LOCKOUT_ATTEMPTS):
            status, body = await client.login(f"guess-{n}-{uuid.uuid4().hex[:4]}", "Spring2026!")
            assert status == 401 and "用户名或密码错误" in body
        # ... yet the address is now blocked, even for a right password
        status, body = await client.login(real, PASSWORD)
        assert status == 429 and "此网络的登录失败次数过多" in body
    finally:
        await client.close()
    # the block is the address's: the real agent's own counter is untouched
    counters = redis_sync.Redis.from_url(REDIS_URL)
    assert counters.get(f"{srv.prefix}:console:failed:{real}") is None
    assert int(counters.get(f"{srv.prefix}:console:failed-from:127.0.0.1")) == ADDRESS_LOCKOUT_ATTEMPTS
