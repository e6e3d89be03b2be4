"""Errors in a flow file, each with the line it is about (`file:line: message`).

ruamel.yaml's round-trip loader keeps the line of every key and list item; the loader and the
validator both report through these.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence


@dataclass(frozen=True)
class FlowError:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class FlowFileError(ValueError):
    def __init__(self, errors: Sequence[FlowError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


# --- line numbers ---------------------------------------------------------------------

def node_line(node: Any, default: int = 1) -> int:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else default


def line_at(root: Any, path: Iterable[Any]) -> int:
    """The 1-based line of the node at `path` (keys and list indexes) in a ruamel tree."""
    node, line = root, node_line(root)
    for part in path:
        lc = getattr(node, "lc", None)
        try:
            if isinstance(node, dict) and part in node:
                if lc is not None:
                    line = lc.key(part)[0] + 1
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                if lc is not None:
                    line = lc.item(part)[0] + 1
                node = node[part]
            else:
                break
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def path_text(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
