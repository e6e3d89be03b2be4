"""Live assist: the policy card of an order and the ranking of suggested replies."""
import pytest

from common import policy as shop
from handoff.assist import policy, suggest
from handoff.db import make_engine, make_sessionmaker, migrate
from handoff.kb import files

ORDER = {"order_id": "E1", "amount": 59.0, "status": "delivered",
         "items": [{"name": "铁观音茶叶", "category": "food", "qty": 1},
                   {"name": "蓝牙耳机", "category": "electronics", "qty": 1}],
         "extra": {"payment_method": "alipay"}}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('assist') / 'a.db'}")
    migrate(engine)
    maker = make_sessionmaker(engine)
    with maker.begin() as session:
        files.sync(session, files.kb_dir())
    with maker() as session:
        yield session
    engine.dispose()


def test_the_card_applies_the_shop_policy_to_the_order():
    lines = {line.key: line.text for line in policy.card(ORDER, "zh")}
    days = shop.get("returns.no_reason_days")
    assert f"不支持{days}天无理由退货" in lines["returns.excluded.food"]
    assert "铁观音茶叶" in lines["returns.excluded.food"]
    assert lines["returns.no_reason"].startswith("蓝牙耳机")  # only the returnable item
    assert f"保修{shop.get('warranty.electronics_months')}个月" in lines["warranty.electronics"]
    assert shop.get("refunds.alipay_days") in lines["refunds.time"]
    assert "未满" in lines["shipping.fee"]  # ¥59 is below the free-shipping threshold
    english = {line.key: line.text for line in policy.card(ORDER, "en")}
    assert "excluded from" in english["returns.excluded.food"]
    assert policy.card(None, "zh") == []


def test_a_return_question_on_a_food_order_puts_the_exclusion_first(db):
    ranked = suggest.suggest(db, "茶叶可以退吗", "zh", policy.card(ORDER, "zh"),
                             negative=False, first_reply=False, public_url="http://x")
    assert ranked[0].kind in ("policy", "kb")
    top_two = " ".join(s.text for s in ranked[:2])
    assert "不支持" in top_two and "无理由退货" in top_two
    assert len(ranked) <= suggest.LIMIT
    assert ranked == sorted(ranked, key=lambda s: -s.score)
    worded = suggest.suggest(db, "食品能七天无理由退货吗", "zh", policy.card(ORDER, "zh"),
                             negative=False, first_reply=False, public_url="http://x")
    article = next(s for s in worded if s.kind == "kb")  # the knowledge base's article too
    assert "食品" in article.title and article.text.endswith(f"http://x/kb/{article.ref}")


def test_an_angry_message_puts_the_apology_first_and_a_first_reply_greets(db):
    ranked = suggest.suggest(db, "太慢了!气死我了", "zh", [], negative=True, first_reply=True,
                             public_url="http://x")
    assert (ranked[0].kind, ranked[0].ref) == ("phrase", "apology")
    assert ("phrase", "greeting") in [(s.kind, s.ref) for s in ranked]
    calm = suggest.suggest(db, "好的", "zh", [], negative=False, first_reply=False,
                           public_url="http://x")
    assert "apology" not in [s.ref for s in calm]


def test_faq_answers_come_in_the_shoppers_language_with_the_shops_numbers(db):
    ranked = suggest.suggest(db, "is shipping free, what is the shipping fee", "en", [],
                             negative=False, first_reply=False, public_url="http://x")
    faq = [s for s in ranked if s.kind == "faq"]
    assert faq and faq[0].ref == "shipping_fee"
    assert str(shop.get("shipping.free_threshold")) in faq[0].text and "{shop." not in faq[0].text
