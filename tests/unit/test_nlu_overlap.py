"""Evaluation text never repeats training text, however it is spelt (what `make validate` checks)."""
from pathlib import Path

from scripts.nlu_overlap import find_overlaps, nlu_examples, normalise, project_overlaps, story_user_texts

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
