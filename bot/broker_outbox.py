"""A local, durable, ordered outbox for the event broker: events that could not reach Redis.

One SQLite file (WAL, synchronous=FULL) per Redis stream, so a restart of the Rasa server while
Redis is down loses nothing: the broker drains the file, oldest first, once Redis is back.
Used from the broker's writer thread only. The Rasa server's Sanic workers share the file:
SQLite serialises their writes, and `drain_head` holds the write lock while it sends, so two
workers never send the same events.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Callable, Dict, List, Tuple

Fields = Dict[str, str]


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # timeout: how long a worker waits while another one drains (sends ≤ 200 events)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False,
                                  timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.execute("CREATE TABLE IF NOT EXISTS outbox (id INTEGER PRIMARY KEY "
                        "AUTOINCREMENT, body TEXT NOT NULL, sig TEXT NOT NULL)")

    def extend(self, entries: List[Fields]) -> None:
        with self.db:
            self.db.executemany("INSERT INTO outbox (body, sig) VALUES (?, ?)",
                                [(e["json"], e["sig"]) for e in entries])

    def head(self, limit: int = 200) -> List[Tuple[int, Fields]]:
        rows = self.db.execute("SELECT id, body, sig FROM outbox ORDER BY id LIMIT ?", (limit,))
        return [(row[0], {"json": row[1], "sig": row[2]}) for row in rows]

    def drain_head(self, limit: int, send: Callable[[List[Tuple[int, Fields]]], bool]) -> bool:
        """Send the oldest entries and remove them, under the write lock (another worker waits
        and then sees what is left); False when there was nothing to send or sending failed."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            rows = self.head(limit)
            sent = bool(rows) and send(rows)
            if sent:
                self.db.execute("DELETE FROM outbox WHERE id <= ?", (rows[-1][0],))
        finally:
            self.db.execute("COMMIT")
        return sent

    def any(self) -> bool:
        """Whether anything waits: one index probe, not a count of the table."""
        return self.db.execute("SELECT EXISTS (SELECT 1 FROM outbox)").fetchone()[0] == 1

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        self.db.close()
