"""The precomputed graph run and the cheap `Domain.is_empty()` give exactly what Rasa's give.

On the trained model: every held-out text parses to the same result, and every prediction
point of every story gets the same policy prediction, with our runner and with dask's. On
small graphs: the same outputs, hook calls, skipped inputs and errors.
"""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any, Dict, List

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphNodeHook, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.core.training_data.story_reader.yaml_story_reader import YAMLStoryReader
from rasa.shared.exceptions import InvalidConfigException, RasaException

from bot.speedups import domain_empty, graph_runner

ROOT = Path(__file__).resolve().parents[2]
STORY_FILES = sorted((ROOT / "data" / "stories").glob("*.yml")) + [ROOT / "tests" / "test_stories.yml"]


@pytest.fixture()
def stock():
    """Rasa's own runner and is_empty for the block, ours again afterwards."""
    class Switch:
        def __enter__(self):
            graph_runner.uninstall()
            domain_empty.uninstall()

        def __exit__(self, *exc):
            graph_runner.install()
            domain_empty.install()
    graph_runner.install()
    domain_empty.install()
    yield Switch()
    graph_runner.install()
    domain_empty.install()


@pytest.fixture(scope="module")
def agent(trained_agent):
    return trained_agent


def holdout_texts() -> List[str]:
    from scripts.eval_nlu import load_holdout
    return [example.text for example in load_holdout(ROOT / "tests" / "nlu_holdout")]


def test_every_held_out_text_parses_the_same(agent, stock):
    texts = holdout_texts() + ["", "   ", "🙂🙂", "a" * 400, "订单 E202611180042 到哪了 where is it"]

    def parse_all() -> List[Dict[str, Any]]:
        return [asyncio.run(agent.parse_message(text)) for text in texts]

    ours = parse_all()
    with stock:
        assert DaskGraphRunner.run is not graph_runner.run
        theirs = parse_all()
    assert len(theirs) > 500
    assert ours == theirs


def prediction_points(domain: Domain) -> List[DialogueStateTracker]:
    """A tracker at every point of every story where the assistant predicts its next action."""
    trackers = []
    for path in STORY_FILES:
        for step in YAMLStoryReader(domain).read_from_file(str(path)):
            events = step.explicit_events(domain)
            for i, event in enumerate(events):
                if isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
                    trackers.append(DialogueStateTracker.from_events(
                        f"{path.stem}-{i}", events[:i], slots=domain.slots))
    return trackers


def test_every_story_prediction_is_the_same(agent, stock):
    processor = agent.processor
    # fresh trackers for each run: a prediction clears a tracker's follow-up action
    ours = [processor._predict_next_with_tracker(t) for t in prediction_points(processor.domain)]
    with stock:
        theirs = [processor._predict_next_with_tracker(t) for t in prediction_points(processor.domain)]
    assert len(ours) > 100
    assert ours == theirs
    assert len({p.max_confidence_index for p in ours}) > 5  # the stories exercise many actions


def test_the_runner_plans_once_per_shape(agent, monkeypatch):
    runner = agent.processor.graph_runner
    calls = []
    schema_type = type(runner._graph_schema)
    original = schema_type.minimal_graph_schema
    monkeypatch.setattr(schema_type, "minimal_graph_schema",
                        lambda self, targets=None: (calls.append(1), original(self, targets))[1])
    runner.__dict__.pop(graph_runner._PLANS, None)
    for text in ("hello", "where is my order", "你好"):
        asyncio.run(agent.parse_message(text))
    assert 0 < len(calls) <= 2  # made for the first message only


# --- small graphs: outputs, hooks, errors --------------------------------------------------
class Add(GraphComponent):
    @classmethod
    def create(cls, config, model_storage, resource, execution_context):
        return cls(config)

    def __init__(self, config: Dict[str, Any]) -> None:
        self.add = config.get("add", 1)
        self.fail = config.get("fail")

    def run(self, **values: Any) -> Any:
        if self.fail:
            raise self.fail("broken on purpose")
        return sum(values.values()) + self.add


class Recorder(GraphNodeHook):
    def __init__(self, log: List[Any], fail_on: str = "") -> None:
        self.log, self.fail_on = log, fail_on

    def on_before_node(self, node_name, execution_context, config, received_inputs):
        if node_name == self.fail_on:
            raise RuntimeError("hook failed")
        self.log.append(("before", node_name, dict(received_inputs)))
        return {"seen": node_name}

    def on_after_node(self, node_name, execution_context, config, output, input_hook_data):
        self.log.append(("after", node_name, output, input_hook_data))


def node(needs: Dict[str, str], target: bool = False, **config: Any) -> SchemaNode:
    return SchemaNode(needs=needs, uses=Add, fn="run", constructor_name="create",
                      config=config, is_target=target)


