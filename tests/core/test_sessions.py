"""Sessions: a ticket for a cookie once, idle and absolute limits, revocation, nothing secret stored."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from gwmap import clock, web
from gwmap.config import get_settings
from gwmap.errors import PermissionDenied
from gwmap.store import sessions
from gwmap.store.models import AuditEvent, User, UserSession
from gwmap.store.users import CurrentUser, create_user, system_user

T0 = datetime(2026, 11, 29, 1, 0)
LIMITS = sessions.Limits()


@pytest.fixture
def people(store):
    root = system_user("cli")
    li = create_user(store, root, username="li", password="Shuiwen-2026", role="hydrologist")
    boss = create_user(store, root, username="boss", password="Guanxian-admin-1", role="admin")
    return li, boss


def _signed_in(store, user, at=T0) -> tuple[int, str]:
    with clock.frozen(at):
        sid, ticket = sessions.open_session(store, user)
        return sid, sessions.redeem(store, ticket)


def test_a_ticket_buys_one_token_once_and_only_for_a_minute(store, people):
    li, _ = people
    with clock.frozen(T0):
        sid, ticket = sessions.open_session(store, li)
        token = sessions.redeem(store, ticket)
        assert token and sessions.redeem(store, ticket) is None  # once
        assert sessions.resolve(store, token) == (li, sid)
        _, late = sessions.open_session(store, li)
    with clock.frozen(T0 + timedelta(seconds=61)):
        assert sessions.redeem(store, late) is None
    for junk in ("", "x" * 500, "not-a-ticket"):
        assert sessions.redeem(store, junk) is None and sessions.resolve(store, junk) is None


def test_the_store_keeps_hashes_only(store, people):
    li, _ = people
    with clock.frozen(T0):
        sid, ticket = sessions.open_session(store, li)
        with store.session() as s:
            assert ticket not in str(s.execute(select(UserSession.__table__)).all())
        token = sessions.redeem(store, ticket)
    with store.session() as s:
        stored = str(s.execute(select(UserSession.__table__)).all()) + str(s.execute(
            select(AuditEvent.__table__)).all())
    assert token not in stored and ticket not in stored


def test_idle_and_absolute_limits(store, people):
    li, _ = people
    sid, token = _signed_in(store, li)
    for hours in (1.9, 3.8, 5.7, 7.6, 9.5, 11.4):  # a visit every 1.9 h keeps it open ...
        with clock.frozen(T0 + timedelta(hours=hours)):
            assert sessions.resolve(store, token) == (li, sid)
    with clock.frozen(T0 + timedelta(hours=12, minutes=1)):  # ... but not past 12 h
        assert sessions.resolve(store, token) is None and not sessions.alive(store, sid)
    sid2, token2 = _signed_in(store, li)
    with clock.frozen(T0 + timedelta(hours=2, minutes=1)):  # 2 h without a visit
        assert sessions.resolve(store, token2) is None and not sessions.alive(store, sid2)
    short = sessions.Limits(idle=timedelta(minutes=30), absolute=timedelta(hours=1))
    sid3, token3 = _signed_in(store, li)
    with clock.frozen(T0 + timedelta(minutes=31)):
        assert sessions.resolve(store, token3, limits=short) is None
        assert sessions.resolve(store, token3) == (li, sid3)


def test_settings_set_the_limits(monkeypatch):
    monkeypatch.setenv("GWMAP_SESSION_IDLE_MIN", "30")
    monkeypatch.setenv("GWMAP_SESSION_MAX_H", "8")
    assert get_settings().session_limits == sessions.Limits(timedelta(minutes=30), timedelta(hours=8))
    monkeypatch.setenv("GWMAP_SESSION_IDLE_MIN", "-5")  # nonsense: the default, not a session that never ends
    monkeypatch.setenv("GWMAP_SESSION_MAX_H", "99999")
    assert get_settings().session_limits == LIMITS


def test_sign_out_disable_and_an_administrator_end_sessions(store, people):
    li, boss = people
    sid, token = _signed_in(store, li)
    sessions.revoke(store, li, sid)
    assert sessions.resolve(store, token) is None
    a, ta = _signed_in(store, li)
    b, tb = _signed_in(store, li)
    with pytest.raises(PermissionDenied):
        sessions.revoke_all(store, CurrentUser("wang", "enforcement"), "li", why="ended_by_admin")
    with pytest.raises(PermissionDenied):
        sessions.revoke(store, CurrentUser("wang", "enforcement"), a)
    with clock.frozen(T0 + timedelta(minutes=5)):
        assert sessions.active_sessions(store)["li"] == 2
        assert sessions.revoke_all(store, boss, "li", why="ended_by_admin") == 2
        assert sessions.resolve(store, ta) is None and sessions.resolve(store, tb) is None
        assert "li" not in sessions.active_sessions(store)
        c, tc = _signed_in(store, li, T0 + timedelta(minutes=5))
        assert sessions.resolve(store, tc) == (li, c)
        with store.session(write=True) as s:
            s.execute(update(User).where(User.username == "li").values(active=False))
        assert sessions.resolve(store, tc) is None  # a disabled account has no session
    with store.session() as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.table_name == "user_sessions"))]
    assert actions.count("login") == 4 and "logout" in actions and "sessions_ended" in actions


# ---------------------------------------------------------------- the HTTP endpoints
def _post(handler, path, *, body=b"", headers=None):
    """Call a Starlette endpoint as the server would: (status, Set-Cookie headers)."""
    from starlette.requests import Request

    raw = [(k.lower().encode(), v.encode()) for k, v in {"host": "gw.local", **(headers or {})}.items()]
    scope = {"type": "http", "method": "POST", "path": path, "headers": raw, "query_string": b"",
             "scheme": "http", "server": ("gw.local", 80), "root_path": ""}

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    response = asyncio.run(handler(Request(scope, receive)))
    return response.status_code, [v.decode() for k, v in response.raw_headers if k == b"set-cookie"]


def test_the_session_endpoint_sets_an_httponly_cookie(store, people, monkeypatch):
    li, _ = people
    monkeypatch.setattr(web, "_store", lambda: store)
    sid, ticket = sessions.open_session(store, li)
    assert _post(web.session, web.SESSION_PATH, body=ticket.encode(),
                 headers={"origin": "http://evil.example"}) == (403, [])  # from another site: refused
    status, cookies = _post(web.session, web.SESSION_PATH, body=ticket.encode(),
                            headers={"origin": "https://gw.local:8443"})  # the same host, behind a proxy
    assert status == 204 and len(cookies) == 1
    c = cookies[0]
    assert c.startswith("gwmap_session=") and "HttpOnly" in c and "SameSite=strict" in c and "Path=/" in c
    assert "Max-Age=43200" in c and "Secure" not in c
    token = c.split(";")[0].split("=", 1)[1]
    assert sessions.resolve(store, token) == (li, sid)
    assert _post(web.session, web.SESSION_PATH, body=ticket.encode()) == (403, [])  # the ticket is spent
    _, ticket2 = sessions.open_session(store, li)
    _, behind_tls = _post(web.session, web.SESSION_PATH, body=ticket2.encode(), headers={"x-forwarded-proto": "https"})
    assert "Secure" in behind_tls[0]

    status, cleared = _post(web.signout, web.SIGNOUT_PATH, headers={"cookie": f"gwmap_session={token}"})
    assert status == 204 and "Max-Age=0" in cleared[0]
    assert sessions.resolve(store, token) is None


# ---------------------------------------------------------------- accounts an administrator manages
def test_disable_reset_role_and_password_change_end_sessions(store, people):
    from gwmap.errors import AuthError, InputDataError
    from gwmap.store.users import (
        accounts_frame,
        authenticate,
        change_password,
        must_change_password,
        reset_password,
        set_active,
        set_role,
    )

    li, boss = people
    with clock.frozen(T0):
        sid, token = _signed_in(store, li)
        with pytest.raises(PermissionDenied):
            set_active(store, li, "boss", False)
        with pytest.raises(InputDataError):
            set_active(store, boss, "boss", False)  # not one's own
        set_active(store, boss, "li", False)
        assert sessions.resolve(store, token) is None
        with pytest.raises(AuthError):
            authenticate(store, "li", "Shuiwen-2026")
        set_active(store, boss, "li", True)
        set_role(store, boss, "li", "enforcement")
        assert authenticate(store, "li", "Shuiwen-2026").role == "enforcement"

        sid, token = _signed_in(store, li)
        with pytest.raises(InputDataError):
            reset_password(store, boss, "li", "12345678")  # the policy holds for temporary passwords too
        reset_password(store, boss, "li", "Temp-pass-77")
        assert sessions.resolve(store, token) is None and must_change_password(store, "li")
        enforcer = authenticate(store, "li", "Temp-pass-77")
        keep, keep_token = _signed_in(store, enforcer)
        other, other_token = _signed_in(store, enforcer)
        with pytest.raises(AuthError):
            change_password(store, enforcer, "wrong-one", "Brand-new-pass-1")
        with pytest.raises(InputDataError):
            change_password(store, enforcer, "Temp-pass-77", "Temp-pass-77")
        change_password(store, enforcer, "Temp-pass-77", "Brand-new-pass-1", keep_session=keep)
        assert not must_change_password(store, "li")
        assert sessions.resolve(store, keep_token) == (enforcer, keep)  # this browser stays signed in
        assert sessions.resolve(store, other_token) is None  # every other one is signed out
    row = accounts_frame(store).set_index("username").loc["li"]
    assert row["active"] and row["role"] == "enforcement" and not row["must_change_password"]
    with store.session() as s:
        events = s.execute(select(AuditEvent.action, AuditEvent.after).where(AuditEvent.table_name == "users",
                                                                              AuditEvent.record_id != "")).all()
    changed = " ".join(str(a) for _, a in events)
    assert '"active": false' in changed and '"role": "enforcement"' in changed and "must_change_password" in changed
