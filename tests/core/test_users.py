from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from gwmap import clock
from gwmap.errors import AuthError, InputDataError, PermissionDenied
from gwmap.registry import update_well
from gwmap.store.models import AuditEvent, User, Well
from gwmap.store.users import FREE_TRIES, PERMISSIONS, CurrentUser, authenticate, can, create_user


def test_password_is_hashed_with_argon2(store):
    create_user(store, username="li", password="s3cret-pass", role="hydrologist")
    with store.session() as s:
        h = s.scalar(select(User.password_hash))
    assert h.startswith("$argon2id$") and "s3cret-pass" not in h
    assert authenticate(store, "li", "s3cret-pass") == CurrentUser("li", "hydrologist", "li")


@pytest.mark.parametrize("name, password", [("li", "wrong-pass"), ("nobody", "s3cret-pass")])
def test_refusal_is_plain_and_the_same_for_unknown_users(store, name, password):
    create_user(store, username="li", password="s3cret-pass", role="leader")
    with pytest.raises(AuthError) as err:
        authenticate(store, name, password)
    assert err.value.code == "err.auth.failed"


def test_five_failures_slow_further_tries_even_with_the_right_password(store):
    create_user(store, username="li", password="s3cret-pass", role="leader")
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
    (dict(username="a", password="long-enough", role="king"), "err.user.role"),
    (dict(username=" ", password="long-enough", role="admin"), "err.user.name"),
])
def test_bad_accounts_are_refused(store, kw, code):
    with pytest.raises(InputDataError) as err:
        create_user(store, **kw)
    assert err.value.code == code


def test_duplicate_user_is_refused(store):
    create_user(store, username="a", password="long-enough", role="admin")
    with pytest.raises(InputDataError) as err:
        create_user(store, username="a", password="long-enough", role="leader")
    assert err.value.code == "err.user.exists"


def test_leader_is_read_only():
    leader = CurrentUser("boss", "leader")
    assert not any(can(leader, p) for p in PERMISSIONS)


def test_leaders_edit_is_refused_and_audited_and_changes_nothing(store):
    with store.session("loader") as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    with pytest.raises(PermissionDenied):
        update_well(store, CurrentUser("boss", "leader"), "W1", status="filled")
    with store.session() as s:
        assert s.scalar(select(Well.status)) == "in_use"
        denied = s.scalar(select(AuditEvent).where(AuditEvent.action == "denied"))
    assert denied.actor == "boss" and denied.record_id == "W1" and "wells.edit" in denied.after


def test_hydrologist_edit_is_audited_with_before_and_after(store):
    with store.session("loader") as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    update_well(store, CurrentUser("hy", "hydrologist"), "W1", status="filled")
    with store.session() as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "update")).one()
    assert ev.actor == "hy" and '"in_use"' in ev.before and '"filled"' in ev.after


def test_edit_with_a_value_outside_the_vocabulary_is_refused(store):
    with store.session("loader") as s:
        s.add(Well(well_code="W1", lon=115.5, lat=36.5, aquifer="deep", use="industry", status="in_use"))
    with pytest.raises(InputDataError) as err:
        update_well(store, CurrentUser("hy", "hydrologist"), "W1", status="gone")
    assert err.value.params["field"] == "status"


def test_editing_a_missing_well_says_which(store):
    from gwmap.errors import NotFound

    with pytest.raises(NotFound) as err:
        update_well(store, CurrentUser("hy", "hydrologist"), "NOPE", owner="x")
    assert err.value.params == {"well": "NOPE"}
