"""The running assistant answers FAQs in the shopper's language with values from data/shop.yml."""
from common import policy


def texts(messages):
    return " ".join(m.get("text") or "" for m in messages)


def test_shipping_fee_in_chinese_uses_policy_threshold(chat, sender):
    answer = texts(chat(sender, "包邮吗"))
    assert f"满¥{policy.get('shipping.free_threshold')}包邮" in answer


def test_shipping_fee_in_english_uses_policy_threshold(chat, sender):
    answer = texts(chat(sender, "is shipping free"))
    assert f"¥{policy.get('shipping.free_threshold')} or more" in answer


def test_language_follows_a_switch_mid_conversation(chat, sender, tracker):
    assert "积分" in texts(chat(sender, "积分怎么用"))
    english = texts(chat(sender, "how long is the warranty"))
    assert f"{policy.get('warranty.electronics_months')}-month warranty" in english
    assert tracker(sender)["slots"]["language"] == "en"
    assert "人工客服服务时间" in texts(chat(sender, "客服几点上班"))


def test_emoji_keeps_the_conversation_language(chat, sender, tracker):
    chat(sender, "hello there")
    chat(sender, "👍")
    assert tracker(sender)["slots"]["language"] == "en"


def test_greeting_and_bot_challenge(chat, sender):
    assert policy.get("name.zh") in texts(chat(sender, "在吗"))
    assert "virtual assistant" in texts(chat(sender, "are you a real person"))


def test_gibberish_asks_to_rephrase_then_offers_a_human(chat, sender):
    first = chat(sender, "qwxz zzkq pfft")
    assert "换个说法" in texts(first) or "another way" in texts(first)
    second = chat(sender, "blorp vrrk zzt")
    payloads = [b["payload"] for m in second for b in m.get("buttons") or []]
    assert "/request_human" in payloads
