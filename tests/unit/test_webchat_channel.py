"""The web widget's socket.io channel: handoff note, custom payloads, sessions, metadata."""
from __future__ import annotations

from typing import Any, List

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.events import BotUttered

from bot.channels.webchat import WebChatInput, WebChatOutput, annotation, clean_metadata


class FakeSio:
    def __init__(self) -> None:
        self.emitted: List[tuple] = []

    async def emit(self, event: str, data: Any = None, room: Any = None, **kwargs: Any) -> None:
        self.emitted.append((event, data, room))


def relay_event(text: str, relay_id: str, role: str, **meta: Any) -> BotUttered:
    """What handoff.rasa_client.bot_uttered appends, as Rasa rebuilds it."""
    return BotUttered(text, {}, {"handoff": {"relay_id": relay_id, "role": role, **meta}})


async def test_agent_reply_reaches_the_widget_with_the_agents_name():
    sio = FakeSio()
    out = WebChatOutput(sio, "bot_uttered")
    await out.send_response("web:s1", relay_event("您好,我是小李", "msg:7", "agent", agent="小李",
                                                  ticket_id=3).message())
    event, data, room = sio.emitted[0]
    assert event == "bot_uttered" and room == "web:s1"
    assert data == {"text": "您好,我是小李", "frontline": {"role": "agent", "event": "agent_message",
                                                         "id": "msg:7", "agent_name": "小李"}}


async def test_handback_and_csat_request_are_marked():
    sio = FakeSio()
    out = WebChatOutput(sio, "bot_uttered")
    await out.send_response("web:s1", relay_event("我是小优", "handback:9", "bot").message())
    csat = BotUttered("请打分", {"buttons": [{"title": "5", "payload": "5"}]},
                      {"handoff": {"relay_id": "handback:9:csat", "role": "bot"}})
    await out.send_response("web:s1", csat.message())
    assert sio.emitted[0][1]["frontline"]["event"] == "agent_left"
    last = sio.emitted[1][1]
    assert last["frontline"]["event"] == "csat_request" and last["quick_replies"][0]["payload"] == "5"
    # An ordinary bot turn carries no note at all.
    await out.send_response("web:s1", BotUttered("hi", {}, {"utter_action": "utter_greet"}).message())
    assert sio.emitted[2][1] == {"text": "hi"}


async def test_custom_payload_is_sent_whole():
    sio = FakeSio()
    await WebChatOutput(sio, "bot_uttered").send_response(
        "web:s1", {"custom": {"frontline": "agent_joined", "agent_name": "Amy"}})
    assert sio.emitted == [("bot_uttered", {"custom": {"frontline": "agent_joined",
                                                       "agent_name": "Amy"}}, "web:s1")]


def test_annotation_and_metadata_rules():
    assert annotation(None) is None
    assert annotation({"role": "bot", "relay_id": "sla_breach:1:1"})["event"] == "notice"
    assert annotation({"role": "bot", "event": "agent_joined", "agent": "A"})["event"] == "agent_joined"
    meta = clean_metadata({"channel": "wechat", "openid": "oX", "verified_app_user_id": "u",
                           "visitor_id": "Vq3xL0b9ZkR2mT7yP4wN1a", "page": "/p" * 400})
    assert meta["channel"] == "web" and "openid" not in meta and "verified_app_user_id" not in meta
    assert meta["visitor_id"] == "Vq3xL0b9ZkR2mT7yP4wN1a" and len(meta["page"]) == 300
    assert "visitor_id" not in clean_metadata({"visitor_id": "<script>"})
    assert clean_metadata('{"visitor_id": "web-demo-0001"}')["visitor_id"] == "web-demo-0001"
    assert clean_metadata("not json") == {"channel": "web"}


async def test_sessions_are_namespaced_and_joined():
    received: List[UserMessage] = []

    async def on_new_message(message: UserMessage) -> None:
        received.append(message)

    channel = WebChatInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})
    channel.blueprint(on_new_message)
    sio = channel.sio
    joined, emitted = [], []

    async def enter_room(sid, room, namespace=None):  # python-socketio 5.x: a coroutine
        joined.append((sid, room))

    async def emit(event, data=None, room=None, **kwargs):
        emitted.append((event, data, room))

    sio.enter_room, sio.emit = enter_room, emit
    handlers = sio.handlers["/"]
    # No key (or one the server did not issue): a new session, its key and its public id.
    await handlers["session_request"]("sid-1", {"session_id": "abcdefABCDEF0123456789"})
    confirmed = emitted[0][1]
    key, conversation = confirmed["session_id"], confirmed["conversation_id"]
    assert emitted[0][0] == "session_confirm" and emitted[0][2] == "sid-1"
    assert key != "abcdefABCDEF0123456789" and conversation.startswith("web:")
    assert key not in conversation and joined == [("sid-1", conversation)]
    assert channel.sender_of(key) == conversation
    # The key rejoins the same room (a reload); the public id, seen by agents, joins nothing.
    await handlers["session_request"]("sid-2", {"session_id": key})
    assert joined[1] == ("sid-2", conversation) and emitted[1][1]["session_id"] == key
    public = conversation[len("web:"):]
    for stolen in (public, conversation, "app:u-1", key[:-1] + ("A" if key[-1] != "A" else "B")):
        await handlers["session_request"]("sid-3", {"session_id": stolen})
        assert joined[-1][0] == "sid-3" and joined[-1][1] != conversation

    await handlers["user_uttered"]("sid-1", {"message": "包邮吗", "session_id": key,
                                             "customData": {"channel": "wechat", "openid": "oX",
                                                            "client_address": "10.0.0.1"}})
    for stolen in ("o:victim", public, conversation):
        await handlers["user_uttered"]("sid-1", {"message": "x", "session_id": stolen})
    assert len(received) == 1
    msg = received[0]
    assert msg.sender_id == conversation and msg.text == "包邮吗"
    # the address is the channel's own, never the page's claim
    assert msg.input_channel == "socketio" and msg.metadata == {"channel": "web",
                                                                "client_address": "unknown"}
    assert isinstance(msg.output_channel, WebChatOutput)
    assert isinstance(channel.get_output_channel(), WebChatOutput)


async def test_sockets_only_from_allowed_origins(monkeypatch):
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", "https://shop.example, https://www.shop.example/")
    channel = WebChatInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})
    channel.blueprint(lambda message: None)
    connect = channel.sio.handlers["/"]["connect"]
    assert await connect("s1", {"HTTP_ORIGIN": "https://shop.example"}) is True
    assert await connect("s2", {"HTTP_ORIGIN": "https://www.shop.example"}) is True
    assert await connect("s3", {"HTTP_ORIGIN": "https://evil.example"}) is False
    assert await connect("s4", {"HTTP_ORIGIN": "https://shop.example.evil.example"}) is False
    assert await connect("s5", {}) is True  # no Origin: not a browser page (apps, tests)


def test_a_resent_message_keeps_the_widgets_id():
    from bot.channels.webchat import client_message_id
    assert client_message_id({"message_id": "c0ffee12c0ffee12"}) == "web-c0ffee12c0ffee12"
    assert client_message_id({"message_id": "<x>"}) is None
    assert client_message_id({}) is None
