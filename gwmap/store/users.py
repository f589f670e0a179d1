"""Accounts, roles, sign-in with throttling, and permission checks.

Roles (DOMAIN.md §2): ``admin``; ``hydrologist`` (水文); ``enforcement`` (执法);
``leader`` (领导, read-only).  Passwords are hashed with Argon2id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update

from gwmap import clock
from gwmap.errors import AuthError, InputDataError, PermissionDenied
from gwmap.store.audit import write_event
from gwmap.store.db import Store, insert_if_absent
from gwmap.store.models import LoginThrottle, User
from gwmap.vocab import ROLES

logger = logging.getLogger(__name__)

__all__ = [
    "CurrentUser", "PERMISSIONS", "create_user", "authenticate", "authorize", "can", "check_password",
    "list_users", "refresh_user", "system_user", "disable_demo_accounts", "disabled_demo_accounts",
    "enable_demo_accounts", "FREE_TRIES", "DEMO_USERS", "set_active", "set_role", "reset_password",
    "change_password", "must_change_password", "accounts_frame",
]

_hasher = PasswordHasher()
_DATA = Path(__file__).resolve().parent.parent / "data"

#: Which roles may do what.  A leader is read-only: it appears in none.
PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "boundaries.import": frozenset({"admin"}),
    "wells.edit": frozenset({"admin", "hydrologist"}),
    "sealings.edit": frozenset({"admin", "hydrologist"}),
    "leads.edit": frozenset({"admin", "enforcement"}),
    "surveys.import": frozenset({"admin", "hydrologist"}),
    "reclaimed.edit": frozenset({"admin", "hydrologist"}),
    "abstraction.import": frozenset({"admin", "hydrologist"}),
    "audit.view": frozenset({"admin"}),
    "county.edit": frozenset({"admin"}),
    "targets.edit": frozenset({"admin", "hydrologist"}),
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
    """The signed-in user as the rest of the app sees it.

    ``system`` marks the command line and the demo loader, which act as
    administrators without an account; every other user must exist in the
    store, be active and hold this role when it writes (see :meth:`Store.session`).
    """

    username: str
    role: str
    display_name: str = ""
    system: bool = False


def system_user(name: str, display_name: str = "") -> CurrentUser:
    """The principal of a server-side job (``cli``, ``demo-loader``): an administrator without an account."""
    return CurrentUser(name, "admin", display_name or name, system=True)


def check_password(password: str, *, username: str = "", role: str = "") -> None:
    """Refuse a weak password with one message saying why.

    Too short (8 characters; 10 for administrators), all digits, like the user
    name, or on the bundled list of common passwords (zxcvbn's 30,000 plus
    ones common in China and the demo passwords published in the README).

    Raises
    ------
    InputDataError
        ``err.user.password_short``, ``_digits``, ``_like_name`` or ``_common``.

    >>> check_password("Gw-2026-quanxian", username="wang", role="admin")
    >>> check_password("12345678901")
    Traceback (most recent call last):
    ...
    gwmap.errors.InputDataError: The password is only digits; mix in letters or signs.

    """
    password = password or ""
    minimum = 10 if role == "admin" else 8
    if len(password) < minimum:
        raise InputDataError("err.user.password_short", f"The password must have at least {minimum} characters.",
                             minimum=minimum)
    if password.isdigit():
        raise InputDataError("err.user.password_digits", "The password is only digits; mix in letters or signs.")
    low, name = password.lower(), (username or "").strip().lower()
    if name and ((len(name) >= 3 and name in low) or low in name or low == name[::-1] or _letters(low) == _letters(name)):
        raise InputDataError("err.user.password_like_name", "The password is too like the user name.")
    if low in _common_passwords() or _letters(low) in _common_passwords():
        raise InputDataError("err.user.password_common", "This password is on the list of common passwords.")


def _letters(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    text = (_DATA / "common_passwords_cn.txt").read_text(encoding="utf-8")
    extra = [w for line in text.splitlines() if not line.startswith("#") for w in line.split()]
    return frozenset(FREQUENCY_LISTS["passwords"]) | {w.lower() for w in extra} | {d[3] for d in DEMO_USERS}


def _require_manager(store: Store, by: CurrentUser | None, target: str) -> CurrentUser:
    authorize(store, by, "users.manage", target=target)
    assert by is not None
    return by


def create_user(store: Store, by: CurrentUser | None, *, username: str, password: str, role: str,
                display_name: str = "", check_policy: bool = True) -> CurrentUser:
    """Create an account; ``by`` must be allowed to manage accounts (an administrator).

    Raises
    ------
    PermissionDenied
        Unless ``by`` may manage accounts (the refusal is audited).
    InputDataError
        Unknown role, empty, over-long or taken name, a weak password (:func:`check_password`).

    """
    by = _require_manager(store, by, username)
    username = (username or "").strip()
    if not role:  # nothing chosen: no account gets a role by default, least of all admin
        raise InputDataError("err.user.no_role", f"Choose a role: {', '.join(ROLES)}.")
    if role not in ROLES:
        raise InputDataError("err.user.role", f"Unknown role {role!r}; use one of {', '.join(ROLES)}.", role=role)
    if not username or len(username) > 64 or not username.isprintable():
        raise InputDataError("err.user.name", "The user name must be 1 to 64 printable characters.")
    if len(display_name or "") > 128 or not (display_name or "").isprintable():
        raise InputDataError("err.user.display_name", "The display name must be at most 128 printable characters.")
    if check_policy:
        check_password(password, username=username, role=role)
    with store.session(by) as s:
        if s.scalar(select(User).where(User.username == username)):
            raise InputDataError("err.user.exists", f"User {username!r} already exists.", username=username)
        s.add(User(username=username, role=role, display_name=display_name or username,
                   password_hash=_hasher.hash(password)))
    return CurrentUser(username, role, display_name or username)


def _account(s, username: str) -> User:
    row = s.scalar(select(User).where(User.username == username))
    if row is None:
        raise InputDataError("err.user.unknown", f"No account {username!r}.", username=username)
    return row


def _end_sessions(store: Store, by: CurrentUser, username: str, why: str, keep: int | None = None) -> None:
    from gwmap.store.sessions import revoke_all

    revoke_all(store, by, username, why=why, keep=keep)


def set_active(store: Store, by: CurrentUser | None, username: str, active: bool) -> None:
    """Disable an account (its sessions end at once) or enable it again; not one's own."""
    by = _require_manager(store, by, username)
    if username == by.username:
        raise InputDataError("err.user.self", "You cannot disable or change your own account here.")
    with store.session(by) as s:
        _account(s, username).active = bool(active)
    if not active:
        _end_sessions(store, by, username, "account_disabled")


