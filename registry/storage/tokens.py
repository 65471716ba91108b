"""API tokens: a recognisable prefix, stored as a hash, checked in constant time."""

from __future__ import annotations

import getpass
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from registry.storage.store import Store
from registry.storage.tables import audit_events, tokens

PREFIX = "rgt_"
SHAPE = re.compile(re.escape(PREFIX) + r"[0-9a-f]{8}_[A-Za-z0-9_-]+", re.ASCII)
ROLES = ("lead", "architect", "office", "admin")


class TokenError(Exception):
    """A token is missing, malformed, unknown, revoked or expired."""


@dataclass(frozen=True)
class Identity:
    """Who a request acts as: the token's id, name, role and organisations."""

    token_id: str
    name: str
    role: str
    organisations: tuple[str, ...]

    @property
    def actor(self) -> str:
        """Return the name recorded in revisions and audit events."""
        return f"{self.name} ({self.role}, token {self.token_id})"

    def can_write_catalogue(self) -> bool:
        """Return True for roles that curate the catalogue."""
        return self.role in ("architect", "admin")

    def can_write_project(self, owner: Any) -> bool:
        """Return True when the identity may write a project of this owner."""
        if self.role in ("office", "admin"):
            return True
        return self.role == "lead" and owner in self.organisations

    def can_read_audit(self) -> bool:
        """Return True for the Office and administrators."""
        return self.role in ("office", "admin")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _as_aware(value: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes; everything stored is UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def default_actor() -> str:
    """Return who runs a token command here: the operating-system user."""
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return "command line"


def _audit(connection: Connection, *, actor: str, action: str, token_id: str,
           at: datetime, detail: dict[str, Any]) -> None:
    # Tokens are who may write: creating or revoking one is audited like a write, in
    # the same transaction, so the trail never misses a token that exists.
    connection.execute(insert(audit_events).values(
        at=at, actor=actor[:200], action=action, kind="token", record_id=token_id,
        revision=None, detail=detail))


def create_token(store: Store, *, role: str, organisations: list[str], name: str,
                 expires_days: int | None = None, actor: str | None = None
                 ) -> tuple[str, dict[str, Any]]:
    """Create a token; return the secret (shown once) and its stored description."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")
    if role == "lead" and not organisations:
        raise ValueError("a lead token needs at least one organisation (--org)")
    token_id = secrets.token_hex(4)
    secret = f"{PREFIX}{token_id}_{secrets.token_urlsafe(32)}"
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=expires_days) if expires_days else None
    row = {"id": token_id, "hash": _hash(secret), "name": name, "role": role,
           "organisations": list(organisations), "created_at": now,
           "expires_at": expires_at,
           "revoked_at": None}
    with store.writing() as connection:
        connection.execute(insert(tokens).values(**row))
        _audit(connection, actor=actor or default_actor(), action="token.create",
               token_id=token_id, at=now,
               detail={"name": name, "role": role, "organisations": list(organisations),
                       "expires_at": expires_at.isoformat() if expires_at else None})
    return secret, {k: v for k, v in row.items() if k != "hash"}


def list_tokens(store: Store) -> list[dict[str, Any]]:
    """Return every token's description (never its secret or hash)."""
    with store.engine.connect() as connection:
        rows = connection.execute(select(tokens).order_by(tokens.c.created_at))
        return [{k: v for k, v in row._mapping.items() if k != "hash"} for row in rows]


def revoke_token(store: Store, token_id: str, actor: str | None = None) -> bool:
    """Revoke a token by id; return False when there is no such active token."""
    now = datetime.now(UTC)
    with store.writing() as connection:
        result = connection.execute(
            update(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now))
        if result.rowcount != 1:
            return False
        _audit(connection, actor=actor or default_actor(), action="token.revoke",
               token_id=token_id, at=now, detail={})
        return True


def authenticate(store: Store, secret: str) -> Identity:
    """Return the identity of a token secret, or raise TokenError saying why not."""
    # The shape secrets are made in (create_token), checked before any look-up: a NUL or
    # another character the database cannot take never reaches it.
    if len(secret) > 200 or not SHAPE.fullmatch(secret):
        raise TokenError("the token is malformed: registry tokens start with "
                         f"{PREFIX!r}; create one with `registry token create`")
    digest = _hash(secret)
    token_id = secret[len(PREFIX):].split("_", 1)[0]
    with store.reading() as connection:
        row = connection.execute(select(tokens).where(tokens.c.id == token_id)).first()
    # Compare the hashes in constant time so the answer's timing says nothing about
    # how much of a guessed secret was right.
    if row is None or not hmac.compare_digest(row.hash, digest):
        raise TokenError("the token is not known: check it, or create a new one")
    if row.revoked_at is not None:
        raise TokenError("the token was revoked: ask for a new one")
    expires = _as_aware(row.expires_at)
    if expires is not None and expires <= datetime.now(UTC):
        raise TokenError("the token has expired: ask for a new one")
    return Identity(row.id, row.name, row.role, tuple(row.organisations))
