"""WeChat simulator: plays the WeChat server towards Frontline's webhook.

It speaks the real protocol (signature query string, XML bodies, safe-mode AES envelopes with
msg_signature, verification of the encrypted passive reply) so the demo and the tests exercise
exactly what production receives. Run interactively:

    python -m tools.wechat_sim --webhook http://localhost:5005/webhooks/wechat/webhook \
        --openid demo-shopper [--aes] [--standin-port 5090]

Credentials come from WECHAT_TOKEN / WECHAT_APP_ID / WECHAT_APP_SECRET / WECHAT_AES_KEY, the same
variables the bot reads. With --standin-port it also serves the customer-service API stand-in and
prints what the shopper receives asynchronously (point the bot's WECHAT_API_BASE at it).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import time
from dataclasses import dataclass
from typing import Optional
from urllib.parse import urlencode

import aiohttp

from bot.channels.wechat.crypto import WeChatCipher, check_signature, compute_signature, make_nonce
from bot.channels.wechat.xml_codec import (
    WeChatMessage, cdata, parse_message, parse_xml, render_encrypted_request,
)
from tools.wechat_standin import CustomerServiceStandIn


class ReplyVerificationError(Exception):
    """The bot's encrypted reply had a wrong signature or could not be decrypted."""


@dataclass
class SimResponse:
    status: int
    body: str
    reply: Optional[WeChatMessage] = None  # the passive reply, decrypted and parsed


def text_xml(openid: str, account: str, content: str, msg_id: str, now: Optional[int] = None) -> str:
    return (f"<xml><ToUserName>{cdata(account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId></xml>")


