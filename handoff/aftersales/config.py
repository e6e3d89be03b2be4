"""handoff/cases.yml: departments, case kinds, their resolution SLA."""
from __future__ import annotations

import os
from functools import lru_cache
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, Optional

import yaml

from handoff.config import PACKAGE_DIR

STATUSES = ("open", "waiting_shop", "waiting_carrier", "waiting_customer", "resolved")
PRIORITIES = ("low", "normal", "high")


@dataclass(frozen=True)
class KindRule:
    department: str
    sla_hours: float


@dataclass(frozen=True)
class CaseConfig:
    departments: Dict[str, Dict[str, str]]
    kinds: Dict[str, KindRule]
    high_priority_factor: float = 0.5
    fallback: KindRule = field(default_factory=lambda: KindRule("after_sales", 72))

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "CaseConfig":
        path = path or Path(os.environ.get("HANDOFF_CASES_FILE") or PACKAGE_DIR / "cases.yml")
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        departments = {str(k): dict(v or {}) for k, v in (data.get("departments") or {}).items()}
        kinds = {}
        for name, rule in (data.get("kinds") or {}).items():
            if rule["department"] not in departments:
                raise ValueError(f"{path}: kind {name} names unknown department "
                                 f"{rule['department']}")
            kinds[str(name)] = KindRule(str(rule["department"]), float(rule["sla_hours"]))
        factor = float(data.get("high_priority_factor", 0.5))
        if not departments or not 0 < factor <= 1:
            raise ValueError(f"{path}: needs departments and 0 < high_priority_factor <= 1")
        fallback = KindRule(next(iter(departments)), 72)
        return cls(departments, kinds, factor, fallback)

    def rule(self, kind: str) -> KindRule:
        return self.kinds.get(kind, self.fallback)

    def department_for(self, kind: str) -> str:
        return self.rule(kind).department

    def due_at(self, kind: str, priority: str, opened_at: datetime) -> datetime:
        """When the case must be resolved: its kind's hours, shortened for high priority."""
        hours = self.rule(kind).sla_hours
        if priority == "high":
            hours *= self.high_priority_factor
        return opened_at + timedelta(hours=hours)

    def label(self, department: str, lang: str) -> str:
        return (self.departments.get(department) or {}).get(lang, department)


@lru_cache(maxsize=1)
def cases_config() -> CaseConfig:
    """The service's configuration, read once (restart to change it)."""
    return CaseConfig.load()
