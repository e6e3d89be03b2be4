"""Agent accounts and sessions: bcrypt password hashes, opaque bearer tokens (stored hashed).

The operators' command line over these is `python -m handoff.accounts` (add, list, passwd,
disable, enable, queues, unlock).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Dict, Iterable, Optional, Tuple

import bcrypt
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from common.ticket import utcnow
from handoff import queues as queue_config
from handoff.db import Agent, AgentSession

ROLES = ("agent", "designer", "supervisor")
# Who may review conversations and change the training data: supervisors have every right a
# designer has.
DESIGNER_ROLES = ("designer", "supervisor")


def can_design(agent: Agent) -> bool:
    return agent.role in DESIGNER_ROLES


def hash_password(password: str) -> str:
    if len(password.encode()) > 72:  # bcrypt's limit: refuse rather than truncate silently
        raise ValueError("password longer than 72 bytes")
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=12)).decode()


def verify_password(password: str, hashed: str) -> bool:
    try:
        return bcrypt.checkpw(password.encode()[:72], hashed.encode())
    except ValueError:
        return False


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def agent_view(agent: Agent) -> dict:
    return {"id": agent.id, "username": agent.username, "display_name": agent.display_name,
            "role": agent.role, "queues": list(agent.queues or []),
            "languages": list(agent.languages or [])}


def create_agent(db: Session, username: str, password: str, display_name: Optional[str] = None,
                 role: str = "agent", queues: Optional[Iterable[str]] = None,
                 languages: Iterable[str] = ("zh", "en")) -> Agent:
    """`queues`: default every queue of the routing file (handoff.queues)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    queues = list(queues if queues is not None else queue_config.configured())
    bad = queue_config.unknown(queues)
    if bad:
        raise ValueError(f"unknown queues {bad}")
    agent = Agent(username=username, display_name=display_name or username,
                  password_hash=hash_password(password), role=role, queues=queues,
                  languages=list(languages), is_active=True, created_at=utcnow())
    db.add(agent)
    db.flush()
    return agent


# A constant hash to compare against when the user does not exist: same timing either way.
_DUMMY_HASH = bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(rounds=12)).decode()


def login(db: Session, username: str, password: str, hours: float) -> Optional[tuple]:
    """(token, agent) when the credentials are right, else None."""
    agent = db.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()
    if agent is None or not agent.is_active:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, agent.password_hash):
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.add(AgentSession(token_hash=_token_hash(token), agent_id=agent.id, created_at=now,
                        expires_at=now + timedelta(hours=hours), revoked=False))
    agent.last_seen_at = now
    return token, agent


def authenticate(db: Session, token: Optional[str]) -> Optional[Agent]:
    if not token:
        return None
    row = db.get(AgentSession, _token_hash(token))
    if row is None or row.revoked or row.expires_at <= utcnow():
        return None
    agent = db.get(Agent, row.agent_id)
    return agent if agent is not None and agent.is_active else None


def session_key(token: str) -> str:
    """How a session is known outside this module (e.g. by the live sockets): its token's hash."""
    return _token_hash(token)


def live_sessions(db: Session, keys: Iterable[str]) -> Dict[str, Tuple[str, frozenset]]:
    """(role, queues) of the agent behind each session that is still valid; ended ones absent."""
    keys = list(set(keys))
    if not keys:
        return {}
    rows = db.execute(select(AgentSession, Agent).join(Agent, Agent.id == AgentSession.agent_id)
                      .where(AgentSession.token_hash.in_(keys))).all()
    now = utcnow()
    return {row.token_hash: (agent.role, frozenset(agent.queues or []))
            for row, agent in rows
            if not row.revoked and row.expires_at > now and agent.is_active}


def logout(db: Session, token: str) -> None:
    db.execute(update(AgentSession).where(AgentSession.token_hash == _token_hash(token))
               .values(revoked=True))
