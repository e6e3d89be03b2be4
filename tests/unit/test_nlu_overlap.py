"""Evaluation text never repeats training text, however it is spelt (what `make validate` checks)."""
from pathlib import Path

from scripts.nlu_overlap import (conversation_turns, find_overlaps, nlu_examples, normalise, project_overlaps,
                                 story_user_texts)
from scripts.nlu_similarity import canonical, find_matches

NLU = """version: "3.1"
nlu:
- intent: faq/shipping_fee
  examples: |
    - Is shipping free?
    - 包邮吗
- intent: inform
  examples: |
    - 订单号[E202611180042](order_id)
"""

HOLDOUT = """version: "3.1"
nlu:
- intent: faq/shipping_fee
  examples: |
    - is   SHIPPING free
    - ｉｓ　ｓｈｉｐｐｉｎｇ　ｆｒｅｅ！
    - 包邮吗？
    - 订单号E202611180042
    - how much is postage
"""

STORIES = """version: "3.1"
stories:
- story: asks about shipping
  steps:
  - user: |
      包邮 吗
    intent: faq/shipping_fee
  - action: utter_faq
  - user: how much is postage
    intent: faq/shipping_fee
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_normalising_folds_case_width_punctuation_spaces_and_entity_markup():
    assert normalise("Is shipping free?") == normalise("ｉｓ　ｓｈｉｐｐｉｎｇ　ＦＲＥＥ！")
    assert normalise("包邮吗") == normalise("包 邮 吗？")
    assert normalise("订单号[E202611180042](order_id)") == normalise("订单号E202611180042")
    assert normalise("is shipping free") != normalise("is shipping fee")


def test_normalising_drops_chinese_modal_particles_but_keeps_words():
    # the same sentence in a different tone is still the training sentence
    assert normalise("谢谢你啦") == normalise("谢谢你")
    assert normalise("咋取消订单 找不到按钮") == normalise("咋取消订单啊 找不到按钮")
    assert normalise("物流三天没更新") == normalise("物流三天没更新了")
    assert normalise("不可以的") == normalise("不可以")
    # ...but a different question is not
    assert normalise("运费要多少钱") != normalise("运费要多久")
    assert normalise("了") == "了"


def test_every_spelling_of_a_training_sentence_is_reported_with_both_places(tmp_path):
    training = list(nlu_examples(_write(tmp_path, "train.yml", NLU)))
    evaluation = list(nlu_examples(_write(tmp_path, "holdout.yml", HOLDOUT)))
    evaluation += list(story_user_texts(_write(tmp_path, "stories.yml", STORIES)))

    overlaps = find_overlaps(training, evaluation)

    assert [(o.evaluation.text, o.evaluation.line, o.training.line) for o in overlaps] == [
        ("is   SHIPPING free", 5, 5),
        ("ｉｓ　ｓｈｉｐｐｉｎｇ　ｆｒｅｅ！", 6, 5),
        ("包邮吗？", 7, 6),
        ("订单号E202611180042", 8, 9),
        ("包邮 吗", 6, 6),
    ]
    message = str(overlaps[-1])
    assert "stories.yml:6" in message and '"包邮 吗"' in message
    assert "train.yml:6" in message and '"包邮吗"' in message


def test_the_projects_held_out_set_and_test_stories_are_unseen_in_training():
    assert [str(o) for o in project_overlaps()] == []


TRAINING = [
    "帮我查一下订单状态",             # 0
    "where is my parcel right now",  # 1
    "订单[12345](order_id)发货了吗",   # 2
    "what payment methods do you accept",  # 3
    "退款什么时候到账",               # 4
    "cancel my order",               # 5
    "hi there",                      # 6
    "怎么申请发票",                   # 7
]


def _rule(text: str) -> tuple:
    match = find_matches(TRAINING, [text])[0]
    return (match.rule, match.index) if match else None


def test_each_rule_ties_an_evaluation_sentence_to_its_training_example():
    assert _rule("帮我查一下订单状态！") == ("equal", 0)
    # numbers are one placeholder: another order id is the same sentence
    assert _rule("订单67890发货了吗") == ("canonical", 2)
    # chat spellings read as their words: 啥 = 什么
    assert _rule("退款啥时候到账") == ("canonical", 4)
    assert _rule("发票怎么申请") == ("reordered", 7)
    assert _rule("where is my package right now") == ("one-edit", 1)  # one word replaced
    assert _rule("what payment methods do you take") == ("one-edit", 3)
    assert _rule("what payment methods do you accept here") == ("one-edit", 3)  # one word more
    assert _rule("查一下订单") == ("inside", 0)  # stands whole inside a longer training sentence
    assert _rule("please cancel my order today") == ("contains", 5)  # holds a training sentence


def test_the_same_annotated_sentence_with_another_entity_value_is_an_overlap():
    training = ["it was the [bluetooth headphones](product)", "顺丰[SF1234567890123](tracking_no)",
                'the [large]{"entity": "size"} one please']
    found = find_matches(training, ["it was the [blender](product)",
                                    "the [small](size) one please",
                                    "it was the blender",  # no annotation: nothing to read as a type
                                    "it was the [blender](brand)",  # another entity type
                                    "顺丰的[SF1234567890123](tracking_no)",  # a word more: 的 is kept
                                    "[blender](product)"])  # nothing but the entity: no sentence
    assert [(m.rule, m.index) if m else None for m in found] == [
        ("frame", 0), ("frame", 2), None, None, None, None]


def test_short_and_partial_hits_are_not_overlaps():
    # too short to mean anything on their own: "hi" inside "hi there", 订单 inside 订单状态
    assert _rule("hi") is None
    assert _rule("查订单") is None
    assert _rule("hi there folks, how is it going") is None  # "hi there" is only 2 words
    # containment is of whole words, not letters: "cancel my orders" does not hold "cancel my order"
    assert _rule("cancel my orders") is None
    # one word away needs 4 tokens on both sides: short sentences differ by a word all the time
    assert _rule("where is my car") is None
    assert _rule("退款多久到") is None
    # a bare number is no sentence, however many training answers are bare numbers
    assert find_matches(["[E202611180042](order_id)"], ["E202699999999"]) == [None]


def test_canonical_tokens_fold_markup_numbers_spellings_and_particles():
    assert canonical("订单号[E202611180042](order_id)吗") == ("订", "单", "号", "#")
    assert canonical("thx, where's ur parcel?") == ("thanks", "where", "is", "your", "parcel")
    assert canonical("{o.id} 到哪了") == ("#", "到", "哪")
    assert canonical("I'm  FINE") == ("i", "am", "fine")


def test_conversation_turns_are_read_without_payloads(tmp_path):
    path = _write(tmp_path, "c.yml", """- id: x
  turns:
    - say: 我的快递到哪了
      reply: ask
    - say: "{o.phone4}"
    - say: /affirm
""")
    assert [(s.text, s.line) for s in conversation_turns(path)] == [("我的快递到哪了", 3), ("{o.phone4}", 5)]


def test_a_project_with_a_contained_held_out_sentence_fails_the_check(tmp_path):
    (tmp_path / "data" / "nlu").mkdir(parents=True)
    (tmp_path / "tests" / "nlu_holdout").mkdir(parents=True)
    _write(tmp_path / "data" / "nlu", "orders.yml", """version: "3.1"
nlu:
- intent: order_status
  examples: |
    - 帮我查一下订单状态
""")
    _write(tmp_path / "tests" / "nlu_holdout", "zh.yml", """version: "3.1"
nlu:
- intent: order_status
  examples: |
    - 快递到哪了
    - 查一下订单
""")
    overlaps = project_overlaps(tmp_path)
    assert [(o.evaluation.text, o.rule, o.training.text) for o in overlaps] == [("查一下订单", "inside", "帮我查一下订单状态")]
    assert "stands whole inside" in str(overlaps[0]) and "[inside]" in str(overlaps[0])