def set_role(store: Store, by: CurrentUser | None, username: str, role: str) -> None:
    """Give an account another role (it applies on the user's next click); not one's own."""
    by = _require_manager(store, by, username)
    if role not in ROLES:
        raise InputDataError("err.user.role", f"Unknown role {role!r}; use one of {', '.join(ROLES)}.", role=role)
    if username == by.username:
        raise InputDataError("err.user.self", "You cannot disable or change your own account here.")
    with store.session(by) as s:
        _account(s, username).role = role


def reset_password(store: Store, by: CurrentUser | None, username: str, password: str) -> None:
    """Set a temporary password: the user's sessions end and the next sign-in must choose a new one."""
    by = _require_manager(store, by, username)
    with store.session() as s:
        role = _account(s, username).role
    check_password(password, username=username, role=role)
    with store.session(by) as s:
        row = _account(s, username)
        row.password_hash, row.must_change_password = _hasher.hash(password), True
    _end_sessions(store, by, username, "password_reset")


def change_password(store: Store, user: CurrentUser, old: str, new: str, *, keep_session: int | None = None) -> None:
    """The user's own change: the old password proves it is them; every other session of theirs ends.

    Raises
    ------
    AuthError
        ``err.auth.failed`` for a wrong old password (throttled like a sign-in).
    InputDataError
        A weak new password, or the same as the old one.

    """
    authenticate(store, user.username, old)
    if new == old:
        raise InputDataError("err.user.same_password", "Choose a password different from the old one.")
    check_password(new, username=user.username, role=user.role)
    with store.session(user) as s:
        row = _account(s, user.username)
        row.password_hash, row.must_change_password = _hasher.hash(new), False
    _end_sessions(store, user, user.username, "password_changed", keep=keep_session)


def must_change_password(store: Store, username: str) -> bool:
    with store.session() as s:
        return bool(s.scalar(select(User.must_change_password).where(User.username == username)))


def accounts_frame(store: Store):
    """Every account (enabled or not) with its role and whether it must change its password."""
    import pandas as pd

    with store.session() as s:
        rows = s.execute(select(User.username, User.display_name, User.role, User.active, User.must_change_password,
                                User.created_at).order_by(User.username)).all()
    return pd.DataFrame(rows, columns=["username", "display_name", "role", "active", "must_change_password",
                                       "created_at"])


def list_users(store: Store) -> list[CurrentUser]:
    with store.session() as s:
        return [CurrentUser(u.username, u.role, u.display_name)
                for u in s.scalars(select(User).where(User.active).order_by(User.username))]


def refresh_user(store: Store, user: CurrentUser | None) -> CurrentUser | None:
    """``user`` as the store has it now: None when the account is gone or disabled; its current role."""
    if user is None or user.system:
        return user
    with store.session() as s:
        row = s.scalar(select(User).where(User.username == user.username))
        if row is None or not row.active:
            return None
        return CurrentUser(row.username, row.role, row.display_name)


