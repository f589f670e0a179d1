"""The officer's day on a phone: sign in, today's stops, 导航 in GCJ-02, two inspections offline, sent once."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select

from gwmap import clock
from gwmap.config import PROJECT_ROOT
from gwmap.crs import wgs84_to_gcj02
from gwmap.demo import ensure_demo_dispatch
from gwmap.dispatch import dispatch_stops, team_of
from gwmap.store import Store
from gwmap.store.models import Evidence, FieldSubmission, Lead, LeadStep
from tests.browser.conftest import OUTPUT, outside_guard

pytestmark = pytest.mark.browser
#: what Chrome on an Android phone says of itself
ANDROID = ("Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
           "Mobile Safari/537.36")


def _photo(colour, size=(2400, 1800)) -> dict:
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, "JPEG", quality=90)
    return {"name": f"site-{colour[0]}.jpg", "mimeType": "image/jpeg", "buffer": buf.getvalue()}


@pytest.fixture(scope="module")
def stops(server):
    """The demo team's stops for today, saved as ``init --demo`` saves them, read back from the store."""
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    ensure_demo_dispatch(store)
    dispatch_id, team, _, _ = team_of(store, "enforce", clock.today())
    out = dispatch_stops(store, dispatch_id, team)
    store.dispose()
    return out


def _phone(browser, lon, lat):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                              has_touch=True, locale="zh-CN", permissions=["geolocation"], user_agent=ANDROID,
                              geolocation={"longitude": lon, "latitude": lat, "accuracy": 8})
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    ctx.route("**/*", outside_guard(pg))  # the whole context: the service worker's requests too
    return ctx, pg


def _sign_in(pg, server, user, password):
    pg.goto(server + "/field")
    pg.locator("#f-user").fill(user)
    pg.locator("#f-pass").fill(password)
    pg.get_by_role("button", name="登录").tap()


def _record(pg, photos, outcome_index=0, note=""):
    pg.locator("#next button.btn.primary").tap()
    pg.locator("#pos-text").wait_for()
    pg.locator("#f-photo").set_input_files(photos)
    pg.locator("#thumbs img").nth(len(photos) - 1).wait_for()
    pg.locator(".outcomes button").nth(outcome_index).tap()
    if note:
        pg.locator("#f-note").fill(note)
    pg.locator("#submit").tap()
    pg.locator("#stops").wait_for()


