"""Attacks on the channels and logins, against the whole running stack (real Rasa, Redis,
PostgreSQL): each would succeed if its control broke.

WeChat (safe mode on in the stack): a plaintext POST, a nonce replayed with another body and a
UTF-16 document with entities are refused. Logins: parallel guessing gets 429 + Retry-After on
the console and on the agents' API, and only the limit's worth of guesses reach the password
check. (The web widget's attacks are in test_widget_attacks_e2e.py.)
"""
from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import uuid

import aiohttp
import pytest
from yarl import URL

from scripts.stack import ROOT
from tools.wechat_sim import WeChatSimulator, text_xml

PASSWORD = "e2e lockout password"
ATTEMPTS = 5  # the console's default lock-out (CONSOLE_LOCKOUT_ATTEMPTS)
UTF16_ENTITIES = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE xml [<!ENTITY e "x">]>'
                  '<xml><ToUserName>gh</ToUserName><Encrypt>&e;</Encrypt></xml>')


@pytest.fixture
def sealed(stack) -> WeChatSimulator:
    return WeChatSimulator(f"{stack.rasa_url}/webhooks/wechat/webhook", stack.env["WECHAT_TOKEN"],
                           stack.env["WECHAT_APP_ID"], stack.env["WECHAT_AES_KEY"])


async def test_wechat_plaintext_downgrade_refused(stack, sealed, tracker) -> None:
    openid = f"o_e2e_plain_{uuid.uuid4().hex[:8]}"
    plain = WeChatSimulator(sealed.webhook_url, stack.env["WECHAT_TOKEN"])  # right token, no AES
    refused = await plain.send_text(openid, "取消订单")
    assert refused.status == 403
    assert tracker(openid)["events"] in ([], None) or not any(
        e.get("event") == "user" for e in tracker(openid)["events"])


async def test_wechat_nonce_replay_with_another_body_refused(sealed, tracker) -> None:
    openid, victim = f"o_e2e_{uuid.uuid4().hex[:8]}", f"o_e2e_victim_{uuid.uuid4().hex[:8]}"
    query, body = sealed.build(text_xml(openid, sealed.account, "包邮吗", uuid.uuid4().hex[:12]), openid)
    first = await sealed.post_raw(query, body)
    assert first.status == 200
    # a captured query string reused with a body of the attacker's choosing. In safe mode (the
    # stack's) msg_signature already binds the query to the body; the nonce alone is what holds
    # in plaintext mode: tests/unit/test_wechat_hardening.py and tests/integration/test_wechat_redis.py
    _, other = sealed.build(text_xml(victim, sealed.account, "取消订单", uuid.uuid4().hex[:12]), victim)
    replay = await sealed.post_raw(query, other)
    assert replay.status == 403
    assert not any(e.get("event") == "user" for e in tracker(victim)["events"] or [])


async def test_wechat_utf16_entities_refused(sealed) -> None:
    query = sealed.signed_query(openid="o_e2e_xml", encrypted_body="&e;")
    result = await sealed.post_raw(query, UTF16_ENTITIES.encode("utf-16"))
    assert result.status == 400


def _add_agent(stack, name: str) -> None:
    env = dict(stack.env, HANDOFF_AGENT_PASSWORD=PASSWORD)
    subprocess.run([sys.executable, "-m", "handoff.accounts", "add", name], cwd=ROOT, env=env,
                   check=True, capture_output=True)


async def _console_login(base: str, username: str, password: str) -> tuple:
    jar = aiohttp.CookieJar(unsafe=True, treat_as_secure_origin=[URL(base)])
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        async with http.get(f"{base}/console/login") as page:
            csrf = re.search(r'name="_csrf" value="([^"]+)"', await page.text()).group(1)
        async with http.post(f"{base}/console/login", allow_redirects=False, headers={"Origin": base},
                             data={"username": username, "password": password, "_csrf": csrf}) as resp:
            return resp.status, resp.headers.get("Retry-After")


async def test_parallel_console_guessing_gets_429(stack) -> None:
    name = f"e2e-guess-c-{uuid.uuid4().hex[:6]}"
    _add_agent(stack, name)
    results = await asyncio.gather(*(_console_login(stack.handoff_url, name, f"guess{n}")
                                     for n in range(16)))
    statuses = [status for status, _ in results]
    assert statuses.count(401) <= ATTEMPTS - 1, statuses
    assert statuses.count(429) >= 16 - ATTEMPTS, statuses
    assert all(int(after) > 0 for status, after in results if status == 429)
    assert (await _console_login(stack.handoff_url, name, PASSWORD))[0] == 429


async def test_parallel_api_guessing_gets_429(stack) -> None:
    name = f"e2e-guess-a-{uuid.uuid4().hex[:6]}"
    _add_agent(stack, name)
    async with aiohttp.ClientSession() as http:
        async def guess(password: str) -> tuple:
            async with http.post(f"{stack.handoff_url}/api/agents/login",
                                 json={"username": name, "password": password}) as resp:
                return resp.status, resp.headers.get("Retry-After")
        results = await asyncio.gather(*(guess(f"guess{n}") for n in range(16)))
        statuses = [status for status, _ in results]
        assert statuses.count(401) <= ATTEMPTS - 1, statuses
        assert statuses.count(429) >= 16 - ATTEMPTS, statuses
        assert all(int(after) > 0 for status, after in results if status == 429)
        assert (await guess(PASSWORD))[0] == 429
