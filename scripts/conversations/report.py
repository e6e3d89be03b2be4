"""Pass rates per category and per language, and each failure with the turn that broke."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

from scripts.conversations.play import Result


def rates(results: List[Result], key: str) -> Dict[str, Tuple[int, int]]:
    """key ('category' or 'language') -> {value: (passed, total)}."""
    table: Dict[str, List[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        row = table[getattr(result.conversation, key)]
        row[0] += result.ok
        row[1] += 1
    return {k: (v[0], v[1]) for k, v in sorted(table.items())}


def pct(passed: int, total: int) -> float:
    return 100.0 * passed / total if total else 0.0


def failure_text(result: Result) -> str:
    conv = result.conversation
    lines = [f"- {conv.id} [{conv.category}/{conv.language}] ({conv.source})"]
    if result.error:
        lines.append(f"    error: {result.error}")
    broken = result.broken
    if broken is not None:
        lines.append(f"    turn {broken.number}: shopper: {broken.said}")
        lines.append(f"    intent: {broken.intent}   replies: {broken.names}")
        for text in broken.bot:
            lines.append(f"    bot: {text[:160]!r}")
        for problem in broken.problems:
            lines.append(f"    ✗ {problem}")
    return "\n".join(lines)


def render(results: List[Result]) -> str:
    out = ["# Conversation test set", ""]
    total = sum(r.ok for r in results), len(results)
    out.append(f"overall: {total[0]}/{total[1]} = {pct(*total):.1f} %")
    for key in ("language", "category"):
        out += ["", f"## per {key}", "", f"| {key} | passed | total | rate |", "|---|---|---|---|"]
        for value, (passed, count) in rates(results, key).items():
            out.append(f"| {value} | {passed} | {count} | {pct(passed, count):.1f} % |")
    failed = [r for r in results if not r.ok]
    out += ["", f"## failures ({len(failed)})", ""]
    out += [failure_text(r) for r in failed]
    return "\n".join(out) + "\n"


def write(results: List[Result], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.md").write_text(render(results), encoding="utf-8")
    data = [{"id": r.conversation.id, "category": r.conversation.category,
             "language": r.conversation.language, "ok": r.ok, "error": r.error,
             "turns": [{"turn": t.number, "said": t.said, "intent": t.intent, "bot": t.bot,
                        "replies": t.names, "problems": t.problems} for t in r.turns]}
            for r in results]
    (folder / "results.json").write_text(json.dumps(data, ensure_ascii=False, indent=1),
                                         encoding="utf-8")