SCHEMA = GraphSchema({
    "a": node({"x": "__input__"}),
    "b": node({"x": "a"}, add=10),
    "c": node({"x": "a", "y": "b"}, add=100),
    "d": node({"x": "c"}, target=True),
    "side": node({"x": "a"}, target=True, add=1000),
    "unused": node({}, add=5),
})


def run_both(tmp_path, inputs, targets, schema=SCHEMA, fail_hook_on=""):
    """(result or exception, hook log) from our runner and from Rasa's, on fresh runners."""
    outcomes = []
    for runner_run in (graph_runner.run, graph_runner._RASA_RUN):
        log: List[Any] = []
        storage = LocalModelStorage(tmp_path / f"s{len(outcomes)}")
        runner = DaskGraphRunner(schema, storage, ExecutionContext(schema, "m"),
                                 [Recorder(log, fail_hook_on)])
        try:
            outcome: Any = runner_run(runner, inputs, targets)
            outcome = ("result", outcome, runner_run(runner, inputs, targets))  # again: the plan reused
        except Exception as e:  # noqa: BLE001 - the exception is what is compared
            outcome = ("error", type(e), str(e), type(e.__cause__))
        outcomes.append((outcome, log))
    return outcomes


@pytest.mark.parametrize("targets", [["d"], ["side", "d"], None, ["a", "a"], ["b"]])
def test_same_outputs_and_hook_calls_as_rasa(tmp_path, targets):
    ours, theirs = run_both(tmp_path, {"__input__": 1}, targets)
    assert ours == theirs
    assert ours[0][0] == "result" and ours[1]  # it ran, and the hooks saw it


def test_an_input_replaces_a_node_of_the_same_name(tmp_path):
    ours, theirs = run_both(tmp_path, {"__input__": 1, "b": 7}, ["c"])
    assert ours == theirs and ours[0][1] == {"c": (1 + 1) + 7 + 100}


def test_an_input_value_naming_a_node_is_refused(tmp_path):
    ours, theirs = run_both(tmp_path, {"__input__": "a"}, ["d"])
    assert ours == theirs and ours[0][:2] == ("error", GraphRunError)


def test_a_missing_input_is_reported_by_the_node(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        ours, theirs = run_both(tmp_path, None, ["d"])
    assert ours == theirs and ours[0][:2] == ("error", GraphRunError)
    assert "Missing input" in ours[0][2]
    assert sum("was not resolved" in r.message for r in caplog.records) == 2


@pytest.mark.parametrize("failure, raised", [(ValueError, GraphComponentException),
                                             (InvalidConfigException, InvalidConfigException)])
def test_component_errors_come_out_as_with_rasa(tmp_path, failure, raised):
    schema = GraphSchema({**SCHEMA.nodes, "b": node({"x": "a"}, fail=failure)})
    ours, theirs = run_both(tmp_path, {"__input__": 1}, ["d"], schema=schema)
    assert ours == theirs and ours[0][:2] == ("error", raised)


def test_a_failing_hook_fails_the_node_as_with_rasa(tmp_path):
    ours, theirs = run_both(tmp_path, {"__input__": 1}, ["d"], fail_hook_on="c")
    assert ours == theirs and ours[0][:2] == ("error", GraphComponentException)


class RasaRuntimeError(RasaException, RuntimeError):
    """A Rasa error that nodes let through and that is also a RuntimeError."""


def test_a_runtime_error_becomes_a_graph_run_error(tmp_path):
    schema = GraphSchema({**SCHEMA.nodes, "c": node({"x": "a", "y": "b"}, fail=RasaRuntimeError)})
    ours, theirs = run_both(tmp_path, {"__input__": 1}, ["d"], schema=schema)
    assert ours == theirs
    assert ours[0] == ("error", GraphRunError, "Error running runner.", RasaRuntimeError)


def test_an_unknown_target_fails_as_with_rasa(tmp_path):
    ours, theirs = run_both(tmp_path, {"__input__": 1}, ["nowhere"])
    assert ours == theirs and ours[0][0] == "error"


# --- Domain.is_empty --------------------------------------------------------------------------
@pytest.mark.parametrize("data", [{}, {"intents": ["greet"]}, {"slots": {}}, {"responses": {}},
                                  {"session_config": {"session_expiration_time": 5}}])
def test_is_empty_answers_as_rasa(data, stock):
    domain = Domain.from_dict(dict(data))
    ours = domain.is_empty()
    with stock:
        assert domain.is_empty() == ours


def test_is_empty_follows_the_real_domain_and_a_changed_one(stock):
    domain = Domain.load(str(ROOT / "domain.yml"))
    assert domain.is_empty() is False
    empty = Domain.empty()
    assert empty.is_empty() is True
    empty.as_dict()["intents"] = ["changed"]  # a caller changing the returned dict in place
    assert empty.is_empty() is False
    with stock:
        assert empty.is_empty() is False
    assert domain_empty.empty_domain_dict() == Domain.empty().as_dict()
