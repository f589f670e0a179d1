"""Two app processes on one database, as behind the reverse proxy: either serves a signed-in user, both write.

The sign-in lives in the database (the cookie holds a token whose hash is stored), so a browser
that signed in on one process is signed in on the other; edits made through both land, each in
the audit trail, and the chain verifies.  (A browser shares cookies across ports of one host.)
"""

import pytest
from sqlalchemy import select

from gwmap.store import Store
from gwmap.store.models import Well
from gwmap.store.verify import verify
from tests.browser.conftest import OUTPUT, sign_in, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def second(server):
    """A second process on the same data folder and database as ``server``."""
    proc, url = start_server(server.data_dir, log_name="server-2.log")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _edit_owner(page, base, code, owner):
    page.goto(f"{base}/registry?well={code}")
    field = page.get_by_label("取水权人", exact=True)
    field.wait_for(timeout=60_000)
    field.fill(owner)
    page.get_by_role("button", name="保存修改").click()
    page.get_by_text(f"已保存 {code}", exact=False).first.wait_for(timeout=60_000)


def test_a_user_signed_in_on_one_process_is_served_and_writes_on_the_other(page, server, second):
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        first_code, second_code = s.scalars(select(Well.well_code).order_by(Well.well_code).limit(2)).all()
    sign_in(page, server, "hydro", "gwmap-hydro")
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1_500)  # the ticket is traded for the cookie
    page.goto(second + "/dashboard")  # the other process: no sign-in form, the session is in the database
    page.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=120_000)
    assert page.get_by_label("密码", exact=True).count() == 0
    _edit_owner(page, server, first_code, "经一号进程修改")
    _edit_owner(page, second, second_code, "经二号进程修改")
    page.screenshot(path=str(OUTPUT / "two_processes.png"))
    with store.session() as s:
        owners = dict(s.execute(select(Well.well_code, Well.owner)
                                .where(Well.well_code.in_([first_code, second_code]))).all())
    assert owners == {first_code: "经一号进程修改", second_code: "经二号进程修改"}
    report = verify(store, server.data_dir)
    assert report.ok and not report.chain_breaks
    store.dispose()
    assert page.outside_requests == []
