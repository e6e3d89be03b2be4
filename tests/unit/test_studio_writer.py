"""The studio's YAML writer: its output is Rasa training data that round-trips, in the topic
file of the intent, with comments kept and no personal data."""
from __future__ import annotations

from pathlib import Path

import pytest

from handoff.conversations import masking
from handoff.studio.writer import Project, WriteError, normalise


@pytest.fixture()
def project(studio_project: Path) -> Project:
    return Project(studio_project)


def nlu_messages(path: Path):
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
    return RasaYAMLReader().read(str(path)).training_examples


def test_example_goes_to_the_intents_topic_file_with_placeholders(project: Project):
    raw = "我手机13987654321订单E202611189999怎么还没发货啊"
    pieces = masking.split(raw)
    text = masking.safe_text(pieces)
    span = masking.to_safe_span(pieces, "E2*******9999")
    change = project.add_example("order_status", text, [(span[0], span[1], "order_id")])
    assert change.path == "data/nlu/orders.yml"
    before = change.before
    project.write(change)
    after = (project.root / change.path).read_text(encoding="utf-8")
    # the diff is the one added line; every comment and every other line is kept
    added = [l for l in change.diff.splitlines() if l.startswith("+") and not l.startswith("+++")]
    removed = [l for l in change.diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    assert removed == [] and len(added) == 1
    assert added[0] == "+    - 我手机13800001234订单[E202601010001](order_id)怎么还没发货啊"
    assert [l for l in before.splitlines() if l.startswith("#")] == \
        [l for l in after.splitlines() if l.startswith("#")]
    assert "13987654321" not in after and "E202611189999" not in after
    found = [m for m in nlu_messages(project.root / change.path)
             if m.get("text") == "我手机13800001234订单E202601010001怎么还没发货啊"]
    assert len(found) == 1 and found[0].get("intent") == "order_status"
    assert [(e["entity"], e["value"]) for e in found[0].get("entities")] == \
        [("order_id", "E202601010001")]


def test_second_example_and_round_trip_of_every_file(project: Project):
    project.stage(project.add_example("greet", "早上好呀客服小姐姐", []))
    project.stage(project.add_example("faq/shipping_fee", "运费到底要多少钱呢亲", []))
    changes = project.pending()
    assert {c.path for c in changes} == {"data/nlu/glue.yml", "data/nlu/faq.yml"}
    for change in changes:
        project.write(change)
        texts = {m.get("text"): m for m in nlu_messages(project.root / change.path)}
        assert "早上好呀客服小姐姐" in texts or "运费到底要多少钱呢亲" in texts
    faq = {m.get("text"): m for m in nlu_messages(project.root / "data/nlu/faq.yml")}
    assert faq["运费到底要多少钱呢亲"].get("intent_response_key") == "faq/shipping_fee"


def test_refuses_what_rasa_or_validation_would_reject(project: Project):
    with pytest.raises(WriteError, match="not in domain"):
        project.add_example("no_such_intent", "hello there friend", [])
    with pytest.raises(WriteError, match="already in"):
        project.add_example("faq/shipping_fee", "包邮吗!", [])  # same once normalised
    with pytest.raises(WriteError, match="entity"):
        project.add_example("inform", "abc", [(0, 3, "not_an_entity")])
    assert normalise("包邮吗!") == normalise("包邮吗")


def test_story_and_test_story_round_trip(project: Project):
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader

    turns = [{"intent": "order_status", "text": "我的单E202601010001到哪了",
              "entities": [(3, 16, "order_id")],
              "actions": ["action_order_status", "order_form", "validate_order_form",
                          "action_ask_phone_last4"]},
             {"intent": "faq/shipping_fee", "text": "顺便问下运费怎么算", "entities": [],
              "actions": ["action_faq_answer"]}]
    story = project.add_story("order then faq (studio)", turns)
    assert story.path == "data/stories/studio.yml"
    project.write(story)
    test = project.add_story("order then faq (studio test)", turns, test=True)
    assert test.path == "tests/test_stories.yml"
    assert not [l for l in test.diff.splitlines() if l.startswith("-") and not l.startswith("---")]
    project.write(test)
    domain = Domain.load(str(project.root / "domain.yml"))
    steps = YAMLStoryReader(domain).read_from_file(str(project.root / "data/stories/studio.yml"))
    assert [s.block_name for s in steps] == ["order then faq (studio)"]
    names = [str(e.type_name) + ":" + str(getattr(e, "action_name", None) or
                                           getattr(e, "intent_name", None) or "")
             for e in steps[0].events]
    assert "action:validate_order_form" not in names  # form machinery is left out
    assert "user:faq" in names  # a story names the retrieval intent's base
    tests = YAMLStoryReader(domain).read_from_file(str(project.root / "tests/test_stories.yml"),
                                                   )
    last = [s for s in tests if s.block_name == "order then faq (studio test)"]
    assert len(last) == 1
    user = [e for e in last[0].events if e.type_name == "user"]
    assert user[0].text == "我的单E202601010001到哪了"
    assert user[0].intent_name == "order_status"
    with pytest.raises(WriteError, match="already exists"):
        project.add_story("order then faq (studio)", turns)


def test_masking_never_keeps_the_original():
    pieces = masking.split("call me on 13812345678 or at 12 Baker Street, order 2026111800421")
    masked, safe = masking.masked_text(pieces), masking.safe_text(pieces)
    for secret in ("13812345678", "Baker", "2026111800421"):
        assert secret not in masked and secret not in safe
    assert "138****5678" in masked and "13800001234" in safe
    assert masking.to_safe_span(pieces, "138****5678") is not None
    assert masking.to_safe_span(pieces, "not there") is None