def media_xml(openid: str, account: str, msg_type: str, msg_id: str, extra: str = "") -> str:
    return (f"<xml><ToUserName>{cdata(account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType>{cdata(msg_type)}</MsgType>"
            f"<MediaId>{cdata('media-' + msg_id)}</MediaId>{extra}<MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, account: str, event: str, key: str = "", now: Optional[int] = None) -> str:
    return (f"<xml><ToUserName>{cdata(account)}</ToUserName><FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{now or int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            f"<Event>{cdata(event)}</Event><EventKey>{cdata(key)}</EventKey></xml>")


def new_msg_id() -> str:
    return str(secrets.randbits(63))


class WeChatSimulator:
    """Posts signed (and optionally encrypted) messages to a Frontline WeChat webhook."""

    def __init__(self, webhook_url: str, token: str, app_id: str = "", aes_key: str = "",
                 account: str = "gh_frontline_demo", timeout: float = 15.0) -> None:
        self.webhook_url = webhook_url
        self.token = token
        self.account = account
        self.cipher = WeChatCipher(aes_key, app_id) if aes_key else None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def signed_query(self, timestamp: Optional[str] = None, nonce: Optional[str] = None,
                     openid: str = "", encrypted_body: Optional[str] = None, forge: bool = False) -> dict[str, str]:
        ts, nc = timestamp or str(int(time.time())), nonce or make_nonce()
        signature = compute_signature(self.token, ts, nc)
        if forge:  # what an attacker without the token would send
            signature = compute_signature("not-the-token", ts, nc)
        query = {"signature": signature, "timestamp": ts, "nonce": nc, "openid": openid}
        if encrypted_body is not None:
            query["encrypt_type"] = "aes"
            query["msg_signature"] = compute_signature(self.token, ts, nc, encrypted_body)
        return query

    def build(self, xml: str, openid: str = "", forge: bool = False,
              timestamp: Optional[str] = None) -> tuple[dict[str, str], str]:
        """(query, body) exactly as WeChat would send ``xml`` (encrypted when an AES key is set)."""
        if self.cipher is None:
            return self.signed_query(timestamp=timestamp, openid=openid, forge=forge), xml
        sealed = self.cipher.encrypt(xml)
        query = self.signed_query(timestamp=timestamp, openid=openid, encrypted_body=sealed, forge=forge)
        return query, render_encrypted_request(self.account, sealed)

    def open_reply(self, body: str) -> Optional[WeChatMessage]:
        """Parse (and in safe mode verify + decrypt) a passive reply; None for ``success``/empty."""
        if not body or body.strip() == "success":
            return None
        if self.cipher is None:
            return parse_message(body)
        env = parse_xml(body)
        if not check_signature(self.token, env.get("MsgSignature"), env.get("TimeStamp"),
                               env.get("Nonce"), env.get("Encrypt")):
            raise ReplyVerificationError("reply msg_signature does not verify")
        return parse_message(self.cipher.decrypt(env["Encrypt"]))

    async def post_raw(self, query: dict[str, str], body: str | bytes) -> SimResponse:
        async with aiohttp.ClientSession(timeout=self._timeout) as http:
            async with http.post(self.webhook_url, params=query, data=body,
                                 headers={"Content-Type": "text/xml"}) as resp:
                return SimResponse(resp.status, await resp.text())

    async def post(self, xml: str, openid: str = "", forge: bool = False) -> SimResponse:
        query, body = self.build(xml, openid=openid, forge=forge)
        result = await self.post_raw(query, body)
        if result.status == 200:
            result.reply = self.open_reply(result.body)
        return result

    async def send_text(self, openid: str, content: str, msg_id: Optional[str] = None) -> SimResponse:
        return await self.post(text_xml(openid, self.account, content, msg_id or new_msg_id()), openid)

    async def send_image(self, openid: str, pic_url: str = "https://example.invalid/p.jpg",
                         media_id: str = "") -> SimResponse:
        extra = f"<PicUrl>{cdata(pic_url)}</PicUrl>" + (
            f"<MediaId>{cdata(media_id)}</MediaId>" if media_id else "")
        return await self.post(media_xml(openid, self.account, "image", new_msg_id(), extra), openid)

    async def send_voice(self, openid: str, recognition: str = "") -> SimResponse:
        extra = "<Format><![CDATA[amr]]></Format>" + (f"<Recognition>{cdata(recognition)}</Recognition>"
                                                      if recognition else "")
        return await self.post(media_xml(openid, self.account, "voice", new_msg_id(), extra), openid)

    async def subscribe(self, openid: str) -> SimResponse:
        return await self.post(event_xml(openid, self.account, "subscribe"), openid)

    async def verify_url(self, echostr: str, forge: bool = False) -> SimResponse:
        query = self.signed_query(forge=forge)
        query.pop("openid")
        query["echostr"] = echostr
        async with aiohttp.ClientSession(timeout=self._timeout) as http:
            async with http.get(f"{self.webhook_url}?{urlencode(query)}") as resp:
                return SimResponse(resp.status, await resp.text())


# ---- interactive demo ---------------------------------------------------------------
async def _print_cs_messages(base_url: str, openid: str) -> None:
    since = time.time()
    async with aiohttp.ClientSession() as http:
        while True:
            await asyncio.sleep(0.5)
            async with http.get(f"{base_url}/_sim/messages", params={"openid": openid, "since": since}) as r:
                for item in (await r.json())["messages"]:
                    since = max(since, item["at"])
                    print(f"\n[客服消息 CS message] {item['content']}\n> ", end="", flush=True)


async def _repl(args: argparse.Namespace) -> None:
    token = os.environ.get("WECHAT_TOKEN", "")
    if not token:
        sys.exit("WECHAT_TOKEN is not set")
    aes_key = os.environ.get("WECHAT_AES_KEY", "") if args.aes else ""
    sim = WeChatSimulator(args.webhook, token, os.environ.get("WECHAT_APP_ID", ""), aes_key)
    watcher = None
    if args.standin_port:
        standin = CustomerServiceStandIn(os.environ.get("WECHAT_APP_ID", ""), os.environ.get("WECHAT_APP_SECRET", ""))
        base = await standin.start("127.0.0.1", args.standin_port)
        print(f"Customer-service API stand-in on {base} (set WECHAT_API_BASE={base} for the bot)")
        watcher = asyncio.ensure_future(_print_cs_messages(base, args.openid))
    elif args.standin_url:
        # a stand-in the running stack already serves (make demo): show what the bot and agents send
        watcher = asyncio.ensure_future(_print_cs_messages(args.standin_url.rstrip("/"), args.openid))
    if args.standin_only:
        await asyncio.Event().wait()
    check = await sim.verify_url("frontline-echo")
    print(f"URL verification: HTTP {check.status} {'ok' if check.body == 'frontline-echo' else check.body}")
    print(f"{sim.cipher and 'safe (AES)' or 'plaintext'} mode, openid={args.openid}. "
          "Type a message; /image /voice /subscribe simulate other kinds; Ctrl-D quits.")
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, lambda: input("> "))
        if line == "/image":
            result = await sim.send_image(args.openid)
        elif line == "/voice":
            result = await sim.send_voice(args.openid)
        elif line == "/subscribe":
            result = await sim.subscribe(args.openid)
        else:
            result = await sim.send_text(args.openid, line)
        shown = result.reply.content if result.reply else result.body
        print(f"[被动回复 passive reply, HTTP {result.status}] {shown}")
    if watcher:  # pragma: no cover - loop above exits via EOFError
        watcher.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--webhook", default="http://localhost:5005/webhooks/wechat/webhook")
    parser.add_argument("--openid", default="o_demo_shopper")
    parser.add_argument("--aes", action="store_true", help="safe mode (needs WECHAT_AES_KEY, WECHAT_APP_ID)")
    parser.add_argument("--standin-port", type=int, default=0, help="also serve the CS API stand-in here")
    parser.add_argument("--standin-only", action="store_true", help="only serve the stand-in")
    parser.add_argument("--standin-url", default="", help="show customer-service messages of a running stand-in")
    try:
        asyncio.run(_repl(parser.parse_args()))
    except (EOFError, KeyboardInterrupt):
        pass


if __name__ == "__main__":
    main()
