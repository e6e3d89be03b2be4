"""Parsing WeChat's inbound XML and rendering passive replies.

WeChat sends UTF-8 XML without DTDs or entities. The parser is defusedxml's with DTDs forbidden, so
a document declaring one is refused however it is encoded (a byte search for ``<!DOCTYPE`` misses
UTF-16); bodies that are not UTF-8 are refused before parsing too. That closes XXE and
entity-expansion ("billion laughs") attacks.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Optional

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

MAX_BODY_BYTES = 64 * 1024  # WeChat messages are a few KB; anything larger is not from WeChat


class MalformedXML(ValueError):
    """The body is not a WeChat XML document."""


@dataclass(frozen=True)
class WeChatMessage:
    """One inbound message or event (fields WeChat sends; absent ones are empty strings)."""

    to_user: str  # the Official Account's original id (gh_...)
    from_user: str  # the shopper's openid
    create_time: int
    msg_type: str  # text | image | voice | video | shortvideo | location | link | event
    content: str = ""
    msg_id: str = ""
    event: str = ""  # subscribe | unsubscribe | CLICK | SCAN | VIEW ...
    event_key: str = ""
    media_id: str = ""
    pic_url: str = ""
    recognition: str = ""  # voice-to-text result, present when the account enabled recognition

    @property
    def dedup_key(self) -> str:
        """WeChat's advice: MsgId for messages, FromUserName + CreateTime for events."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"evt:{self.from_user}:{self.create_time}:{self.event}"


def parse_xml(body: bytes | str) -> dict[str, str]:
    """Flat ``{tag: text}`` of the root's children; raises MalformedXML."""
    raw = body.encode("utf-8") if isinstance(body, str) else body
    if not raw or len(raw) > MAX_BODY_BYTES:
        raise MalformedXML("empty or oversized body")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedXML("the body is not UTF-8") from exc
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise MalformedXML("DTDs and entities are not allowed")
    try:
        root = SafeET.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise MalformedXML(f"DTDs and entities are not allowed: {exc!r}") from exc
    except ET.ParseError as exc:
        raise MalformedXML(f"not well-formed: {exc}") from exc
    if root.tag != "xml":
        raise MalformedXML(f"unexpected root element <{root.tag}>")
    # Content keeps its whitespace (the shopper typed it); ids and types are trimmed.
    return {c.tag: (c.text or "") if c.tag == "Content" else (c.text or "").strip() for c in root}


def parse_message(body: bytes | str) -> WeChatMessage:
    """Parse a decrypted message body; raises MalformedXML when required fields are missing."""
    fields = parse_xml(body)
    missing = [f for f in ("ToUserName", "FromUserName", "MsgType") if not fields.get(f)]
    if missing:
        raise MalformedXML(f"missing fields: {', '.join(missing)}")
    try:
        create_time = int(fields.get("CreateTime") or 0)
    except ValueError as exc:
        raise MalformedXML("CreateTime is not an integer") from exc
    return WeChatMessage(
        to_user=fields["ToUserName"],
        from_user=fields["FromUserName"],
        create_time=create_time,
        msg_type=fields["MsgType"].lower(),
        content=fields.get("Content", ""),
        msg_id=fields.get("MsgId", ""),
        event=fields.get("Event", ""),
        event_key=fields.get("EventKey", ""),
        media_id=fields.get("MediaId", ""),
        pic_url=fields.get("PicUrl", ""),
        recognition=fields.get("Recognition", ""),
    )


def cdata(value: str) -> str:
    """CDATA section that survives a literal ``]]>`` inside the text (split across two sections)."""
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(to_user: str, from_user: str, content: str, now: Optional[int] = None) -> str:
    """Passive text reply: To/From are swapped relative to the inbound message by the caller."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(to_user)}</ToUserName>"
        f"<FromUserName>{cdata(from_user)}</FromUserName>"
        f"<CreateTime>{int(now if now is not None else time.time())}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(content)}</Content>"
        "</xml>"
    )


def render_encrypted_envelope(encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
    """Safe-mode reply wrapper (the same shape WeChat itself uses for requests)."""
    return (
        "<xml>"
        f"<Encrypt>{cdata(encrypted)}</Encrypt>"
        f"<MsgSignature>{cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce>{cdata(nonce)}</Nonce>"
        "</xml>"
    )


def render_encrypted_request(to_user: str, encrypted: str) -> str:
    """Safe-mode request body as WeChat posts it (used by the simulator)."""
    return f"<xml><ToUserName>{cdata(to_user)}</ToUserName><Encrypt>{cdata(encrypted)}</Encrypt></xml>"
