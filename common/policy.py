"""The shop's policies, read from one editable YAML file (data/shop.yml).

Both the Rasa server (to fill answers) and the action server (to decide eligibility)
read the same file, so no number is typed twice.
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict

import yaml

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "shop.yml"


def policy_path() -> Path:
    return Path(os.environ.get("SHOP_POLICY_FILE", DEFAULT_PATH))


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the policy file must be a mapping")
    return data


def load_policy() -> Dict[str, Any]:
    """The policy as nested dicts; re-read when the file changes (keyed on mtime)."""
    path = policy_path()
    return _load(str(path), path.stat().st_mtime)


def flatten(data: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    """{'a': {'b': 1}} -> {'a.b': 1}; lists stay as values."""
    flat: Dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def template_values(language: str = "zh") -> Dict[str, Any]:
    """Values for response templates as `shop.<path>`.

    A leaf that is a {zh:, en:} pair resolves to the shopper's language, so
    `{shop.name}` works in both variants of a response.
    """
    values: Dict[str, Any] = {}
    for key, value in flatten(load_policy()).items():
        values[f"shop.{key}"] = value
    for key in [k for k in values if k.endswith(".zh") or k.endswith(".en")]:
        base, lang = key.rsplit(".", 1)
        if lang == language:
            values[base] = values[key]
        else:
            values.setdefault(base, values[key])
    return values


def get(path: str, default: Any = None) -> Any:
    """Look up a dotted path such as 'returns.no_reason_days'."""
    node: Any = load_policy()
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node
