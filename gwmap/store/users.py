"""Accounts, roles, sign-in with throttling, and permission checks.

Roles (DOMAIN.md §2): ``admin``; ``hydrologist`` (水文); ``enforcement`` (执法);
``leader`` (领导, read-only).  Passwords are hashed with Argon2id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from gwmap import clock
from gwmap.errors import AuthError, InputDataError, PermissionDenied
from gwmap.store.audit import write_event
from gwmap.store.db import Store
from gwmap.store.models import LoginThrottle, User
from gwmap.vocab import ROLES

logger = logging.getLogger(__name__)

__all__ = [
    "CurrentUser", "PERMISSIONS", "create_user", "authenticate", "authorize", "can",
    "list_users", "FREE_TRIES", "DEMO_USERS",
]

_hasher = PasswordHasher()

#: Which roles may do what.  A leader is read-only: it appears in none.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "boundaries.import": frozenset({"admin"}),
    "wells.edit": frozenset({"admin", "hydrologist"}),
    "sealings.edit": frozenset({"admin", "hydrologist"}),
    "leads.edit": frozenset({"admin", "enforcement"}),
    "surveys.import": frozenset({"admin", "hydrologist"}),
    "reclaimed.edit": frozenset({"admin", "hydrologist"}),
}

#: Failed sign-ins allowed before each further try is delayed.
FREE_TRIES = 5
_BASE_DELAY_S = 30
_MAX_DELAY_S = 15 * 60

#: Demo accounts created by ``init --demo`` (also listed in the README).
DEMO_USERS: tuple[tuple[str, str, str, str], ...] = (
    ("admin", "admin", "系统管理员", "gwmap-admin"),
    ("hydro", "hydrologist", "水资源科", "gwmap-hydro"),
    ("enforce", "enforcement", "执法大队", "gwmap-enforce"),
    ("leader", "leader", "局领导", "gwmap-leader"),
)


@dataclass(frozen=True)
class CurrentUser:
    """The signed-in user as the rest of the app sees it."""

    username: str
    role: str
    display_name: str = ""


def create_user(store: Store, *, username: str, password: str, role: str, display_name: str = "",
                actor: str = "system") -> CurrentUser:
    """Create an account.

    Raises
    ------
    InputDataError
        Unknown role, empty or taken name, password shorter than 8 characters.

    """
    username = username.strip()
    if role not in ROLES:
        raise InputDataError("err.user.role", f"Unknown role {role!r}; use one of {', '.join(ROLES)}.", role=role)
    if not username or len(username) > 64:
        raise InputDataError("err.user.name", "The user name must be 1 to 64 characters.")
    if len(password) < 8:
        raise InputDataError("err.user.password_short", "The password must have at least 8 characters.")
    with store.session(actor) as s:
        if s.scalar(select(User).where(User.username == username)):
            raise InputDataError("err.user.exists", f"User {username!r} already exists.", username=username)
        s.add(User(username=username, role=role, display_name=display_name or username,
                   password_hash=_hasher.hash(password)))
    return CurrentUser(username, role, display_name or username)


def list_users(store: Store) -> list[CurrentUser]:
    with store.session() as s:
        return [CurrentUser(u.username, u.role, u.display_name)
                for u in s.scalars(select(User).where(User.active).order_by(User.username))]


def authenticate(store: Store, username: str, password: str) -> CurrentUser:
    """Check a name and password.

    The refusal never says which of the two was wrong.  After
    :data:`FREE_TRIES` failures in a row for a name, each further try must wait
    (30 s, doubling, at most 15 min), whether or not the password is right.

    Raises
    ------
    AuthError
        ``err.auth.failed`` or ``err.auth.throttled`` (with ``seconds``).

    """
    username = (username or "").strip()
    now = clock.now()
    with store.session() as s:
        th = s.get(LoginThrottle, username)
        if th and th.blocked_until and th.blocked_until > now:
            wait = int((th.blocked_until - now).total_seconds()) + 1
            raise AuthError("err.auth.throttled", f"Too many failed sign-ins; wait {wait} s.", seconds=wait)
        user = s.scalar(select(User).where(User.username == username, User.active))
        ok = False
        if user is not None:
            try:
                ok = _hasher.verify(user.password_hash, password or "")
            except (VerificationError, InvalidHashError):
                ok = False
        else:
            try:  # spend the same time as for a real user
                _hasher.verify(_DUMMY_HASH, password or "")
            except VerificationError:
                pass
        if ok:
            if th:
                th.failures, th.blocked_until = 0, None
            if _hasher.check_needs_rehash(user.password_hash):
                s.info["actor"] = user.username
                user.password_hash = _hasher.hash(password)
            return CurrentUser(user.username, user.role, user.display_name)
        if th is None:
            th = LoginThrottle(username=username, failures=0)
            s.add(th)
        th.failures += 1
        if th.failures >= FREE_TRIES:
            delay = min(_BASE_DELAY_S * 2 ** (th.failures - FREE_TRIES), _MAX_DELAY_S)
            th.blocked_until = now + timedelta(seconds=delay)
        write_event(s, actor=username or "?", action="login_failed", table="users", record_id=username,
                    after={"failures": th.failures})
    raise AuthError("err.auth.failed", "Wrong user name or password.")


_DUMMY_HASH = _hasher.hash("not-a-real-password")


def can(user: CurrentUser | None, permission: str) -> bool:
    """Whether ``user``'s role grants ``permission`` (no side effects).

    >>> can(CurrentUser("l", "leader"), "wells.edit")
    False
    >>> can(CurrentUser("a", "admin"), "boundaries.import")
    True
    """
    return user is not None and user.role in PERMISSIONS.get(permission, frozenset())


def authorize(store: Store, user: CurrentUser | None, permission: str, *, target: str = "") -> None:
    """Raise :class:`PermissionDenied` unless allowed; a refusal is written to the audit trail."""
    if can(user, permission):
        return
    who = user.username if user else "anonymous"
    with store.session() as s:
        write_event(s, actor=who, action="denied", table=permission.split(".")[0], record_id=target,
                    after={"permission": permission, "role": user.role if user else None})
    raise PermissionDenied("err.permission", f"{who} may not {permission}.", permission=permission)
