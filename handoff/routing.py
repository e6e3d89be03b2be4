"""Routing to a queue, priority and SLA, from handoff/routing.yml; shop hours from data/shop.yml."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo

import yaml

from common import policy  # one file for the shop's hours, shared with the bot
from common.ticket import QUEUES, Ticket


@dataclass(frozen=True)
class Routing:
    rules: Dict[str, Any]
    tz: ZoneInfo

    @classmethod
    def load(cls, path: Path, timezone: str = "Asia/Shanghai") -> "Routing":
        with open(path, encoding="utf-8") as handle:
            rules = yaml.safe_load(handle) or {}
        unknown = set(rules.get("queues", {})) - set(QUEUES)
        if unknown:
            raise ValueError(f"{path}: unknown queues {sorted(unknown)}")
        return cls(rules=rules, tz=ZoneInfo(timezone))

    # -- queue ---------------------------------------------------------------------------
    def queue_for(self, ticket: Ticket) -> str:
        queues: Dict[str, Any] = self.rules.get("queues", {})
        by_trigger = (self.rules.get("triggers") or {}).get(ticket.trigger)
        if by_trigger:
            return by_trigger
        intents = [ticket.top_intent.name] if ticket.top_intent else []
        # The most recent meaningful intent decides when the top one is glue (request_human...).
        intents += [i.name for i in reversed(ticket.intent_history)]
        for name in intents:
            for queue, spec in queues.items():
                if name in (spec.get("intents") or []):
                    return queue
        for step in ticket.flow_steps:
            for queue, spec in queues.items():
                prefix = spec.get("flows_prefix")
                if prefix and str(step.flow).startswith(prefix):
                    return queue
        return self.rules.get("default_queue", "general")

    def sla_minutes(self, queue: str, priority: int) -> float:
        base = float(self.rules["queues"].get(queue, {}).get("sla_minutes", 30))
        factor = (self.rules["priority"].get("sla_factor") or {}).get(priority, 1.0)
        return base * float(factor)

    # -- priority ------------------------------------------------------------------------
    def priority_score(self, ticket: Ticket, expected_wait: float, queue: str) -> float:
        p = self.rules.get("priority", {})
        score = 0.0
        emotion = ticket.emotion
        if emotion is not None:
            labels = {emotion.current, emotion.peak}
            score += max((p.get("emotion", {}).get(lbl, 0) for lbl in labels if lbl), default=0)
            score += float(p.get("negative_share", 0)) * float(emotion.negative_share or 0)
            score += sum(p.get("risk_flags", {}).get(str(f), 0) for f in set(emotion.risk_flags))
        tier = (ticket.customer.tier if ticket.customer else None) or "regular"
        score += p.get("tier", {}).get(tier, 0)
        amount = ticket.order.amount if ticket.order else None
        if amount is not None:
            for rule in p.get("order_value", []):
                if float(amount) >= float(rule["min"]):
                    score += rule["points"]
                    break
        score += p.get("trigger", {}).get(ticket.trigger, 0)
        base_sla = float(self.rules["queues"].get(queue, {}).get("sla_minutes", 30))
        if expected_wait > base_sla:
            score += p.get("sla_risk", 0)
        return score

    def level_for(self, score: float) -> int:
        for level in self.rules["priority"]["levels"]:
            if score >= level["min"]:
                return int(level["priority"])
        return 4

    def expected_wait(self, position: int, agents_online: int) -> float:
        agents = agents_online or int(self.rules.get("assumed_agents_when_none_online", 1))
        return position * float(self.rules.get("handle_minutes", 6)) / max(agents, 1)

    def escalated(self, priority: int) -> int:
        step = int(self.rules.get("escalation", {}).get("breach_priority_step", 1))
        return max(1, priority - step)

    # -- hours ---------------------------------------------------------------------------
    def hours(self) -> Tuple[time, Optional[time]]:
        """(opening, closing) in the shop's time zone; closing None means "24:00", midnight."""
        open_at = str(policy.get("hours.open", "09:00"))
        close_at = str(policy.get("hours.close", "22:00"))
        closes = None if close_at in ("24:00", "24:00:00") else time.fromisoformat(close_at)
        return time.fromisoformat(open_at), closes

    def open_state(self, now: datetime) -> Tuple[bool, Optional[datetime]]:
        """(open now?, when humans are back if closed) in the shop's time zone."""
        local = now.astimezone(self.tz)
        opens, closes = self.hours()
        if opens <= local.time() and (closes is None or local.time() < closes):
            return True, None
        day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
        return False, datetime.combine(day, opens, tzinfo=self.tz)

    def sla_due(self, now: datetime, queue: str, priority: int) -> datetime:
        is_open, opens_at = self.open_state(now)
        start = now if is_open or opens_at is None else opens_at
        return start + timedelta(minutes=self.sla_minutes(queue, priority))
