"""Signed-in browsers that survive a reload, a deep link and a second tab.

A sign-in opens a session and gives the browser a one-time *ticket*; the
browser trades the ticket (in a POST body, within a minute, once) for the
session *token*, which comes back only as an HttpOnly, SameSite=Strict
cookie (:mod:`gwmap.web`).  The store keeps the SHA-256 of each, never the
values, so any app process can serve the user and a copy of the database
opens no session.  A session ends after ``idle`` without a visit (default
2 hours), at its absolute limit (default 12 hours), at sign-out, when the
password changes, when the account is disabled, or when an administrator
ends it.  Sign-ins, sign-outs and revocations are in the audit trail.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from gwmap import clock
from gwmap.config import SessionLimits as Limits
from gwmap.store.audit import write_event
from gwmap.store.db import Store
from gwmap.store.models import User, UserSession
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = ["COOKIE", "Limits", "open_session", "redeem", "resolve", "alive", "revoke", "revoke_all",
           "active_sessions"]

#: The cookie that carries the token.
COOKIE = "gwmap_session"
TICKET_SECONDS = 60
#: A visit refreshes ``last_seen_at`` at most this often (a rerun per click must not write each time).
TOUCH_EVERY = timedelta(seconds=60)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(store: Store, user: CurrentUser, *, limits: Limits = Limits()) -> tuple[int, str]:
    """A new session for a user who has just proved who they are: (session id, one-time ticket)."""
    ticket = secrets.token_urlsafe(32)
    now = clock.now()
    with store.session(write=True) as s:
        row = UserSession(username=user.username, ticket_hash=_hash(ticket),
                          ticket_expires_at=now + timedelta(seconds=TICKET_SECONDS), created_at=now,
                          last_seen_at=now, expires_at=now + limits.absolute)
        s.add(row)
        s.flush()
        write_event(s, actor=user.username, action="login", table="user_sessions", record_id=row.id,
                    after={"expires_at": row.expires_at.isoformat(timespec="seconds")})
        return row.id, ticket


def redeem(store: Store, ticket: str) -> str | None:
    """Trade a ticket for the session's token (once, within a minute); None for anything else."""
    if not ticket or len(ticket) > 128:
        return None
    now = clock.now()
    token = secrets.token_urlsafe(32)
    with store.session(write=True) as s:
        row = s.scalar(select(UserSession).where(UserSession.ticket_hash == _hash(ticket)))
        if row is None or row.revoked_at is not None or row.ticket_expires_at is None or row.ticket_expires_at < now:
            return None
        row.ticket_hash, row.ticket_expires_at, row.token_hash = None, None, _hash(token)
    return token


def _live(row: UserSession | None, now: datetime, limits: Limits) -> bool:
    return (row is not None and row.revoked_at is None and row.expires_at > now
            and row.last_seen_at + limits.idle > now)


def resolve(store: Store, token: str | None, *, limits: Limits = Limits()) -> tuple[CurrentUser, int] | None:
    """The user and session id behind a cookie token, or None (unknown, ended, timed out, account disabled)."""
    if not token or len(token) > 128:
        return None
    now = clock.now()
    with store.session() as s:
        row = s.scalar(select(UserSession).where(UserSession.token_hash == _hash(token)))
        if not _live(row, now, limits):
            return None
        account = s.scalar(select(User).where(User.username == row.username, User.active))
        if account is None:
            return None
        user, sid, seen = CurrentUser(account.username, account.role, account.display_name), row.id, row.last_seen_at
    if now - seen >= TOUCH_EVERY:
        _touch(store, sid, now)
    return user, sid


def alive(store: Store, session_id: int | None, *, limits: Limits = Limits()) -> bool:
    """Whether the session a tab holds is still open (and count this visit)."""
    if session_id is None:
        return False
    now = clock.now()
    with store.session() as s:
        row = s.get(UserSession, session_id)
        if not _live(row, now, limits):
            return False
        seen = row.last_seen_at
    if now - seen >= TOUCH_EVERY:
        _touch(store, session_id, now)
    return True


def _touch(store: Store, session_id: int, now: datetime) -> None:
    with store.session(write=True) as s:
        s.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))


def revoke(store: Store, by: CurrentUser, session_id: int, *, why: str = "signed_out") -> None:
    """End one session: the user's own (sign-out), or anyone's for an administrator."""
    with store.session() as s:
        owner = s.scalar(select(UserSession.username).where(UserSession.id == session_id))
    if owner is not None and owner != by.username:  # before the write lock: a refusal is itself written
        authorize(store, by, "users.manage", target=owner)
    with store.session(write=True) as s:
        row = s.get(UserSession, session_id)
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at, row.revoked_by, row.revoked_why = clock.now(), by.username, why
        write_event(s, actor=by.username, action="logout" if why == "signed_out" else "session_ended",
                    table="user_sessions", record_id=row.id, after={"user": row.username, "why": why})


def revoke_all(store: Store, by: CurrentUser, username: str, *, why: str, keep: int | None = None) -> int:
    """End every open session of ``username`` (but ``keep``); returns how many were ended.

    A user may end their own (a password change does); ending someone else's
    needs ``users.manage``.
    """
    if username != by.username:
        authorize(store, by, "users.manage", target=username)
    now = clock.now()
    with store.session(write=True) as s:
        rows = s.scalars(select(UserSession).where(UserSession.username == username,
                                                   UserSession.revoked_at.is_(None),
                                                   UserSession.expires_at > now)).all()
        ended = [r for r in rows if r.id != keep]
        for r in ended:
            r.revoked_at, r.revoked_by, r.revoked_why = now, by.username, why
        if ended:
            write_event(s, actor=by.username, action="sessions_ended", table="user_sessions", record_id=username,
                        after={"user": username, "why": why, "count": len(ended)})
        return len(ended)


def active_sessions(store: Store, *, limits: Limits = Limits()) -> dict[str, int]:
    """Open sessions per user name (for the accounts page)."""
    now = clock.now()
    with store.session() as s:
        rows = s.execute(select(UserSession.username, UserSession.last_seen_at)
                         .where(UserSession.revoked_at.is_(None), UserSession.expires_at > now)).all()
    out: dict[str, int] = {}
    for name, seen in rows:
        if seen + limits.idle > now:
            out[name] = out.get(name, 0) + 1
    return out
