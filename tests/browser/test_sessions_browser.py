"""A sign-in survives a reload, a deep link and a second tab; the cookie is HttpOnly; sign-out ends it."""

import pytest
from sqlalchemy import select

from gwmap.store import Store
from gwmap.store.models import AuditEvent, UserSession, Well
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def _signed_in(page) -> bool:
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)  # the dashboard's heading
    return page.get_by_label("密码", exact=True).count() == 0


def test_a_sign_in_survives_reload_deep_link_and_a_second_tab(page, server):
    sign_in(page, server, "leader", "gwmap-leader")
    assert _signed_in(page)
    page.wait_for_timeout(1500)  # the page trades its one-time ticket for the cookie
    cookie = next(c for c in page.context.cookies() if c["name"] == "gwmap_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert "gwmap_session" not in page.evaluate("() => document.cookie")  # scripts cannot read it
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        hashes = {r.token_hash for r in s.scalars(select(UserSession).where(UserSession.username == "leader"))}
        assert cookie["value"] not in hashes and len(cookie["value"]) >= 40  # the store keeps only its hash

    page.reload()
    assert _signed_in(page)
    with store.session() as s:
        well = s.scalar(select(Well.well_code).order_by(Well.well_code.desc()))
    page.goto(f"{server}/registry?well={well}")  # a deep link, as one sent in a chat message
    page.get_by_text("取水井台账").first.wait_for(timeout=60_000)
    assert page.get_by_label("密码", exact=True).count() == 0
    chosen = page.get_by_role("combobox", name="机井编号")
    chosen.wait_for(timeout=30_000)
    assert chosen.input_value() == well  # its record is open
    assert chosen.get_attribute("placeholder") == "请选择"  # not Streamlit's "Choose an option"
    second = page.context.new_page()
    second.goto(server + "/dashboard")
    assert _signed_in(second)
    assert all("gwmap_session" not in u and cookie["value"] not in u for u in (page.url, second.url))
    log = (server.data_dir / "server.log").read_text()
    assert cookie["value"] not in log

    second.close()
    page.get_by_role("button", name="退出登录").click()
    page.get_by_label("密码", exact=True).wait_for(timeout=30_000)
    page.wait_for_timeout(1000)
    assert not [c for c in page.context.cookies() if c["name"] == "gwmap_session"]
    page.reload()
    page.get_by_label("密码", exact=True).wait_for(timeout=30_000)  # signed out for good
    with store.session() as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.table_name == "user_sessions"))]
    assert "login" in actions and "logout" in actions
    assert page.outside_requests == []
