"""Print Frontline's package-level import graph and check its two rules.

Rules (exit status 1 when broken):
- the processes' packages (`bot`, `actions`, `handoff`, `web`) never import each other: what crosses a
  process boundary lives in `common`, and `common` imports none of them;
- no import cycle between modules, counting imports inside functions too (an import hidden in a
  function still makes the two modules depend on each other).

Imports under `if TYPE_CHECKING:` are ignored: they never run.

    python -m scripts.import_graph            # graph, then violations
    python -m scripts.import_graph --mermaid  # the graph as a mermaid block (docs/architecture.md)
    python -m scripts.import_graph --inline   # also list project imports made inside functions
"""
from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# every top-level package of the project; tests are left out (they may import anything)
PACKAGES = ("common", "bot", "actions", "handoff", "web", "tools", "scripts", "bench")
# each of these runs in a process of its own, or is loaded by one, and must not import the others
PROCESSES = ("bot", "actions", "handoff", "web")


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported project module, dotted
    line: int
    inline: bool  # made inside a function or method


@dataclass
class Graph:
    modules: dict[str, Path] = field(default_factory=dict)
    imports: list[Import] = field(default_factory=list)

    def module_edges(self) -> dict[str, set[str]]:
        edges: dict[str, set[str]] = defaultdict(set)
        for imp in self.imports:
            if imp.source != imp.target:
                edges[imp.source].add(imp.target)
        return edges


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def discover(root: Path, packages: tuple[str, ...] = PACKAGES) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages:
        base = root / package
        if not (base / "__init__.py").exists():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:  # alembic scripts, loaded by path, not imported
                continue
            modules[module_name(path, root)] = path
    return modules


def _resolve_relative(source: str, is_package: bool, level: int, module: str | None) -> str:
    parts = source.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


class _Collector(ast.NodeVisitor):
    def __init__(self, source: str, is_package: bool, modules: dict[str, Path]):
        self.source, self.is_package, self.modules = source, is_package, modules
        self.depth = 0
        self.found: list[Import] = []

    def _known(self, name: str) -> str | None:
        # the longest prefix that is a project module: `a.b.func` -> `a.b`
        parts = name.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in self.modules:
                return candidate
            parts.pop()
        return None

    def _add(self, name: str, line: int) -> None:
        target = self._known(name)
        found = Import(self.source, target, line, self.depth > 0) if target is not None else None
        if found is not None and found not in self.found:  # `from a import b, c`: one import of a
            self.found.append(found)

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _visit_function(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = (_resolve_relative(self.source, self.is_package, node.level, node.module)
                if node.level else node.module or "")
        for alias in node.names:
            # `from pkg import mod` imports the module pkg.mod; `from mod import name` imports mod
            self._add(f"{base}.{alias.name}" if alias.name != "*" else base, node.lineno)


def build(root: Path = ROOT, packages: tuple[str, ...] = PACKAGES) -> Graph:
    graph = Graph(modules=discover(root, packages))
    for name, path in graph.modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        collector = _Collector(name, path.name == "__init__.py", graph.modules)
        collector.visit(tree)
        graph.imports.extend(collector.found)
    return graph


def package_of(module: str) -> str:
    """The node a module belongs to in the package graph: top-level package plus first subpackage."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 else parts[0]


def package_edges(graph: Graph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in graph.imports:
        a, b = package_of(imp.source), package_of(imp.target)
        if a != b:
            edges[a].add(b)
    return edges


def forbidden(graph: Graph) -> list[Import]:
    bad = []
    for imp in graph.imports:
        a, b = imp.source.split(".")[0], imp.target.split(".")[0]
        if a == b:
            continue
        if (a in PROCESSES and b in PROCESSES) or (a == "common" and b != "common"):
            bad.append(imp)
    return bad


def cycles(graph: Graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    edges = graph.module_edges()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def render_text(edges: dict[str, set[str]]) -> str:
    return "\n".join(f"{a} -> {', '.join(sorted(edges[a]))}" for a in sorted(edges))


def render_mermaid(edges: dict[str, set[str]]) -> str:
    def node(name: str) -> str:
        return name.replace(".", "_")
    lines = ["```mermaid", "graph LR"]
    for a in sorted(edges):
        for b in sorted(edges[a]):
            lines.append(f"  {node(a)}[{a}] --> {node(b)}[{b}]")
    lines.append("```")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="project checkout to read")
    parser.add_argument("--mermaid", action="store_true", help="print the graph as mermaid")
    parser.add_argument("--top", action="store_true", help="top-level packages only")
    parser.add_argument("--inline", action="store_true", help="list project imports inside functions")
    args = parser.parse_args(argv)

    graph = build(args.root)
    edges = package_edges(graph)
    if args.top:
        top: dict[str, set[str]] = defaultdict(set)
        for a, targets in edges.items():
            for b in targets:
                if a.split(".")[0] != b.split(".")[0]:
                    top[a.split(".")[0]].add(b.split(".")[0])
        edges = top
    print(render_mermaid(edges) if args.mermaid else render_text(edges))

    inline = [imp for imp in graph.imports if imp.inline]
    if args.inline:
        print(f"\nproject imports inside functions: {len(inline)}")
        for imp in inline:
            print(f"  {graph.modules[imp.source].relative_to(args.root)}:{imp.line} {imp.target}")

    bad, circles = forbidden(graph), cycles(graph)
    for imp in bad:
        print(f"forbidden: {graph.modules[imp.source].relative_to(args.root)}:{imp.line} "
              f"{imp.source} imports {imp.target}", file=sys.stderr)
    for circle in circles:
        print(f"cycle: {' <-> '.join(circle)}", file=sys.stderr)
    print(f"\n{len(graph.modules)} modules, {len(graph.imports)} project imports "
          f"({len(inline)} inside functions), {len(bad)} forbidden, {len(circles)} cycles")
    return 1 if bad or circles else 0


if __name__ == "__main__":
    sys.exit(main())