def disable_demo_accounts(store: Store) -> list[str]:
    """Outside demo mode: disable every account that still has its published demo password.

    Returns the names disabled now.  The passwords are in the README, so such
    an account is open to anyone; an administrator re-enables it only by
    giving it a new password.
    """
    names = {d[0]: d[3] for d in DEMO_USERS}
    done = []
    with store.session() as s:
        rows = list(s.scalars(select(User).where(User.username.in_(list(names)), User.active)))
        live = [u.username for u in rows if _verifies(u.password_hash, names[u.username])]
    if live:
        with store.session(system_user("startup")) as s:
            for u in s.scalars(select(User).where(User.username.in_(live))):
                u.active = False
                done.append(u.username)
    if done:
        logger.warning("demo accounts disabled outside demo mode: %s", ", ".join(done))
    return done


def disabled_demo_accounts(store: Store) -> list[str]:
    """Names of demo accounts that are disabled (shown at start outside demo mode)."""
    with store.session() as s:
        return sorted(s.scalars(select(User.username).where(User.username.in_([d[0] for d in DEMO_USERS]),
                                                            ~User.active)))


def enable_demo_accounts(store: Store) -> list[str]:
    """In demo mode: re-enable the demo accounts that still have their demo password."""
    names = {d[0]: d[3] for d in DEMO_USERS}
    with store.session() as s:
        rows = list(s.scalars(select(User).where(User.username.in_(list(names)), ~User.active)))
        off = [u.username for u in rows if _verifies(u.password_hash, names[u.username])]
    if off:
        with store.session(system_user("demo-loader")) as s:
            for u in s.scalars(select(User).where(User.username.in_(off))):
                u.active = True
    return off


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, username: str, password: str) -> CurrentUser:
    """Check a name and password.

    The refusal never says which of the two was wrong.  After
    :data:`FREE_TRIES` failures in a row for a name, each further try must wait
    (30 s, doubling, at most 15 min), whether or not the password is right.

    The try is counted *before* the password is checked, in one short
    transaction that locks the name's row (an upsert, so two first tries
    cannot collide): of any number of parallel tries, across processes, at
    most :data:`FREE_TRIES` get their password checked before the wait holds.
    A right password then clears the count.

    Raises
    ------
    AuthError
        ``err.auth.failed`` or ``err.auth.throttled`` (with ``seconds``).

    """
    username = (username or "").strip()[:64]
    now = clock.now()
    failures, blocked_until = _reserve_try(store, username, now)
    if failures is None:
        wait = int((blocked_until - now).total_seconds()) + 1
        with store.session(write=True) as s:
            write_event(s, actor=username or "?", action="login_throttled", table="users", record_id=username,
                        after={"wait_s": wait})
        raise AuthError("err.auth.throttled", f"Too many failed sign-ins; wait {wait} s.", seconds=wait)
    with store.session() as s:  # the password is checked outside any write lock
        user = s.scalar(select(User).where(User.username == username, User.active))
    ok = _verifies(user.password_hash, password or "") if user is not None else \
        (_verifies(_DUMMY_HASH, password or "") and False)  # same time as for a real user
    with store.session(write=True) as s:
        if ok:
            s.execute(update(LoginThrottle).where(LoginThrottle.username == username)
                      .values(failures=0, blocked_until=None))
            if _hasher.check_needs_rehash(user.password_hash):
                s.execute(update(User).where(User.id == user.id).values(password_hash=_hasher.hash(password)))
            return CurrentUser(user.username, user.role, user.display_name)
        write_event(s, actor=username or "?", action="login_failed", table="users", record_id=username,
                    after={"failures": failures})
    raise AuthError("err.auth.failed", "Wrong user name or password.")


def _reserve_try(store: Store, username: str, now) -> tuple[int | None, object]:
    """Count one try against ``username`` atomically; ``(None, blocked_until)`` when it must wait."""
    with store.engine.begin() as conn:
        # The write comes first: it takes SQLite's write lock, and creates the row PostgreSQL then locks.
        insert_if_absent(conn, LoginThrottle, "username", username=username, failures=0)
        failures, blocked_until = conn.execute(
            select(LoginThrottle.failures, LoginThrottle.blocked_until)
            .where(LoginThrottle.username == username).with_for_update()).one()
        if blocked_until is not None and blocked_until > now:
            return None, blocked_until
        failures = (failures or 0) + 1
        if failures >= FREE_TRIES:
            blocked_until = now + timedelta(seconds=min(_BASE_DELAY_S * 2 ** (failures - FREE_TRIES), _MAX_DELAY_S))
        conn.execute(update(LoginThrottle).where(LoginThrottle.username == username)
                     .values(failures=failures, blocked_until=blocked_until))
        return failures, blocked_until


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
    with store.session(write=True) as s:
        write_event(s, actor=who, action="denied", table=permission.split(".")[0], record_id=target,
                    after={"permission": permission, "role": user.role if user else None})
    raise PermissionDenied("err.permission", f"{who} may not {permission}.", permission=permission)
