from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gwmap import clock
from gwmap.errors import AuthError, InputDataError, PermissionDenied
from gwmap.registry import update_well
from gwmap.store.models import AuditEvent, User, Well
from gwmap.store.users import FREE_TRIES, PERMISSIONS, CurrentUser, authenticate, can, create_user, system_user

ROOT = system_user("cli")


def test_password_is_hashed_with_argon2(store):
    create_user(store, ROOT, username="li", password="s3cret-pass", role="hydrologist")
    with store.session() as s:
        h = s.scalar(select(User.password_hash))
    assert h.startswith("$argon2id$") and "s3cret-pass" not in h
    assert authenticate(store, "li", "s3cret-pass") == CurrentUser("li", "hydrologist", "li")


@pytest.mark.parametrize("name, password", [("li", "wrong-pass"), ("nobody", "s3cret-pass")])
def test_refusal_is_plain_and_the_same_for_unknown_users(store, name, password):
    create_user(store, ROOT, username="li", password="s3cret-pass", role="leader")
    with pytest.raises(AuthError) as err:
        authenticate(store, name, password)
    assert err.value.code == "err.auth.failed"


def test_five_failures_slow_further_tries_even_with_the_right_password(store):
    create_user(store, ROOT, username="li", password="s3cret-pass", role="leader")
    t0 = datetime(2026, 11, 28, 9, 0)
    with clock.frozen(t0):
        for _ in range(FREE_TRIES):
            with pytest.raises(AuthError):
                authenticate(store, "li", "guess")
        with pytest.raises(AuthError) as err:
            authenticate(store, "li", "s3cret-pass")
        assert err.value.code == "err.auth.throttled" and 0 < err.value.params["seconds"] <= 31
    with clock.frozen(t0 + timedelta(seconds=31)):
        assert authenticate(store, "li", "s3cret-pass").username == "li"
        # the count was reset by the success
        with pytest.raises(AuthError) as err:
            authenticate(store, "li", "guess")
        assert err.value.code == "err.auth.failed"
    with store.session() as s:
        assert len(list(s.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")))) == FREE_TRIES + 1


@pytest.mark.parametrize("kw, code", [
    (dict(username="a", password="short", role="admin"), "err.user.password_short"),
    (dict(username="a", password="nine-char", role="admin"), "err.user.password_short"),
    (dict(username="a", password="1234567890123", role="leader"), "err.user.password_digits"),
    (dict(username="wangwei", password="WangWei2026", role="leader"), "err.user.password_like_name"),
    (dict(username="a", password="iloveyou", role="leader"), "err.user.password_common"),
    (dict(username="a", password="woaini1314", role="leader"), "err.user.password_common"),
    (dict(username="a", password="gwmap-admin", role="leader"), "err.user.password_common"),
    (dict(username="a", password="long-enough", role="king"), "err.user.role"),
    (dict(username=" ", password="long-enough", role="admin"), "err.user.name"),
])
def test_bad_accounts_are_refused(store, kw, code):
    with pytest.raises(InputDataError) as err:
        create_user(store, ROOT, **kw)
    assert err.value.code == code


def test_duplicate_user_is_refused(store):
    create_user(store, ROOT, username="a", password="long-enough", role="admin")
    with pytest.raises(InputDataError) as err:
        create_user(store, ROOT, username="a", password="long-enough", role="leader")
    assert err.value.code == "err.user.exists"


def test_leader_is_read_only():
    leader = CurrentUser("boss", "leader")
    assert not any(can(leader, p) for p in PERMISSIONS)


def test_leaders_edit_is_refused_and_audited_and_changes_nothing(store):
    with store.session(system_user("loader")) as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    with pytest.raises(PermissionDenied):
        update_well(store, CurrentUser("boss", "leader"), "W1", status="filled")
    with store.session() as s:
        assert s.scalar(select(Well.status)) == "in_use"
        denied = s.scalar(select(AuditEvent).where(AuditEvent.action == "denied"))
    assert denied.actor == "boss" and denied.record_id == "W1" and "wells.edit" in denied.after


def test_hydrologist_edit_is_audited_with_before_and_after(store):
    with store.session(system_user("loader")) as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    hy = create_user(store, ROOT, username="hy", password="s3cret-pass", role="hydrologist")
    update_well(store, hy, "W1", status="filled")
    with store.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert ev.actor == "hy" and '"in_use"' in ev.before and '"filled"' in ev.after


def test_edit_with_a_value_outside_the_vocabulary_is_refused(store):
    with store.session(system_user("loader")) as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    with pytest.raises(InputDataError) as err:
        update_well(store, system_user("hy"), "W1", status="gone")
    assert err.value.params["field"] == "status"


def test_editing_a_missing_well_says_which(store):
    from gwmap.errors import NotFound

    with pytest.raises(NotFound) as err:
        update_well(store, system_user("hy"), "NOPE", owner="x")
    assert err.value.params == {"well": "NOPE"}


def test_parallel_sign_ins_check_at_most_five_passwords_and_never_crash(store):
    """Sixteen tries at once (own connections, as separate sessions or processes would): the wait holds after five."""
    from concurrent.futures import ThreadPoolExecutor

    create_user(store, ROOT, username="li", password="s3cret-pass", role="leader")

    def attempt(i):
        try:
            authenticate(store, "li", f"guess-{i}")
        except AuthError as exc:
            return exc.code
        return "signed in"

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(attempt, range(16)))
    assert codes.count("err.auth.failed") == FREE_TRIES
    assert codes.count("err.auth.throttled") == 16 - FREE_TRIES
    with store.session() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.table_name == "users")))
    assert actions.count("login_failed") == FREE_TRIES and actions.count("login_throttled") == 16 - FREE_TRIES


