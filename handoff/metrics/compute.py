"""Metrics of a history: pure functions, each one defined in docs/metrics.md."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, tzinfo
from typing import Any, Callable, Dict, Iterable, List, Optional

from handoff.metrics.history import Contact, History, Survey, TicketFact

METRIC_NAMES = ("contacts", "tickets", "fcr", "containment", "abandonment_rate",
                "transfer_rate", "first_response_s", "aht_s", "csat_bot", "csat_human", "nps",
                "ces")


def _ratio(part: int, whole: int) -> Optional[float]:
    return round(part / whole, 4) if whole else None


def _mean(values: Iterable[float]) -> Optional[float]:
    values = list(values)
    return round(statistics.fmean(values), 2) if values else None


def _follow_ups(contact: Contact, others: List[Contact], window: timedelta,
                same_issue: bool) -> bool:
    """Did the customer come back (on any channel) within the window after this contact?"""
    for other in others:
        if other is contact or other.customer != contact.customer:
            continue
        if not contact.started_at < other.started_at <= contact.ended_at + window:
            continue
        if not same_issue or contact.issue is None or other.issue is None \
                or other.issue == contact.issue:
            return True
    return False


def fcr(contacts: List[Contact], everyone: List[Contact], window: timedelta) -> Optional[float]:
    """Resolved contacts with no repeat contact on the same issue within the window."""
    resolved = [c for c in contacts if c.resolved]
    first = [c for c in resolved if not _follow_ups(c, everyone, window, same_issue=True)]
    return _ratio(len(first), len(resolved))


def containment(contacts: List[Contact], everyone: List[Contact],
                window: timedelta) -> Optional[float]:
    """Bot-resolved contacts not followed by any contact, over contacts not abandoned."""
    counted = [c for c in contacts if c.outcome != "abandoned"]
    contained = [c for c in counted if c.outcome == "bot_resolved"
                 and not _follow_ups(c, everyone, window, same_issue=False)]
    return _ratio(len(contained), len(counted))


def abandonment_rate(contacts: List[Contact]) -> Optional[float]:
    return _ratio(sum(c.outcome == "abandoned" for c in contacts), len(contacts))


def transfer_rate(contacts: List[Contact]) -> Optional[float]:
    return _ratio(sum(c.outcome == "handed_off" for c in contacts), len(contacts))


def transfer_by_reason(contacts: List[Contact], tickets: List[TicketFact]) -> Dict[str, float]:
    """Tickets per hand-over reason, over all contacts (a contact handed over twice counts
    under both reasons)."""
    reasons = Counter(t.reason for t in tickets)
    return {r: _ratio(n, len(contacts)) for r, n in sorted(reasons.items())} if contacts else {}


def first_response_s(tickets: List[TicketFact]) -> Optional[float]:
    """Mean seconds from the hand-over to the agent's first message."""
    return _mean((t.first_response_at - t.created_at).total_seconds()
                 for t in tickets if t.first_response_at)


def aht_s(tickets: List[TicketFact]) -> Optional[float]:
    """Mean seconds from claim to resolution over resolved tickets."""
    return _mean((t.resolved_at - t.claimed_at).total_seconds()
                 for t in tickets if t.resolved_at and t.claimed_at)


def csat_bot(contacts: List[Contact]) -> Optional[float]:
    return _mean(c.csat_bot for c in contacts
                 if c.outcome != "handed_off" and c.csat_bot is not None)


def csat_human(tickets: List[TicketFact]) -> Optional[float]:
    return _mean(t.csat for t in tickets if t.csat is not None)


def nps(surveys: List[Survey]) -> Optional[float]:
    """% promoters (9-10) minus % detractors (0-6), -100..100."""
    scores = [s.score for s in surveys if s.kind == "nps"]
    if not scores:
        return None
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    return round(100 * (promoters - detractors) / len(scores), 1)


def ces(surveys: List[Survey]) -> Optional[float]:
    return _mean(s.score for s in surveys if s.kind == "ces")


def figures(history: History, window: timedelta,
            everyone: Optional[List[Contact]] = None) -> Dict[str, Any]:
    """Every metric of a history; `everyone` is the population repeats are looked for in."""
    pool = everyone if everyone is not None else history.contacts
    c, t, s = history.contacts, history.tickets, history.surveys
    return {"contacts": len(c), "tickets": len(t), "fcr": fcr(c, pool, window),
            "containment": containment(c, pool, window), "abandonment_rate": abandonment_rate(c),
            "transfer_rate": transfer_rate(c), "transfer_by_reason": transfer_by_reason(c, t),
            "first_response_s": first_response_s(t), "aht_s": aht_s(t),
            "csat_bot": csat_bot(c), "csat_human": csat_human(t), "nps": nps(s), "ces": ces(s)}


def _group(history: History, window: timedelta, everyone: List[Contact],
           contact_key: Callable[[Contact], Optional[str]],
           ticket_key: Callable[[TicketFact], Optional[str]],
           survey_key: Callable[[Survey], Optional[str]]) -> List[Dict[str, Any]]:
    parts: Dict[str, History] = defaultdict(History)
    for contact in history.contacts:
        if (key := contact_key(contact)) is not None:
            parts[key].contacts.append(contact)
    for ticket in history.tickets:
        if (key := ticket_key(ticket)) is not None:
            parts[key].tickets.append(ticket)
    for survey in history.surveys:
        if (key := survey_key(survey)) is not None:
            parts[key].surveys.append(survey)
    return [{"key": key, **figures(part, window, everyone)}
            for key, part in sorted(parts.items())]


def report(history: History, window: timedelta, tz: tzinfo,
           later: Iterable[Contact] = ()) -> Dict[str, Any]:
    """Totals plus breakdowns per agent, queue, channel and day (in the shop's time zone).

    `later`: contacts after the period, where repeats of the period's contacts are found.
    """
    def day(at: datetime) -> str:
        return at.astimezone(tz).date().isoformat()
    everyone = list(history.contacts) + list(later)
    none = (lambda _x: None)
    return {
        **figures(history, window, everyone),
        "repeat_window_hours": window.total_seconds() / 3600,
        # An agent's and a queue's figures are their tickets' (contacts belong to no agent).
        "by_agent": _group(history, window, everyone, none, lambda t: t.agent, none),
        "by_queue": _group(history, window, everyone, none, lambda t: t.queue, none),
        "by_channel": _group(history, window, everyone, lambda c: c.channel,
                             lambda t: t.channel, lambda s: s.channel),
        "by_day": _group(history, window, everyone, lambda c: day(c.started_at),
                         lambda t: day(t.created_at), lambda s: day(s.at)),
    }
