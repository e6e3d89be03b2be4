"""A timestamp column that is always an aware UTC datetime, on every backend.

SQLite keeps no zone (it hands back naive datetimes even for `timezone=True` columns) and
PostgreSQL hands back the session's zone; this type stores UTC and always reads back UTC, so
no caller needs its own naive-to-UTC fix. Same DDL as `DateTime(timezone=True)`: no migration.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy.types import DateTime, TypeDecorator


def as_utc(value: Optional[datetime]) -> Optional[datetime]:
    """Naive values are taken as UTC (how this service has always stored them)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        return as_utc(value)

    def process_result_value(self, value: Optional[datetime], dialect: Any
                             ) -> Optional[datetime]:
        return as_utc(value)
