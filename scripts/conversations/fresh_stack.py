"""A stack of its own for `make eval-conversations`, started the way the e2e tests start theirs:
the model trained if stale, free ports, a fresh PostgreSQL database and Redis key prefix (or
embedded SQLite + Redis with --embedded), agents on duty round the clock."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Iterator

import yaml

from common.policy import DEFAULT_PATH as SHOP_POLICY
from scripts.stack import ROOT, Ports, Stack

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _admin(sql: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    with engine.connect() as conn:
        conn.execute(sa.text(sql))
    engine.dispose()


@contextlib.contextmanager
def fresh_stack(embedded: bool = False) -> Iterator[Stack]:
    subprocess.run([sys.executable, "-m", "scripts.train"], cwd=ROOT, check=True)
    var = Path(tempfile.mkdtemp(prefix="frontline-conv-"))
    saved = dict(os.environ)
    policy = yaml.safe_load(SHOP_POLICY.read_text(encoding="utf-8"))
    policy["hours"].update({"open": "00:00", "close": "24:00"})
    (var / "shop.yml").write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    os.environ["SHOP_POLICY_FILE"] = str(var / "shop.yml")
    database, prefix = None, f"flconv:{uuid.uuid4().hex[:6]}:"
    if not embedded:
        database = f"frontline_conv_{uuid.uuid4().hex[:8]}"
        _admin(f'CREATE DATABASE "{database}"')
        url = f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{database}"
        os.environ.update(STORE_URL=url, HANDOFF_DB_URL=url, TRACKER_URL=url.replace("+psycopg2", ""),
                          REDIS_URL=REDIS_URL, REDIS_KEY_PREFIX=prefix)
    stack = Stack(ports=Ports(**{n: _free_port() for n in Ports.__dataclass_fields__}), var=var, quiet=True)
    try:
        stack.start()
    except Exception:
        for name in stack.procs:
            print(f"--- {name}.log ---\n{stack.log_tail(name, 60)}", file=sys.stderr)
        stack.stop()
        raise
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        yield stack
    finally:
        stack.stop()
        if database:
            _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            import redis

            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{prefix}*"):
                client.delete(key)
