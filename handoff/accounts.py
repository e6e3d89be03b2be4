"""The one accounts CLI of agents and supervisors: `python -m handoff.accounts COMMAND ...`.

Accounts live in the handoff service's agents table (handoff.agents owns the model, the
bcrypt hashing and the sessions). The password comes from HANDOFF_AGENT_PASSWORD or a prompt,
never from the command line (shell history, ps), and has at least 8 characters. Queues are
those of routing.yml (handoff.queues).
  add USERNAME [--name N] [--role agent|designer|supervisor] [--queues a,b] [--languages zh,en]
  (a designer reviews conversations and edits training data in the studio; a supervisor may too)
  list
  passwd USERNAME          set a new password and end the account's sessions
  disable USERNAME / enable USERNAME
  queues USERNAME a,b      set the queues an agent works (their open consoles reconnect with them)
  unlock USERNAME|ADDRESS  clear a console lock-out after failed logins (of a username, or of a
                           client address such as 203.0.113.7)
"""
from __future__ import annotations

import argparse
import asyncio
import getpass
import ipaddress
import os
from typing import List, Optional

from sqlalchemy import select, update

from handoff import agents
from handoff import queues as queue_config
from handoff.aftersales.authority import matrix
from handoff.bus import connect
from handoff.config import Settings
from handoff.db import Agent, AgentSession, make_engine, make_sessionmaker, migrate
from handoff.lockout import Lockout


def _password() -> str:
    password = os.environ.get("HANDOFF_AGENT_PASSWORD") or getpass.getpass("password: ")
    if len(password) < 8:
        raise SystemExit("the password must have at least 8 characters")
    return password


def _unlock(username: str) -> None:
    settings = Settings.from_env()

    async def run() -> None:
        redis = connect(settings.redis_url)
        lockout = Lockout(redis, settings.redis_prefix, 1, 1)
        try:
            ipaddress.ip_address(username)
            await lockout.clear_address(username)
        except ValueError:  # not an address: a username
            await lockout.clear(username)
        await redis.close()
    asyncio.run(run())


def main(argv: Optional[List[str]] = None) -> None:
    known = queue_config.configured()
    parser = argparse.ArgumentParser(prog="python -m handoff.accounts")
    sub = parser.add_subparsers(dest="cmd", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--name", default=None)
    add.add_argument("--role", default="agent", choices=agents.ROLES)
    add.add_argument("--queues", default=",".join(known))
    add.add_argument("--languages", default="zh,en")
    sub.add_parser("list", help="list accounts")
    for name in ("passwd", "disable", "enable", "unlock"):
        sub.add_parser(name).add_argument("username")
    queues = sub.add_parser("queues", help="set the queues an agent works")
    queues.add_argument("username")
    queues.add_argument("queues", help=f"comma list among {','.join(known)}")
    level = sub.add_parser("level", help="set an agent's compensation authority "
                           "(a level of handoff/compensation.yml)")
    level.add_argument("username")
    level.add_argument("level")
    args = parser.parse_args(argv)
    if args.cmd == "unlock":
        _unlock(args.username)
        print(f"unlocked {args.username}")
        return
    settings = Settings.from_env()
    engine = make_engine(settings.resolved_db_url)
    migrate(engine, settings.sqlite_path)
    with make_sessionmaker(engine).begin() as db:
        if args.cmd == "add":
            agent = agents.create_agent(db, args.username, _password(), args.name, args.role,
                                        [q for q in args.queues.split(",") if q],
                                        [x for x in args.languages.split(",") if x])
            print(f"created {agent.role} {agent.username} (id {agent.id}, queues "
                  f"{','.join(agent.queues)})")
            return
        if args.cmd == "list":
            for a in db.execute(select(Agent).order_by(Agent.id)).scalars():
                state = "" if a.is_active else " (disabled)"
                print(f"{a.id}\t{a.username}\t{a.role}\t{','.join(a.queues or [])}{state}")
            return
        agent = db.execute(select(Agent).where(Agent.username == args.username)).scalar_one_or_none()
        if agent is None:
            raise SystemExit(f"no account {args.username}")
        if args.cmd == "passwd":
            agent.password_hash = agents.hash_password(_password())
        elif args.cmd == "queues":
            chosen = [q for q in args.queues.split(",") if q]
            if queue_config.unknown(chosen, known):
                raise SystemExit(f"unknown queues {queue_config.unknown(chosen, known)}")
            agent.queues = chosen
        elif args.cmd == "level":
            if args.level not in matrix().limits:
                raise SystemExit(f"unknown level {args.level}: one of {sorted(matrix().limits)}")
            agent.level = args.level
        else:
            agent.is_active = args.cmd == "enable"
        if args.cmd in ("passwd", "disable"):  # a changed or disabled account: log it out
            db.execute(update(AgentSession).where(AgentSession.agent_id == agent.id)
                       .values(revoked=True))
        print(f"{args.cmd}: {agent.username}")
    engine.dispose()


if __name__ == "__main__":
    main()