def test_only_an_administrator_creates_accounts(store):
    leader = create_user(store, ROOT, username="boss", password="s3cret-pass", role="leader")
    with pytest.raises(PermissionDenied):
        create_user(store, leader, username="evil", password="an0ther-pass!", role="admin")
    with pytest.raises(PermissionDenied):
        create_user(store, None, username="evil", password="an0ther-pass!", role="admin")
    with store.session() as s:
        assert s.scalar(select(User).where(User.username == "evil")) is None
        assert s.scalar(select(AuditEvent).where(AuditEvent.action == "denied")).actor == "boss"


def test_the_actor_is_a_checked_user_never_a_name(store):
    with pytest.raises(TypeError):
        with store.session("anyone"):
            pass
    # an account that does not exist, or holds another role now, cannot write
    with pytest.raises(PermissionDenied) as err:
        with store.session(CurrentUser("ghost", "admin")) as s:
            s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    assert err.value.code == "err.auth.revoked"
    hy = create_user(store, ROOT, username="hy", password="s3cret-pass", role="hydrologist")
    with pytest.raises(PermissionDenied):
        with store.session(CurrentUser("hy", "admin")):
            pass
    with store.session(ROOT) as s:
        s.scalar(select(User).where(User.username == "hy")).active = False
    with pytest.raises(PermissionDenied):
        with store.session(hy):
            pass
    from gwmap.store.users import refresh_user

    assert refresh_user(store, hy) is None


def test_demo_accounts_are_disabled_outside_demo_mode(store):
    from gwmap.demo import ensure_demo_users
    from gwmap.store.users import DEMO_USERS, disable_demo_accounts, disabled_demo_accounts

    ensure_demo_users(store)
    create_user(store, ROOT, username="wang", password="Gw-2026-quanxian", role="admin")
    assert sorted(disable_demo_accounts(store)) == sorted(d[0] for d in DEMO_USERS)
    assert disabled_demo_accounts(store) == sorted(d[0] for d in DEMO_USERS)
    with pytest.raises(AuthError) as err:
        authenticate(store, "admin", "gwmap-admin")
    assert err.value.code == "err.auth.failed"
    assert authenticate(store, "wang", "Gw-2026-quanxian").role == "admin"
    ensure_demo_users(store)  # demo mode again: the demo accounts sign in again
    assert authenticate(store, "admin", "gwmap-admin").role == "admin"


def test_a_new_account_needs_a_chosen_role(store):
    from gwmap.store.users import accounts_frame

    with pytest.raises(InputDataError) as exc:
        create_user(store, ROOT, username="wu", password="s3cret-pass-2026", role="")
    assert exc.value.code == "err.user.no_role"
    with pytest.raises(InputDataError) as exc:
        create_user(store, ROOT, username="wu", password="s3cret-pass-2026", role=None)
    assert exc.value.code == "err.user.no_role"
    assert "wu" not in set(accounts_frame(store)["username"])
