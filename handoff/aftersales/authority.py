"""The compensation authorization matrix (handoff/compensation.yml) and its decision.

Pure: the caller counts the grants already given; `decide` says whether the agent may grant
at once, needs a supervisor, or whether nobody may grant it from the console.
"""
from __future__ import annotations

import os
from functools import lru_cache
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Dict, Optional, Tuple

import yaml

from handoff.config import PACKAGE_DIR

GRANT = "grant"          # within the agent's own limit
APPROVAL = "approval"    # above it, within a supervisor's
REFUSED = "refused"      # above every limit


@dataclass(frozen=True)
class Limit:
    amount: Decimal
    per_order: int
    per_customer_month: int


@dataclass(frozen=True)
class Counts:
    """Grants of the same kind already given (or awaiting approval)."""
    order: int = 0
    customer_month: int = 0


@dataclass(frozen=True)
class Decision:
    outcome: str
    why: str = ""  # which limit was exceeded, for the audit and the console


@dataclass(frozen=True)
class Matrix:
    default_level: str
    kinds: Tuple[str, ...]
    reasons: Tuple[str, ...]
    limits: Dict[str, Dict[str, Dict[str, Limit]]]

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "Matrix":
        path = path or Path(os.environ.get("HANDOFF_COMPENSATION_FILE")
                            or PACKAGE_DIR / "compensation.yml")
        return cls.parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})

    @classmethod
    def parse(cls, data: Dict) -> "Matrix":
        kinds = tuple(data.get("kinds") or ())
        limits: Dict[str, Dict[str, Dict[str, Limit]]] = {}
        for level, rows in (data.get("limits") or {}).items():
            limits[str(level)] = {}
            for reason, by_kind in (rows or {}).items():
                row = {}
                for kind, spec in (by_kind or {}).items():
                    if kind not in kinds:
                        raise ValueError(f"limits.{level}.{reason}: unknown kind {kind}")
                    row[kind] = Limit(Decimal(str(spec["amount"])), int(spec["per_order"]),
                                      int(spec["per_customer_month"]))
                limits[str(level)][str(reason)] = row
        if "supervisor" not in limits:
            raise ValueError("the matrix needs a 'supervisor' level (approvals)")
        default = str(data.get("default_level") or "junior")
        if default not in limits:
            raise ValueError(f"default_level {default} has no limits")
        return cls(default, kinds, tuple(data.get("reasons") or ()), limits)

    def level_of(self, role: str, level: Optional[str]) -> str:
        if level and level in self.limits:
            return level
        return "supervisor" if role == "supervisor" else self.default_level

    def limit(self, level: str, reason: str, kind: str) -> Optional[Limit]:
        rows = self.limits.get(level) or {}
        row = rows.get(reason, rows.get("*")) or {}
        return row.get(kind)

    def within(self, level: str, reason: str, kind: str, amount: Decimal,
               counts: Counts) -> Tuple[bool, str]:
        limit = self.limit(level, reason, kind)
        if limit is None:
            return False, f"{kind} for {reason} is not allowed at level {level}"
        if amount > limit.amount:
            return False, f"amount {amount} above the {level} limit {limit.amount}"
        if counts.order >= limit.per_order:
            return False, f"order already has {counts.order} {kind} (limit {limit.per_order})"
        if counts.customer_month >= limit.per_customer_month:
            return False, (f"customer already had {counts.customer_month} {kind} this month "
                           f"(limit {limit.per_customer_month})")
        return True, ""

    def decide(self, level: str, reason: str, kind: str, amount: Decimal,
               counts: Counts) -> Decision:
        if kind not in self.kinds:
            raise ValueError(f"kind must be one of {self.kinds}")
        if self.reasons and reason not in self.reasons:
            raise ValueError(f"reason must be one of {self.reasons}")
        if amount <= 0:
            raise ValueError("amount must be positive")
        ok, why = self.within(level, reason, kind, amount, counts)
        if ok:
            return Decision(GRANT)
        if level != "supervisor" and self.within("supervisor", reason, kind, amount, counts)[0]:
            return Decision(APPROVAL, why)
        return Decision(REFUSED, why)


@lru_cache(maxsize=1)
def matrix() -> Matrix:
    """The service's matrix, read once (restart to change it)."""
    return Matrix.load()
