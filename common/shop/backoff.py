"""Exponential back-off with jitter, and when to give up."""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Backoff:
    base: float = 2.0  # seconds before the first retry
    factor: float = 2.0
    cap: float = 600.0  # never wait longer than this between tries
    max_attempts: int = 8  # then the row is dead-lettered
    jitter: float = 0.2  # +-20 %, so replicas that failed together do not retry together

    def delay(self, attempt: int, rand: Optional[random.Random] = None) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        raw = min(self.cap, self.base * self.factor ** max(0, attempt - 1))
        spread = (rand or random).uniform(-self.jitter, self.jitter)
        return max(0.0, min(self.cap, raw * (1 + spread)))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
