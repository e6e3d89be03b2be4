"""The queues tickets go to: the `queues:` of routing.yml, in file order.

routing.yml (HANDOFF_ROUTING_FILE) is their one definition: accounts, transfers, the console's
pickers and the OpenAPI document all read them from there. A running service uses the file
it loaded at start (`Service.routing.queues`); tools read it with `configured()`.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, Optional, Tuple

import yaml

from handoff.config import PACKAGE_DIR


def routing_file() -> Path:
    return Path(os.environ.get("HANDOFF_ROUTING_FILE") or PACKAGE_DIR / "routing.yml")


def names_of(rules: Dict[str, Any], where: str = "routing.yml") -> Tuple[str, ...]:
    """The queues of a routing document; refuses one whose defaults point elsewhere."""
    queues = tuple(str(q) for q in (rules.get("queues") or {}))
    if not queues:
        raise ValueError(f"{where}: no queues defined")
    targets = {"default_queue": [rules.get("default_queue", "general")],
               "triggers": list((rules.get("triggers") or {}).values())}
    for key, values in targets.items():
        unknown = sorted(set(map(str, values)) - set(queues))
        if unknown:
            raise ValueError(f"{where}: {key} names unknown queues {unknown}")
    return queues


@lru_cache(maxsize=8)
def _read(path: str, mtime: float) -> Tuple[str, ...]:
    with open(path, encoding="utf-8") as handle:
        return names_of(yaml.safe_load(handle) or {}, path)


def configured(path: Optional[Path] = None) -> Tuple[str, ...]:
    """The queue names of the routing file (re-read when the file changes)."""
    path = path or routing_file()
    return _read(str(path), path.stat().st_mtime)


def unknown(chosen: Iterable[str], known: Optional[Iterable[str]] = None) -> list:
    return sorted(set(chosen) - set(known if known is not None else configured()))