def test_a_day_offline_lands_once_with_photos_and_positions(browser, server, stops):
    first, second = stops.iloc[0], stops.iloc[1]
    ctx, pg = _phone(browser, first["lon"] + 0.0004, first["lat"])  # some 36 m from the first stop
    OUTPUT.mkdir(parents=True, exist_ok=True)
    try:
        _sign_in(pg, server, "enforce", "gwmap-enforce")
        pg.locator("#stops li").first.wait_for(timeout=30_000)
        assert pg.locator("#stops li").count() == len(stops)
        assert pg.locator("#team").inner_text().startswith("执法一组")
        # 导航: a real link to AMap with the stop in GCJ-02, big enough for a thumb, on the first screen
        nav = pg.locator("#next a.btn.nav")
        to = parse_qs(urlsplit(nav.get_attribute("href")).query)["to"][0].split(",")
        glon, glat = wgs84_to_gcj02(float(first["lon"]), float(first["lat"]))
        assert (float(to[0]), float(to[1])) == pytest.approx((glon, glat), abs=2e-6) and to[2] == first["ref"]
        box = nav.bounding_box()
        assert box["height"] >= 48 and box["y"] + box["height"] <= 844
        pg.wait_for_timeout(600)  # the service worker caches the page for the offline reload below
        pg.screenshot(path=str(OUTPUT / "field_today.png"))

        ctx.set_offline(True)
        _record(pg, [_photo((120, 160, 90)), _photo((90, 90, 160))], note="离线记录一：井房已拆除")
        ctx.set_geolocation({"longitude": float(second["lon"]), "latitude": float(second["lat"]), "accuracy": 8})
        pg.locator("#next button.btn.primary").tap()
        pg.locator("#pos-text").wait_for()
        pg.locator("#f-photo").set_input_files([_photo((200, 120, 40))])
        pg.locator("#thumbs img").first.wait_for()
        pg.locator(".outcomes button").first.tap()
        pg.locator("#submit").tap()
        pg.locator("#stops").wait_for()
        assert "2 条待发送" in pg.locator("#sync").inner_text() and "离线" in pg.locator("#sync").inner_text()
        # a reload with no network: the page and both records are still there
        pg.reload()
        pg.locator("#stops li").first.wait_for(timeout=30_000)
        assert "2 条待发送" in pg.locator("#sync").inner_text()
        assert "离线：显示的是" in pg.locator("#view").inner_text()  # it says the stops are the kept copy
        pg.screenshot(path=str(OUTPUT / "field_offline.png"))

        ctx.set_offline(False)
        pg.evaluate("window.dispatchEvent(new Event('online'))")
        pg.wait_for_function("document.querySelector('#sync').textContent.includes('已发送 2 条')", timeout=30_000)
        assert pg.outside_requests == [] and pg.errors == []
    finally:
        ctx.close()

    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        rows = s.scalars(select(FieldSubmission).order_by(FieldSubmission.id)).all()
        assert [r.lead_code for r in rows] == [first["ref"], second["ref"]] and {r.status for r in rows} == {"stored"}
        one = rows[0]
        step = s.get(LeadStep, one.step_id)
        assert step.by == "enforce" and step.note.endswith("离线记录一：井房已拆除")
        assert step.lon == pytest.approx(first["lon"] + 0.0004, abs=1e-6) and step.accuracy_m == 8
        assert s.scalar(select(Lead.lead_code).where(Lead.id == step.lead_id)) == first["ref"]
        photos = s.scalars(select(Evidence).where(Evidence.step_id == one.step_id)).all()
        assert len(photos) == 2 and {p.gps_source for p in photos} == {"device"}
        assert all(p.lat == pytest.approx(first["lat"], abs=1e-6) and p.taken_at is not None for p in photos)
        for p in photos:  # shrunk on the phone to the long side the server asks for (1,600 px)
            assert max(Image.open(server.data_dir / "evidence" / p.sha256).size) == 1600
        assert one.device_at is not None and one.received_at >= one.device_at
        assert s.scalar(select(func.count()).select_from(FieldSubmission)) == 2
    store.dispose()
    check = subprocess.run([sys.executable, "-m", "gwmap", "verify"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           env={"GWMAP_DATA_DIR": str(server.data_dir), "PATH": "/usr/bin:/bin"}, timeout=300)
    assert check.returncode == 0 and "完好" in check.stdout, check.stdout + check.stderr


def test_a_replay_is_stored_once_and_others_are_refused(browser, server, stops):
    third = stops.iloc[2]
    ctx, pg = _phone(browser, third["lon"], third["lat"])
    try:
        _sign_in(pg, server, "enforce", "gwmap-enforce")
        pg.locator("#stops li").first.wait_for(timeout=30_000)
        pg.locator("#lang").tap()  # the same switch as the desktop's: English, kept in the gwmap_lang cookie
        assert pg.locator("#tab-today").inner_text() == "Today" and pg.get_by_text("Today's stops").is_visible()
        pg.reload()
        pg.locator("#stops li").first.wait_for(timeout=30_000)
        assert pg.locator("html").get_attribute("lang") == "en" and pg.locator("#title").inner_text().startswith(
            "Field inspections")
        assert {c["name"]: c["value"] for c in ctx.cookies()}["gwmap_lang"] == "en"
        day = pg.evaluate("fetch('/api/gwmap/field/today').then(r => r.json())")
        stop = next(s for s in day["stops"] if s["ref"] == third["ref"])
        body = json.dumps({"key": "replay-" + "0" * 20, "ref": stop["ref"], "target": stop["target"],
                           "outcome": stop["outcomes"][0], "stage": stop["stage"], "version": stop["version"],
                           "lon": stop["lon"], "lat": stop["lat"], "accuracy": 5, "photos": []})
        post = ("b => fetch('/api/gwmap/field/inspections', {method: 'POST', headers: {'content-type': "
                "'application/json'}, body: b}).then(async r => [r.status, await r.json()])")
        first, again = pg.evaluate(post, body), pg.evaluate(post, body)
        assert first[0] == again[0] == 200 and again[1]["replayed"] and again[1]["step_id"] == first[1]["step_id"]
    finally:
        ctx.close()
    store = Store(f"sqlite:///{server.data_dir / 'gwmap.sqlite'}")
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(FieldSubmission)
                        .where(FieldSubmission.key == "replay-" + "0" * 20)) == 1
    store.dispose()

    ctx, pg = _phone(browser, third["lon"], third["lat"])
    try:
        pg.goto(server + "/field/")
        status = pg.evaluate("fetch('/api/gwmap/field/today').then(r => r.status)")
        assert status == 401 and pg.locator("#f-user").is_visible()  # signed out: the page's own sign-in
        assert not pg.locator("#tabs").is_visible()  # and no tabs for a day it cannot show
        pg.locator("#f-user").fill("enforce")
        pg.locator("#f-pass").fill("not-the-password")
        pg.get_by_role("button", name="登录").tap()
        pg.get_by_text("用户名或密码不正确").wait_for(timeout=15_000)  # in Chinese, on the form
        _sign_in(pg, server, "leader", "gwmap-leader")
        pg.get_by_text("此页面供执法人员使用").wait_for(timeout=15_000)
        assert pg.evaluate("fetch('/api/gwmap/field/today').then(r => r.status)") == 403
    finally:
        ctx.close()


def test_an_officer_signing_in_on_a_phone_lands_on_todays_work(browser, server, stops):
    from tests.browser.conftest import sign_in

    ctx, pg = _phone(browser, float(stops.iloc[0]["lon"]), float(stops.iloc[0]["lat"]))
    try:
        sign_in(pg, server, "enforce", "gwmap-enforce", keep=False)  # the desktop form, on the phone; the app
        # itself must wait for the session cookie before it moves to /field/
        pg.wait_for_url("**/field/", timeout=60_000)
        pg.locator("#stops li").first.wait_for(timeout=60_000)  # the same session: no second sign-in
        assert pg.locator("#stops li").count() == len(stops)
    finally:
        ctx.close()
    ctx, pg = _phone(browser, float(stops.iloc[0]["lon"]), float(stops.iloc[0]["lat"]))
    try:
        sign_in(pg, server, "leader", "gwmap-leader")
        pg.get_by_text("冠县地下水超采治理情况").first.wait_for(timeout=60_000)
        pg.wait_for_timeout(1500)
        assert "/field" not in pg.url  # a leader keeps the dashboard
    finally:
        ctx.close()
