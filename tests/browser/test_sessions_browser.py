"""A sign-in survives a reload, a deep link and a second tab; the cookie is HttpOnly; sign-out ends it."""

import time

import pytest
from sqlalchemy import select

from gwmap.store import Store
from gwmap.store.models import AuditEvent, Lead, LeadStep, UserSession, Well
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


def test_a_note_typed_in_a_form_survives_a_reload_but_stays_with_its_case(page, server):
    """F5 in the middle of a finding keeps the text (in the tab, not on the server); another case starts empty;
    once submitted, the text is the step's finding and no longer a draft."""

    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        first, other = s.scalars(select(Lead.lead_code).where(Lead.stage == "registered").order_by(Lead.lead_code)
                                 .limit(2)).all()
    sign_in(page, server, "enforce", "gwmap-enforce")
    assert _signed_in(page)
    page.wait_for_timeout(1500)  # the cookie is set
    page.goto(f"{server}/leads?lead={first}")
    note = page.get_by_label("核查发现")
    note.wait_for(timeout=60_000)
    page.wait_for_function("() => window.gwmapDrafts === true", timeout=30_000)  # the page has finished loading
    note.fill("村东机井房内有电表，现场无人")
    page.wait_for_timeout(300)
    page.reload()
    note = page.get_by_label("核查发现")
    note.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('textarea[aria-label=\"核查发现\"]').value !== ''",
                           timeout=30_000)
    assert note.input_value() == "村东机井房内有电表，现场无人"
    assert page.get_by_label("密码", exact=True).count() == 0  # still signed in after the reload
    page.goto(f"{server}/leads?lead={other}")  # another case: its own, empty note
    page.get_by_label("核查发现").wait_for(timeout=60_000)
    page.wait_for_timeout(1000)
    assert page.get_by_label("核查发现").input_value() == ""
    # the draft stayed in the browser tab: nothing of it reached the store or the server log
    assert "村东机井房" not in (server.data_dir / "server.log").read_text()
    with store.session() as s:
        assert s.scalar(select(LeadStep.id).where(LeadStep.note.contains("村东机井房"))) is None

    # back on the first case the draft is there again; submitted, it is the step's finding and is not put back
    page.goto(f"{server}/leads?lead={first}")
    page.wait_for_function("() => (document.querySelector('textarea[aria-label=\"核查发现\"]') || {}).value", timeout=60_000)
    steps = select(LeadStep.note).join(Lead, Lead.id == LeadStep.lead_id).where(Lead.lead_code == first)
    with store.session() as s:
        before = len(s.scalars(steps).all())
    page.get_by_role("button", name="提交", exact=True).click()
    deadline = time.time() + 60
    saved = None
    while saved is None and time.time() < deadline:
        with store.session() as s:
            notes = s.scalars(steps.order_by(LeadStep.id)).all()
        saved = notes[-1] if len(notes) > before else None
        page.wait_for_timeout(300)
    assert saved == "村东机井房内有电表，现场无人"
    page.reload()
    page.get_by_label("核查发现").wait_for(timeout=60_000)
    page.wait_for_timeout(2000)  # longer than the drafts script takes to look again
    assert page.get_by_label("核查发现").input_value() == ""
    assert page.evaluate("() => Object.keys(sessionStorage).filter(k => k.startsWith('gwmap-draft:'))") == []
    assert page.outside_requests == []


def test_a_deep_link_opened_signed_out_is_the_page_shown_after_signing_in(page, server):
    """A link from a chat message (/registry?well=…) opened by someone not signed in: the sign-in form,
    and after signing in that page with that well open, not the dashboard."""
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        well = s.scalar(select(Well.well_code).order_by(Well.well_code.desc()))
    page.goto(f"{server}/registry?well={well}")
    page.get_by_label("用户名").fill("hydro")
    page.get_by_label("密码", exact=True).fill("gwmap-hydro")
    assert page.get_by_text("取水井台账").count() == 0  # nothing of the page before signing in
    page.get_by_role("button", name="登录").click()
    page.get_by_text("取水井台账").first.wait_for(timeout=60_000)
    chosen = page.get_by_role("combobox", name="机井编号")
    chosen.wait_for(timeout=30_000)
    assert chosen.input_value() == well
    assert "/registry" in page.url and f"well={well}" in page.url
    assert page.outside_requests == []
