"""Console lock-out over plain HTTP (no browser): per username, and per client address so that
one password tried against many usernames (password spraying) is stopped too."""
from __future__ import annotations

import asyncio
import re
import uuid

import aiohttp
import pytest
import redis as redis_sync
from yarl import URL

from tests.integration.console_support import (ADDRESS_LOCKOUT_ATTEMPTS, LOCKOUT_ATTEMPTS,  # noqa: F401
                                               PASSWORD, REDIS_URL, console_server)

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

    async def login_full(self, username: str, password: str):
        """(status, headers) of one login."""
        async with self.http.get(f"{self.base}/console/login") as page:
            csrf = re.search(r'name="_csrf" value="([^"]+)"', await page.text()).group(1)
        async with self.http.post(f"{self.base}/console/login", allow_redirects=False,
                                  data={"username": username, "password": password, "_csrf": csrf},
                                  headers={"Origin": self.base}) as resp:
            return resp.status, dict(resp.headers)

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


@pytest.fixture
def fresh_address(console_server):
    """The spraying test blocks 127.0.0.1; the tests below are about usernames."""
    counters = redis_sync.Redis.from_url(REDIS_URL)
    counters.delete(f"{console_server.prefix}:console:failed-from:127.0.0.1")
    yield console_server
    counters.delete(f"{console_server.prefix}:console:failed-from:127.0.0.1")


async def test_parallel_console_guesses_get_429_and_check_few_passwords(fresh_address):
    """Twenty guesses at once: only the limit's worth reach the password check, the rest get
    429 with Retry-After (the check-and-count is atomic, reserved before bcrypt)."""
    srv = fresh_address
    name = f"par-{uuid.uuid4().hex[:6]}"
    srv.agent(name)
    clients = [Browserless(srv.url) for _ in range(20)]
    try:
        results = await asyncio.gather(*(c.login_full(name, f"guess-{n}") for n, c in enumerate(clients)))
    finally:
        await asyncio.gather(*(c.close() for c in clients))
    statuses = [status for status, _ in results]
    assert statuses.count(401) <= LOCKOUT_ATTEMPTS - 1
    assert statuses.count(429) >= 20 - LOCKOUT_ATTEMPTS
    assert all(int(headers["Retry-After"]) > 0 for status, headers in results if status == 429)
    counters = redis_sync.Redis.from_url(REDIS_URL)
    assert int(counters.get(f"{srv.prefix}:console:failed:{name}")) == LOCKOUT_ATTEMPTS
    client = Browserless(srv.url)
    try:
        status, body = await client.login(name, PASSWORD)  # locked, even with the right password
        assert status == 429 and "锁定" in body
    finally:
        await client.close()


async def test_api_login_shares_the_lockout_and_answers_429(fresh_address):
    srv = fresh_address
    name = f"api-{uuid.uuid4().hex[:6]}"
    srv.agent(name)
    async with aiohttp.ClientSession() as http:
        async def guess(password: str):
            async with http.post(f"{srv.url}/api/agents/login",
                                 json={"username": name, "password": password}) as resp:
                return resp.status, resp.headers.get("Retry-After"), await resp.json()
        results = await asyncio.gather(*(guess(f"wrong-{n}") for n in range(12)))
        statuses = [r[0] for r in results]
        assert statuses.count(401) <= LOCKOUT_ATTEMPTS - 1 and statuses.count(429) >= 12 - LOCKOUT_ATTEMPTS
        locked = next(r for r in results if r[0] == 429)
        assert int(locked[1]) > 0 and locked[2]["error"] == "locked"
        status, _, _ = await guess(PASSWORD)
        assert status == 429  # the right password waits too
    # the console door is the same door
    client = Browserless(srv.url)
    try:
        status, body = await client.login(name, PASSWORD)
        assert status == 429 and "锁定" in body
    finally:
        await client.close()
    counters = redis_sync.Redis.from_url(REDIS_URL)


async def test_api_login_success_clears_the_username_counter(fresh_address):
    srv = fresh_address
    name = f"ok-{uuid.uuid4().hex[:6]}"
    srv.agent(name)
    async with aiohttp.ClientSession() as http:
        for password in ("wrong", PASSWORD):
            async with http.post(f"{srv.url}/api/agents/login",
                                 json={"username": name, "password": password}) as resp:
                last = resp.status
    assert last == 200
    assert redis_sync.Redis.from_url(REDIS_URL).get(f"{srv.prefix}:console:failed:{name}") is None
