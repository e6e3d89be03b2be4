"""Mobile-app protocol: identity tokens (valid / forged / expired), no trust in typed user ids,
REST round trip with the reference client, signed callbacks for out-of-band messages."""
from __future__ import annotations

import time

import jwt
import pytest

from bot.channels.app import AppConfig, AppInput, sign_callback, verify_callback
from bot.channels.app_client import AppClient, CallbackReceiver
from bot.channels.app_identity import IdentityError, issue_identity_token, verify_identity_token
from tests.unit.channel_harness import FakeBot, serve_channel

SECRET = "app-identity-secret-for-tests-0123456789"
OTHER_SECRET = "someone-elses-secret-0123456789-abcdef"


def test_valid_token_verifies() -> None:
    identity = verify_identity_token(issue_identity_token(SECRET, "cust-42"), SECRET)
    assert identity.user_id == "cust-42" and identity.expires_at > time.time()


@pytest.mark.parametrize("token, reason", [
    (lambda: issue_identity_token(OTHER_SECRET, "cust-42"), "invalid"),  # forged: wrong key
    (lambda: issue_identity_token(SECRET, "cust-42", ttl_seconds=60, now=int(time.time()) - 3600), "expired"),
    (lambda: issue_identity_token(SECRET, "cust-42", audience="another-service"), "invalid"),
    (lambda: jwt.encode({"sub": "cust-42", "aud": "frontline-app-channel", "iat": int(time.time()),
                         "exp": int(time.time()) + 600}, None, algorithm="none"), "invalid"),
    (lambda: jwt.encode({"sub": "cust-42", "aud": "frontline-app-channel"}, SECRET, algorithm="HS256"),
     "malformed"),  # no expiry: a token that never dies is refused
    (lambda: "not.a.jwt", "malformed"),
])
def test_bad_tokens_rejected(token, reason: str) -> None:
    with pytest.raises(IdentityError) as err:
        verify_identity_token(token(), SECRET)
    assert err.value.reason == reason


def test_short_secret_refused() -> None:
    with pytest.raises(ValueError):
        issue_identity_token("short", "cust-42")


def test_callback_signature() -> None:
    ts, body = str(int(time.time())), b'{"recipient_id":"app:cust-42"}'
    signature = sign_callback("cb-secret", ts, body)
    assert verify_callback("cb-secret", ts, body, signature)
    assert not verify_callback("cb-secret", ts, body + b" ", signature)
    assert not verify_callback("cb-secret", str(int(time.time()) - 3600), body,
                               sign_callback("cb-secret", str(int(time.time()) - 3600), body))


def channel(**extra: str) -> AppInput:
    return AppInput(AppConfig(identity_secret=SECRET, **extra))


async def test_valid_token_sets_verified_user_and_metadata() -> None:
    bot = FakeBot([{"text": "您好！"}])
    async with serve_channel(channel(), bot) as base:
        client = AppClient(base, app_version="5.2.0", platform="ios", device="iPhone15,2")
        reply = await client.send("我的订单", identity_token=issue_identity_token(SECRET, "cust-42"))
    assert reply.status == 200 and reply.verified and reply.texts == ["您好！"]
    turn = bot.turns[0]
    assert turn.sender_id == reply.sender_id == "app:cust-42" and turn.input_channel == "app"
    assert turn.metadata["verified_app_user_id"] == "cust-42"
    assert turn.metadata["channel"] == "app"
    assert (turn.metadata["app_version"], turn.metadata["app_platform"], turn.metadata["app_device"]) == (
        "5.2.0", "ios", "iPhone15,2")


async def test_forged_and_expired_tokens_get_401_and_nothing_processed() -> None:
    bot = FakeBot()
    async with serve_channel(channel(), bot) as base:
        client = AppClient(base)
        forged = await client.send("hi", identity_token=issue_identity_token(OTHER_SECRET, "cust-42"))
        expired = await client.send("hi", identity_token=issue_identity_token(
            SECRET, "cust-42", ttl_seconds=60, now=int(time.time()) - 3600))
    assert (forged.status, forged.reason) == (401, "invalid")
    assert (expired.status, expired.reason) == (401, "expired")
    assert bot.turns == []


async def test_typed_user_id_is_never_trusted() -> None:
    bot = FakeBot()
    async with serve_channel(channel(), bot) as base:
        client = AppClient(base)
        reply = await client.send("查订单", extra={
            "user_id": "cust-42", "sender": "app:cust-42", "verified_app_user_id": "cust-42",
            "metadata": {"verified_app_user_id": "cust-42"},
            "app": {"version": "1.0", "verified_app_user_id": "cust-42"},
        })
    assert reply.status == 200 and not reply.verified
    turn = bot.turns[0]
    assert "verified_app_user_id" not in turn.metadata
    assert "cust-42" not in turn.sender_id and turn.sender_id == f"app-anon:{client.session_id}"
    assert "cust-42" not in str(turn.metadata)


async def test_bad_requests_rejected() -> None:
    bot = FakeBot()
    async with serve_channel(channel(), bot) as base:
        short_session = await AppClient(base, session_id="x").send("hi")
        empty = await AppClient(base).send("   ")
    assert short_session.status == 400 and empty.status == 400 and bot.turns == []


async def test_a_picture_reaches_the_assistant_with_its_link() -> None:
    bot = FakeBot()
    async with serve_channel(channel(), bot) as base:
        client = AppClient(base)
        alone = await client.send("", image_url="https://img.shop.example/u/9f2c.jpg")
        with_text = await client.send("箱子压坏了", image_url="https://img.shop.example/u/a1.jpg")
        plain_http = await client.send("", image_url="http://img.shop.example/u/x.jpg")
        script = await client.send("", image_url="javascript:alert(1)")
    assert alone.status == 200 and with_text.status == 200
    assert (plain_http.status, script.status) == (400, 400)
    assert bot.texts == ["/send_image", "箱子压坏了"]
    assert [t.metadata["image_url"] for t in bot.turns] == [
        "https://img.shop.example/u/9f2c.jpg", "https://img.shop.example/u/a1.jpg"]


async def test_out_of_band_messages_reach_the_callback_signed() -> None:
    receiver = CallbackReceiver("cb-secret-for-tests")
    url = await receiver.start()
    try:
        output = channel(callback_url=url, callback_secret="cb-secret-for-tests").get_output_channel()
        assert output is not None
        await output.send_response("app:cust-42", {"text": "客服小王：您好，我来帮您处理。"})
        wrong = channel(callback_url=url, callback_secret="wrong-secret").get_output_channel()
        assert wrong is not None and not await wrong.post("app:cust-42", [{"text": "spoof"}])
    finally:
        await receiver.stop()
    assert receiver.received == [{"recipient_id": "app:cust-42",
                                  "messages": [{"text": "客服小王：您好，我来帮您处理。"}]}]
    assert receiver.rejected == 1
    assert channel().get_output_channel() is None  # no callback configured: Rasa uses its collector
