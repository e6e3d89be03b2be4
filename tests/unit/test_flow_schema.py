"""Flow files: the shipped flows are valid; broken files get `file:line: message` errors."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from common.flows.errors import FlowFileError
from common.flows.loader import load_dir, load_file
from common.flows.model import ESCALATE, RESOLVED
from scripts.validate_flows import check, main

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "data" / "flows"

GOOD = """\
id: kettle
trigger: troubleshoot_kettle
title: {zh: 水壶不加热, en: kettle won't heat}
start: plug
steps:
  plug:
    prompt: {zh: 插头插好了吗, en: Is it plugged in}
    options:
      - {id: done, label: {zh: 好了, en: Works}, next: resolved, intents: [affirm]}
      - {id: still, label: {zh: 不行, en: No}, next: escalate, intents: [deny]}
"""


def write(tmp_path: Path, text: str, name: str = "flow.yml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors_of(tmp_path: Path, text: str) -> list:
    with pytest.raises(FlowFileError) as caught:
        load_file(write(tmp_path, text))
    return caught.value.errors


def test_the_four_shipped_flows_are_valid_and_routed():
    flows, errors = load_dir(FLOWS)
    assert errors == []
    assert {f.trigger for f in flows.values()} == {
        "troubleshoot_app_login", "troubleshoot_device_network", "troubleshoot_router",
        "troubleshoot_smart_home_setup"}
    assert check(FLOWS, ROOT / "domain.yml", ROOT / "data" / "stories") == []


def test_every_step_has_both_languages_and_every_flow_both_ends():
    flows, _ = load_dir(FLOWS)
    for flow in flows.values():
        targets = set()
        for step in flow.steps.values():
            targets.update(o.next for o in step.options)
            targets.update(step.branches.values())
            if step.prompt:
                assert step.prompt.zh and step.prompt.en
        assert {RESOLVED, ESCALATE} <= targets, flow.id


def test_a_good_minimal_flow_loads(tmp_path):
    flow = load_file(write(tmp_path, GOOD))
    assert flow.start == "plug" and flow.steps["plug"].options[1].intents == ("deny",)


def test_missing_language_is_reported_on_its_line(tmp_path):
    broken = GOOD.replace("prompt: {zh: 插头插好了吗, en: Is it plugged in}", "prompt: {zh: 插头插好了吗?}")
    (error,) = errors_of(tmp_path, broken)
    assert error.line == 7
    assert "'en' is a required property" in error.message
    assert str(error).startswith(f"{tmp_path / 'flow.yml'}:7: steps.plug.prompt")


def test_misspelled_key_and_unknown_target_point_at_their_lines(tmp_path):
    broken = GOOD.replace("    prompt:", "    promt:")
    (error,) = errors_of(tmp_path, broken)
    assert error.line == 6 and "'promt' was unexpected" in error.message
    broken = GOOD.replace("next: escalate, intents: [deny]", "next: reboot, intents: [deny]")
    errors = errors_of(tmp_path, broken)
    assert [(e.line, "'reboot' is neither a step" in e.message) for e in errors][0] == (10, True)


def test_yaml_syntax_error_has_a_line(tmp_path):
    (error,) = errors_of(tmp_path, GOOD + "  oops: [unclosed\n")
    assert error.line >= 11 and "YAML syntax" in error.message


def test_a_flow_must_reach_both_ends_and_steps_must_be_reachable(tmp_path):
    broken = GOOD.replace("next: escalate", "next: resolved") + textwrap.indent(textwrap.dedent("""\
        orphan:
          prompt: {zh: 孤立, en: orphan}
          options:
            - {id: ok, label: {zh: 好, en: ok}, next: resolved}
        """), "  ")
    messages = [(e.line, e.message) for e in errors_of(tmp_path, broken)]
    assert any("no path from start 'plug' ever reaches the 'escalate' end" in m for _, m in messages)
    assert (11, "step 'orphan' is never reached from start 'plug'") in messages


def test_duplicate_option_and_intent_claims_are_errors(tmp_path):
    broken = GOOD.replace("{id: still, label: {zh: 不行, en: No}, next: escalate, intents: [deny]}",
                          "{id: done, label: {zh: 不行, en: No}, next: escalate, intents: [affirm]}")
    messages = [e.message for e in errors_of(tmp_path, broken)]
    assert any("option id 'done' is used twice" in m for m in messages)
    assert any("intent 'affirm' already means option 'done'" in m for m in messages)


def test_step_action_checks_name_outcomes_args_and_placeholders(tmp_path):
    text = GOOD.replace("start: plug", "start: find").replace("steps:\n", textwrap.dedent("""\
        steps:
          find:
            action: lookup_device_model
            args: {colour: red}
            branches: {found: plug}
        """)).replace("en: Is it plugged in}", "en: 'Is {device_model} plugged in {serial}'}")
    messages = [e.message for e in errors_of(tmp_path, text)]
    assert any("branches must say where outcome 'not_found'" in m for m in messages)
    assert any("takes no argument 'colour'" in m for m in messages)
    assert any("placeholder '{serial}'" in m for m in messages)
    assert not any("{device_model}" in m for m in messages)
    unknown = GOOD.replace("start: plug", "start: find").replace("steps:\n", "steps:\n  find:\n"
                                                                   "    action: read_minds\n    branches: {yes: plug}\n")
    (error,) = errors_of(tmp_path, unknown)
    assert error.line == 7 and "unknown step action 'read_minds'" in error.message


def test_an_endless_loop_is_an_error(tmp_path):
    text = GOOD.replace("next: escalate", "next: again") + textwrap.indent(textwrap.dedent("""\
        again:
          prompt: {zh: 再试, en: again}
          options:
            - {id: loop, label: {zh: 再来, en: again}, next: again}
        """), "  ")
    messages = [e.message for e in errors_of(tmp_path, text)]
    assert "step 'again' can never reach an end (endless loop)" in messages


def test_bad_regex_and_bad_media_url(tmp_path):
    text = GOOD.replace("intents: [affirm]}", "intents: [affirm], patterns: {en: ['(unclosed']}}").replace(
        "  plug:\n", "  plug:\n    media: {type: image, url: 'http://insecure.example/x.png'}\n")
    messages = [(e.line, e.message) for e in errors_of(tmp_path, text)]
    assert any(line == 7 and "does not match '^https://'" in m for line, m in messages)


def test_validate_script_prints_file_line_and_fails(tmp_path, capsys):
    write(tmp_path, GOOD, "kettle.yml")
    write(tmp_path, GOOD.replace("id: kettle", "id: kettle2").replace("troubleshoot_kettle", "troubleshoot_router")
          .replace("start: plug", "start: plugg"), "broken.yml")
    code = main(["--flows", str(tmp_path), "--domain", str(ROOT / "domain.yml"), "--stories", str(tmp_path / "no-stories")])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{tmp_path / 'broken.yml'}:4: start step 'plugg' is not defined under steps" in err
    assert f"{tmp_path / 'kettle.yml'}:2: trigger intent 'troubleshoot_kettle' is not an intent in domain.yml" in err


def test_duplicate_trigger_across_files(tmp_path):
    write(tmp_path, GOOD, "a.yml")
    write(tmp_path, GOOD.replace("id: kettle", "id: other"), "b.yml")
    flows, errors = load_dir(tmp_path)
    assert list(flows) == ["kettle"]
    assert errors[0].line == 2 and "already starts flow 'kettle'" in errors[0].message
