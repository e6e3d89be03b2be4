"""WeChat and mobile-app channels against the running stack (real model, Rasa, actions).

Needs the issue-8 block in credentials.yml and the WECHAT_* / APP_IDENTITY_SECRET variables in the
stack's environment; without them these tests skip with the reason.
"""
from __future__ import annotations

import uuid

import pytest

from bot.channels.app_client import AppClient
from bot.channels.app_identity import issue_identity_token
from common import policy
from tools.wechat_sim import WeChatSimulator


@pytest.fixture
def wechat(stack) -> WeChatSimulator:
    token = stack.env.get("WECHAT_TOKEN")
    if not token:
        pytest.skip("WECHAT_TOKEN not set for the stack (credentials.yml issue-8 block missing?)")
    return WeChatSimulator(f"{stack.rasa_url}/webhooks/wechat/webhook", token,
                           stack.env.get("WECHAT_APP_ID", ""), stack.env.get("WECHAT_AES_KEY", ""))


async def test_wechat_subscribe_greets_and_faq_answers(wechat, tracker) -> None:
    openid = f"o_e2e_{uuid.uuid4().hex[:10]}"
    assert (await wechat.verify_url("e2e-echo")).body == "e2e-echo"
    greeted = await wechat.subscribe(openid)
    assert greeted.reply is not None and greeted.reply.content.strip()  # greeted through /greet
    answer = await wechat.send_text(openid, "包邮吗")
    assert answer.reply is not None
    assert f"满¥{policy.get('shipping.free_threshold')}包邮" in answer.reply.content
    forged = await wechat.post("<xml><ToUserName>x</ToUserName></xml>", openid, forge=True)
    assert forged.status == 403
    latest = tracker(openid)["latest_message"]
    assert latest["metadata"]["channel"] == "wechat" and latest["metadata"]["openid"] == openid


async def test_app_channel_verified_identity_reaches_the_tracker(stack, tracker) -> None:
    secret = stack.env.get("APP_IDENTITY_SECRET")
    if not secret:
        pytest.skip("APP_IDENTITY_SECRET not set for the stack (credentials.yml issue-8 block missing?)")
    user = f"cust-e2e-{uuid.uuid4().hex[:6]}"
    client = AppClient(stack.rasa_url, app_version="5.2.0", platform="ios")
    reply = await client.send("包邮吗", identity_token=issue_identity_token(secret, user))
    assert reply.status == 200 and reply.verified and reply.texts
    assert tracker(f"app:{user}")["latest_message"]["metadata"]["verified_app_user_id"] == user
    anonymous = await client.send("包邮吗", extra={"user_id": user})
    assert anonymous.status == 200 and not anonymous.verified and anonymous.sender_id != f"app:{user}"


async def test_wechat_picture_is_the_damage_photo_and_explained_elsewhere(wechat, tracker) -> None:
    picture = "https://mmbiz.qpic.cn/mmbiz_jpg/e2e/0"
    stranger = f"o_e2e_{uuid.uuid4().hex[:10]}"
    unasked = await wechat.send_image(stranger, picture)
    assert unasked.reply is not None and "收到您的图片了" in unasked.reply.content
    # a seeded customer (C0009, one recent order) reports damage, is asked for a photo, sends it
    customer = "oDemo0009wx"
    asked = await wechat.send_text(customer, "收到的杯子碎了")
    assert asked.reply is not None and "直接在这里发给我" in asked.reply.content
    done = await wechat.send_image(customer, picture, media_id="e2e-media-1")
    assert done.reply is not None and "已附照片" in done.reply.content
    photo_turn = tracker(customer)["latest_message"]
    assert photo_turn["intent"]["name"] == "send_image"
    assert photo_turn["metadata"]["image_url"] == picture
    assert tracker(customer)["slots"]["after_sales_case"].startswith("AS")
