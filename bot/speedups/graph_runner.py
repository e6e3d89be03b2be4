"""Rasa's model graph run in a precomputed order instead of a new dask graph per run.

Every parse and every action prediction goes through `DaskGraphRunner.run`, which on each
call recomputes the minimal schema of the targets (a recursive walk), builds a dask graph,
lets dask order it (`dask.order`) and runs it through dask's threaded-scheduler machinery
with one worker (futures, locks, per-task bookkeeping). For one schema and one set of
targets and input names, all of that comes out the same every time: only the data differ.

So the plan is made once per (targets, input names), by letting dask itself run a stand-in
graph of the same shape and recording the order it calls the nodes in; later runs call the
same `GraphNode`s in that order with the same arguments dask would pass (`(name, output)`
tuples of the needed nodes, a need that is no node passed as its bare name), drop an
output once its last consumer has run (as dask frees memory), and return the targets'
outputs. Hooks, `GraphNode` errors and the `GraphRunError` for a `RuntimeError` or for an
input value naming a node are those of Rasa. Anything unusual (a target that is no node,
a cycle, targets given as a non-list, active dask callbacks) goes to Rasa's own `run`.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text, Tuple

import dask
from dask.callbacks import Callback
from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

from bot.speedups.patching import Patches

# Rasa's own logger, so debug lines come out under the same name as before.
logger = logging.getLogger("rasa.engine.runner.dask")

_RASA_RUN = DaskGraphRunner.run
_PLANS = "_frontline_run_plans"
_FALLBACK = object()  # a plan of this shape is left to dask on every run


class _Plan:
    """What one run of a given shape does: the nodes in dask's order and what each needs."""

    __slots__ = ("steps", "targets", "node_names")

    def __init__(self, steps: List[Tuple[Text, tuple, tuple]], targets: List[Text],
                 node_names: frozenset) -> None:
        # steps: (node name, its arguments as (is_key, key or literal), keys to free after it);
        # node_names: the schema's nodes for these targets, which no input value may name
        self.steps = steps
        self.targets = targets
        self.node_names = node_names


def _graph_shape(runner: DaskGraphRunner, run_targets: List[Text],
                 input_names: Tuple[Text, ...]) -> Dict[Text, Any]:
    """The dask graph Rasa would build, with the nodes' `needs` but no callables yet."""
    minimal = runner._graph_schema.minimal_graph_schema(run_targets)
    graph: Dict[Text, Any] = {name: tuple(node.needs.values()) for name, node in minimal.nodes.items()}
    for name in input_names:
        graph[name] = None  # an input is data: it replaces a node of the same name, as in Rasa
    return graph


def _make_plan(runner: DaskGraphRunner, run_targets: List[Text],
               input_names: Tuple[Text, ...]) -> Any:
    shape = _graph_shape(runner, run_targets, input_names)
    called: List[Text] = []

    def recorder(name: Text) -> Any:
        def call(*_: Any) -> Tuple[Text, None]:
            called.append(name)
            return name, None
        return call

    stand_in = {
        name: ((name, None) if needs is None else (recorder(name), *needs))
        for name, needs in shape.items()
    }
    try:
        dask.get(stand_in, run_targets)
    except Exception:  # noqa: BLE001 - Rasa's run raises whatever this is, on every call
        return _FALLBACK
    keys = frozenset(shape)
    resolved = {
        name: tuple((need in keys, need) if _hashable(need) else (False, need) for need in needs)
        for name, needs in shape.items() if needs is not None
    }
    last_use: Dict[Text, int] = {}
    for index, name in enumerate(called):
        for is_key, need in resolved[name]:
            if is_key:
                last_use[need] = index
    kept = set(run_targets)
    frees: List[List[Text]] = [[] for _ in called]
    for key, index in last_use.items():
        if key not in kept:
            frees[index].append(key)
    steps = [(name, resolved[name], tuple(frees[i])) for i, name in enumerate(called)]
    node_names = frozenset(runner._graph_schema.minimal_graph_schema(run_targets).nodes)
    return _Plan(steps, list(run_targets), node_names)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def run(self: DaskGraphRunner, inputs: Optional[Dict[Text, Any]] = None,
        targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
    """Runs the graph (see `GraphRunner.run`): what Rasa's dask run returns and raises."""
    run_targets = targets if targets else self._graph_schema.target_names
    if not isinstance(run_targets, list) or Callback.active:
        return _RASA_RUN(self, inputs, targets)
    input_names = tuple(inputs) if inputs else ()
    plans = self.__dict__.get(_PLANS)
    if plans is None or plans[0] is not self._graph_schema:
        plans = (self._graph_schema, {})
        self.__dict__[_PLANS] = plans
    key = (tuple(run_targets), input_names)
    plan = plans[1].get(key)
    if plan is None:
        plan = plans[1][key] = _make_plan(self, run_targets, input_names)
    if plan is _FALLBACK:
        return _RASA_RUN(self, inputs, targets)

    results: Dict[Text, Any] = {}
    if inputs:
        taken = set(plan.node_names)
        for input_name, input_value in inputs.items():
            if isinstance(input_value, str) and input_value in taken:
                raise GraphRunError(
                    f"Input value '{input_value}' clashes with a node name. Make sure "
                    f"that none of the input names passed to the `run` method are the "
                    f"same as node names in the graph schema."
                )
            taken.add(input_name)
            results[input_name] = (input_name, input_value)

    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            f"Running graph with inputs: {inputs}, targets: {targets} "
            f"and {self._execution_context}."
        )

    nodes = self._instantiated_nodes
    try:
        for name, arguments, frees in plan.steps:
            results[name] = nodes[name](
                *[results[need] if is_key else need for is_key, need in arguments]
            )
            for key_to_free in frees:
                del results[key_to_free]
        return dict([results[target] for target in plan.targets])
    except RuntimeError as e:
        raise GraphRunError("Error running runner.") from e


# every Rasa model graph (parse, prediction, training) runs this way
PATCHES = Patches((DaskGraphRunner, "run", run))
install, uninstall = PATCHES.install, PATCHES.uninstall
