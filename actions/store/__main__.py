"""`python -m actions.store seed` | `python -m actions.store import FILE` | `... migrate`.

The database is STORE_URL (default sqlite:///var/shop.db); migrations run first.
"""
from __future__ import annotations

import argparse
import sys
from typing import List, Optional

from actions.store.db import get_engine, session_scope
from actions.store.demo import seed
from actions.store.importer import import_file


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actions.store")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="upgrade the schema to the newest revision")
    sub.add_parser("seed", help="load the demo shop (idempotent)")
    imp = sub.add_parser("import", help="import orders from a .jsonl or .csv file")
    imp.add_argument("file")
    args = parser.parse_args(argv)

    engine = get_engine()  # runs the migrations
    url = engine.url.render_as_string(hide_password=True)
    if args.command == "migrate":
        print(f"store at {url} is up to date")
        return 0
    if args.command == "seed":
        with session_scope(engine) as session:
            count = seed(session)
        print(f"seeded the demo shop into {url}: {count} orders")
        return 0
    with session_scope(engine) as session:
        report = import_file(session, args.file)
    for line in report.lines():
        print(line)
    # Exit 0 even with rejected lines: good lines are stored; 2 flags "look at the report".
    return 2 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
