"""The package import graph: processes never import each other, modules never import in a circle."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from scripts import import_graph

ROOT = Path(__file__).resolve().parents[2]


def write(root: Path, files: dict) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_project_has_no_forbidden_edge_no_cycle_and_imports_at_the_top():
    done = subprocess.run([sys.executable, "-m", "scripts.import_graph", "--inline"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "0 forbidden, 0 cycles" in done.stdout
    assert "(0 inside functions)" in done.stdout
    edges = dict(line.split(" -> ") for line in done.stdout.splitlines() if " -> " in line)
    for process in ("bot", "actions", "handoff", "web"):
        assert "common" in edges[process]
    assert "bot" not in edges["actions"] and "handoff" not in edges["actions"]


def test_forbidden_edges_and_hidden_cycles_are_found(tmp_path):
    write(tmp_path, {
        "common/__init__.py": "",
        "common/wire.py": "from bot import policy\n",  # common must import no process
        "bot/__init__.py": "",
        "bot/policy.py": "",
        "actions/__init__.py": "",
        "actions/a.py": "from actions import b\nfrom common import wire\n",
        # the circle hides inside a function, as the old flow loader's did
        "actions/b.py": "def f():\n    from actions.a import x\n",
        "actions/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from handoff import svc\n",
        "handoff/__init__.py": "",
        "handoff/svc.py": "from actions.sub.deep import thing\n",
        "actions/sub/__init__.py": "",
        "actions/sub/deep.py": "from ..a import y\n",  # relative imports resolve
    })
    graph = import_graph.build(tmp_path)
    bad = {(i.source, i.target) for i in import_graph.forbidden(graph)}
    assert bad == {("common.wire", "bot.policy"), ("handoff.svc", "actions.sub.deep")}
    assert import_graph.cycles(graph) == [["actions.a", "actions.b"]]
    assert [(i.source, i.target) for i in graph.imports if i.inline] == [("actions.b", "actions.a")]
    edges = import_graph.package_edges(graph)
    assert edges["actions.sub"] == {"actions"} and edges["handoff"] == {"actions.sub"}
    assert import_graph.main(["--root", str(tmp_path)]) == 1
