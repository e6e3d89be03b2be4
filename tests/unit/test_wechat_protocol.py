"""WeChat protocol pieces: signatures, AES (official vectors), XML, rendering, digit mapping."""
from __future__ import annotations

import pytest

from bot.channels.wechat.crypto import WeChatCipher, WeChatCryptoError, check_signature, compute_signature
from bot.channels.wechat.render import BUTTON_HINT, map_digit, render_turn, split_utf8
from bot.channels.wechat.xml_codec import MalformedXML, cdata, parse_message, parse_xml, render_text_reply

# Tencent's published WXBizMsgCrypt sample (token, EncodingAESKey, AppID, request, msg_signature).
SAMPLE_TOKEN = "QDG6eK"
SAMPLE_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SAMPLE_APPID = "wx5823bf96d3bd56c7"
SAMPLE_TS, SAMPLE_NONCE = "1409659813", "1372623149"
SAMPLE_MSG_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
SAMPLE_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvu"
    "JTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+Ltw"
    "Gc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V"
    "2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1pt"
    "DAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)


def test_official_signature_vector() -> None:
    assert compute_signature("AAAAA", "1714037059", "486452656") == "899cf89e464efb63f54ddac96b0a0a235f53aa78"
    assert check_signature("AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656")


def test_forged_or_incomplete_signature_is_rejected() -> None:
    assert not check_signature("AAAAA", "0" * 40, "1714037059", "486452656")
    assert not check_signature("BBBBB", "899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656")
    assert not check_signature("AAAAA", None, "1714037059", "486452656")
    assert not check_signature("AAAAA", "899cf89e464efb63f54ddac96b0a0a235f53aa78", None, "486452656")


def test_official_aes_sample_decrypts_and_its_msg_signature_verifies() -> None:
    assert check_signature(SAMPLE_TOKEN, SAMPLE_MSG_SIGNATURE, SAMPLE_TS, SAMPLE_NONCE, SAMPLE_ENCRYPT)
    message = parse_message(WeChatCipher(SAMPLE_KEY, SAMPLE_APPID).decrypt(SAMPLE_ENCRYPT))
    assert (message.from_user, message.content, message.msg_id) == ("mycreate", "hello", "4561255354251345929")


def test_encrypt_decrypt_round_trip_and_tampering() -> None:
    cipher = WeChatCipher(SAMPLE_KEY, SAMPLE_APPID)
    xml = render_text_reply("o_user", "gh_shop", "您好，订单 E202611180042 已发货 ✓")
    sealed = cipher.encrypt(xml)
    assert sealed != cipher.encrypt(xml)  # random 16-byte prefix: no two ciphertexts alike
    assert cipher.decrypt(sealed) == xml
    with pytest.raises(WeChatCryptoError):  # bound to the AppID: another account cannot read it
        WeChatCipher(SAMPLE_KEY, "wx_other_account").decrypt(sealed)
    with pytest.raises(WeChatCryptoError):
        cipher.decrypt("not base64!!")
    with pytest.raises(WeChatCryptoError):
        cipher.decrypt(sealed[:-8] + "AAAAAAA=")
    with pytest.raises(ValueError):
        WeChatCipher("too-short", SAMPLE_APPID)


def test_parse_text_message_and_reject_malformed() -> None:
    xml = ("<xml><ToUserName><![CDATA[gh_shop]]></ToUserName><FromUserName><![CDATA[o_1]]></FromUserName>"
           "<CreateTime>1714037059</CreateTime><MsgType><![CDATA[text]]></MsgType>"
           "<Content><![CDATA[ 我的订单 ]]></Content><MsgId>123</MsgId></xml>")
    msg = parse_message(xml)
    assert (msg.from_user, msg.msg_type, msg.content, msg.dedup_key) == ("o_1", "text", " 我的订单 ", "msg:123")
    for bad in ["", "<xml><ToUserName>", "<notxml/>", "<xml><MsgType>text</MsgType></xml>",
                '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Content>&a;</Content></xml>']:
        with pytest.raises(MalformedXML):
            parse_message(bad)


def test_cdata_survives_terminator_in_text() -> None:
    tricky = "a]]>b<c>&d"
    assert parse_xml(f"<xml><Content>{cdata(tricky)}</Content></xml>")["Content"] == tricky


def test_split_utf8_respects_2048_bytes_and_characters() -> None:
    text = "\n".join(f"第{i}行：您的包裹正在派送中，请保持电话畅通。" for i in range(200))
    chunks = split_utf8(text)
    assert len(chunks) > 1
    assert all(len(c.encode("utf-8")) <= 2048 for c in chunks)
    assert "\n".join(chunks) == text  # split at line breaks: nothing lost, nothing cut in half
    hard = split_utf8("单" * 1500)  # no line breaks at all: hard cut on a character boundary
    assert all(len(c.encode("utf-8")) <= 2048 for c in hard) and "".join(hard) == "单" * 1500


def test_buttons_numbered_and_digit_maps_back() -> None:
    turn = render_turn([
        {"text": "要退货吗？Return it?"},
        {"text": "请选择 / Choose", "buttons": [{"title": "是 Yes", "payload": "/affirm"},
                                             {"title": "否 No", "payload": "/deny"}]},
    ])
    assert turn.chunks == ["要退货吗？Return it?\n\n请选择 / Choose\n1. 是 Yes\n2. 否 No\n\n" + BUTTON_HINT]
    assert map_digit("2", turn.buttons) == "/deny"
    assert map_digit("２", turn.buttons) == "/deny"  # full-width digit from a Chinese IME
    assert map_digit(" 1. ", turn.buttons) == "/affirm"
    assert map_digit("3", turn.buttons) is None
    assert map_digit("2 件", turn.buttons) is None
    assert map_digit("1", []) is None


def test_images_and_custom_text_rendered_as_text() -> None:
    turn = render_turn([{"image": "https://shop.example/a.png"}, {"custom": {"text": "客服小王已接入"}}])
    assert "https://shop.example/a.png" in turn.chunks[0] and "客服小王已接入" in turn.chunks[0]
