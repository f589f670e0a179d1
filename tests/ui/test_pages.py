"""Every page through Streamlit's AppTest, in Chinese and in English."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from datetime import date, datetime, timedelta

import openpyxl
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from gwmap import clock
from gwmap.config import PROJECT_ROOT
from gwmap.i18n import translate
from gwmap.store import Store, repo
from gwmap.store.users import CurrentUser
from gwmap.ui.state import LANG_KEY, USER_KEY
from tests.conftest import signed_in
from tests.ui.conftest import app_opener

LANGS = ["zh"]  # behaviour in Chinese; each page once in English: tests/ui/test_english.py


def shown(key: str, lang: str, **params) -> str:
    """A message as the page sends it: text parameters escaped for Markdown (gwmap.ui.i18n.t)."""
    from gwmap.ui.i18n import md_text

    return translate(key, lang, **{k: md_text(v) if isinstance(v, str) else v for k, v in params.items()})
ADMIN = CurrentUser("admin", "admin", "系统管理员")
LEADER = CurrentUser("leader", "leader", "局领导")


@pytest.fixture
def make_app(demo_db_path, monkeypatch):
    yield app_opener(demo_db_path, monkeypatch)
    st.cache_resource.clear()


def _store(demo_db_path) -> Store:
    return Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")


@pytest.mark.parametrize("lang", LANGS)
def test_login_page_and_demo_banner(make_app, lang):
    at = make_app(lang)
    assert at.warning[0].value == translate("app.demo_banner", lang)
    assert at.title[0].value == translate("app.title", lang)
    assert [w.label for w in at.text_input] == [translate("login.username", lang), translate("login.password", lang)]


def _sign_in(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


@pytest.mark.parametrize("lang", LANGS)
def test_outside_demo_mode_the_demo_accounts_are_disabled_and_the_page_says_so(make_app, monkeypatch, lang):
    monkeypatch.setenv("GWMAP_DEMO", "0")
    st.cache_resource.clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=90)
    at.session_state[LANG_KEY] = lang
    at.run()
    assert not at.warning  # no demo banner
    assert at.info[0].value == shown("app.demo_accounts_disabled", lang, names="admin, enforce, hydro, leader")
    at = _sign_in(at, "admin", "gwmap-admin")
    assert at.error[0].value == translate("err.auth.failed", lang) and USER_KEY not in at.session_state


@pytest.mark.parametrize("lang", LANGS)
def test_a_bug_on_a_page_shows_a_message_with_an_error_id_not_a_traceback(make_app, monkeypatch, caplog, lang):
    import gwmap.registry

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in query_wells")

    monkeypatch.setenv("GWMAP_DEBUG", "0")  # as deployed
    monkeypatch.setattr(gwmap.registry, "query_wells", broken)
    at = make_app(lang, LEADER, "pages/registry.py")
    assert not at.exception
    message = at.error[0].value
    error_id = message.split(translate("app.unexpected_error", lang, id="@").split("@")[0])[1][:8]
    assert message == translate("app.unexpected_error", lang, id=error_id)
    assert any(error_id in r.getMessage() and r.exc_info for r in caplog.records)  # the log has the traceback


@pytest.mark.parametrize("lang", LANGS)
def test_wrong_password_is_refused_plainly(make_app, lang):
    at = _sign_in(make_app(lang), "admin", "not-the-password")
    assert at.error[0].value == translate("err.auth.failed", lang)
    assert USER_KEY not in at.session_state


@pytest.mark.parametrize("lang", LANGS)
def test_sign_in_opens_the_one_map(make_app, lang):
    at = _sign_in(make_app(lang), "leader", "gwmap-leader")
    assert at.session_state[USER_KEY].role == "leader"
    assert at.header[0].value == translate("dash.header", lang)  # a leader lands on the dashboard


@pytest.mark.parametrize("lang", LANGS)
def test_one_map_figures(make_app, demo_db_path, lang):
    at = make_app(lang, LEADER, "pages/onemap.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("onemap.metric.wells", lang)] == "3,000"
    assert metrics[translate("onemap.metric.area", lang)] == "1,161.0"
    leads = repo.leads_frame(_store(demo_db_path))
    assert metrics[translate("onemap.metric.leads_overdue", lang)] == str(int(leads.overdue.sum()))
    assert any(translate("onemap.schematic_notice", lang) in c.value for c in at.caption)
    from gwmap.sealing import progress_for_year

    p = progress_for_year(_store(demo_db_path))
    assert translate("onemap.sealing", lang, year=int(p.year), done=int(p.accepted), target=int(p.target_wells),
                     cut=f"{p.cut_m3:,.0f}") in [c.value for c in at.caption]
    # the navigation a leader gets: every page but the administrator's two
    assert _navigation(at) == ALL_PAGES - {"accounts", "audit"}


def _navigation(at) -> set[str]:
    """The pages app.py's st.navigation registered for this session (what the sidebar lists), by file name."""
    from pathlib import Path

    return {Path(str(info["script_path"])).stem for info in at._registered_pages.values() if info.get("script_path")}


ALL_PAGES = {p.stem for p in (PROJECT_ROOT / "pages").glob("*.py")}


def test_an_administrator_gets_every_page_in_the_navigation(make_app):
    assert _navigation(make_app("zh", ADMIN, "pages/onemap.py")) == ALL_PAGES


@pytest.mark.parametrize("lang", LANGS)
def test_township_filter(make_app, demo_db_path, lang):
    at = make_app(lang, ADMIN, "pages/onemap.py")
    wells = repo.wells_frame(_store(demo_db_path))
    code = "371525107"  # 店子镇
    at.selectbox(key="onemap_township").select(code).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("onemap.metric.wells", lang)] == f"{int((wells.township_code == code).sum()):,}"


@pytest.mark.parametrize("lang", LANGS)
def test_boundaries_page_for_admin(make_app, lang):
    at = make_app(lang, ADMIN, "pages/boundaries.py")
    assert at.header[0].value == translate("boundaries.header", lang)
    assert "1,161.0" in at.info[0].value
    hist = at.dataframe[0].value
    assert len(hist) == 1 and hist.iloc[0][translate("boundaries.history.current", lang)] == "✓"
    assert at.selectbox(key="boundaries_crs").options[0] == translate("crs.file", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_boundaries_page_is_read_only_for_leader(make_app, lang):
    at = make_app(lang, LEADER, "pages/boundaries.py")
    assert at.caption[-1].value == translate("boundaries.read_only", lang) or any(
        c.value == translate("boundaries.read_only", lang) for c in at.caption)
    assert not [s for s in at.selectbox if s.key == "boundaries_crs"]


@pytest.mark.parametrize("lang", LANGS)
def test_accounts_page_creates_a_user(make_app, demo_db_path, lang):
    at = make_app(lang, ADMIN, "pages/accounts.py")
    at.text_input[0].input("zhao")
    at.text_input[1].input("执法二队")
    at.selectbox[0].select("enforcement")
    at.text_input[2].input("Xd-2026-duiwu")
    at.button[0].click().run()
    assert at.success[0].value == translate("accounts.created", lang, username="zhao")
    assert "zhao" in list(at.dataframe[0].value.iloc[:, 0])
    # a form without a chosen role (as the browser shows it after a submit clears the form) is refused
    at.selectbox[0].set_value(None)
    at.text_input[0].input("qian")
    at.text_input[2].input("Xd-2026-duiwu")
    at.button[0].click().run()
    assert at.error[0].value == translate("err.user.no_role", lang)
    assert "qian" not in list(at.dataframe[0].value.iloc[:, 0])
    at.text_input[0].input("qian")
    at.selectbox[0].select("leader")
    at.text_input[2].input("short")
    at.button[0].click().run()
    assert at.error[0].value == translate("err.user.password_short", lang, minimum=8)


@pytest.mark.parametrize("lang", LANGS)
def test_accounts_page_refuses_a_leader(make_app, demo_db_path, lang):
    at = make_app(lang, LEADER)
    # the page is not in a leader's menu; opening it anyway is refused and audited
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "accounts.py"), default_timeout=60)
    at.session_state[LANG_KEY] = lang
    signed_in(at, _store(demo_db_path), LEADER)
    at.run()
    assert at.error[0].value == translate("err.permission", lang, permission="users.manage")
    audit = repo.audit_frame(_store(demo_db_path), limit=5)
    assert (audit.action == "denied").any() and (audit.actor == "leader").any()


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", ["accounts.py", "audit.py", "dashboard.py", "registry.py"])
def test_a_page_run_without_app_py_shows_only_the_sign_in_form(make_app, lang, page):
    """Plain ``streamlit run app.py`` serves pages/*.py at their own URLs without app.py until "/" is visited.

    Every page's own check, anonymous, is opened so in a real browser
    (``tests/browser/test_anonymous_browser.py``); here the sign-in on such a page, for the two pages a
    leader may not see and two that show data.
    """
    make_app(lang)  # the environment and caches, as the server has them
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / page), default_timeout=60)
    at.session_state[LANG_KEY] = lang
    at.run()
    assert not at.exception
    assert at.title[0].value == translate("app.title", lang)
    assert [w.label for w in at.text_input] == [translate("login.username", lang), translate("login.password", lang)]
    assert not at.dataframe and not at.metric and not at.header and not at.get("download_button")
    assert not at.get("iframe") and not at.selectbox and not at.get("file_uploader")
    # signing in on that page shows the page itself
    at.text_input[0].input("leader")
    at.text_input[1].input("gwmap-leader")
    at.button[0].click().run()
    assert not at.exception
    if page in ("accounts.py", "audit.py"):  # a leader may not see these: refused, nothing listed
        needed = {"accounts.py": "users.manage", "audit.py": "audit.view"}[page]
        assert at.error[0].value == shown("err.permission", lang, permission=needed)
        assert not at.dataframe
    else:
        assert at.header, page


@pytest.mark.parametrize("lang", LANGS)
def test_a_disabled_account_is_signed_out_on_its_next_click(make_app, demo_db_path, lang):
    at = make_app(lang, LEADER, "pages/registry.py")
    assert at.dataframe
    from sqlalchemy import update

    from gwmap.store.models import User

    with _store(demo_db_path).engine.begin() as conn:
        conn.execute(update(User).where(User.username == "leader").values(active=False))
    at.run()
    assert USER_KEY not in at.session_state
    assert [w.label for w in at.text_input] == [translate("login.username", lang), translate("login.password", lang)]
    assert not at.dataframe


def _zipped_gbk_shapefile(tmp_path, crs_key: str, *, prj: bool = True) -> bytes:
    import io
    import zipfile

    import geopandas as gpd

    from gwmap.crs import resolve_crs
    from tests.conftest import DATA

    folder = tmp_path / "shp"
    folder.mkdir()
    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")[["code", "name", "geometry"]]
    tw.rename(columns={"code": "XZQDM", "name": "XZQMC"}).to_crs(resolve_crs(crs_key)).to_file(
        folder / "乡镇界线.shp", encoding="GBK")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in folder.iterdir():
            if prj or f.suffix != ".prj":
                zf.write(f, f.name)
    return buf.getvalue()


@pytest.mark.parametrize("lang", LANGS)
def test_admin_imports_a_gbk_shapefile_as_a_new_version(make_app, demo_db_path, tmp_path, lang):
    at = make_app(lang, ADMIN, "pages/boundaries.py")
    data = _zipped_gbk_shapefile(tmp_path, "gk3_zone39", prj=False)
    at.file_uploader(key="boundaries_upload").set_value(("乡镇界线.zip", data, "application/zip")).run()
    # no .prj: the user is told to choose the CRS, with the likely one suggested
    assert at.error[0].value == shown("err.crs.missing_file", lang, hint="gk3_zone39")
    at.selectbox(key="boundaries_crs").select("gk3_zone39").run()
    assert not at.error
    assert at.selectbox[1].value == "XZQMC" and at.selectbox[2].value == "XZQDM"  # guessed, user can change
    assert at.metric[0].value == "1,161.0 km²"
    at.main.button[-1].click().run()
    assert at.success[0].value == translate("boundaries.imported", lang, version=2, count=18, area="1,161.0")
    hist = repo.boundary_history(_store(demo_db_path))
    assert [(h.id, h.is_current) for h in hist] == [(2, True), (1, False)]
    info, tw, _ = repo.current_boundaries(_store(demo_db_path))
    assert "崇文街道" in set(tw.name)  # GBK names read right


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_upload_gets_a_message_and_changes_nothing(make_app, demo_db_path, lang):
    at = make_app(lang, ADMIN, "pages/boundaries.py")
    at.file_uploader(key="boundaries_upload").set_value(("边界.zip", b"PK\x03\x04 broken", "application/zip")).run()
    assert at.error[0].value == translate("err.zip.bad", lang)
    assert len(repo.boundary_history(_store(demo_db_path))) == 1


HYDRO = CurrentUser("hydro", "hydrologist", "水资源科")
SURVEYS = PROJECT_ROOT / "data" / "wells"


def _upload_survey(at: AppTest, name: str) -> AppTest:
    at.file_uploader(key="survey_upload").set_value((name, (SURVEYS / name).read_bytes(), "text/csv")).run()
    at.radio(key="sv_kind").set_value("depth").run()
    return at


@pytest.mark.parametrize("lang", LANGS)
def test_broken_survey_shows_every_problem_and_cannot_be_imported(make_app, demo_db_path, lang):
    at = _upload_survey(make_app(lang, HYDRO, "pages/surveys.py"), "survey_2026_autumn_broken.csv")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("surveys.metric.errors", lang)] == "7"
    problems = at.dataframe[0].value
    messages = set(problems[translate("surveys.problem.message", lang)])
    assert translate("err.survey.not_number", lang) in messages
    assert translate("err.survey.duplicate", lang, first=32) in messages
    assert at.error[0].value == translate("err.survey.has_errors", lang, count=7)
    import_button = next(b for b in at.button if b.label == translate("surveys.import", lang))
    assert import_button.disabled
    assert len(list_surveys_of(demo_db_path)) == 32


def list_surveys_of(path):
    from gwmap.surveys import list_surveys

    return list_surveys(_store(path))


@pytest.mark.parametrize("lang", LANGS)
def test_good_survey_is_imported_as_a_new_version(make_app, demo_db_path, lang):
    at = _upload_survey(make_app(lang, HYDRO, "pages/surveys.py"), "survey_2026_autumn.csv")
    import hashlib

    raw = (SURVEYS / "survey_2026_autumn.csv").read_bytes()
    readings = len(pd.read_csv(SURVEYS / "survey_2026_autumn.csv"))  # one reading a row, every row clean
    assert at.success[0].value == shown("surveys.clean", lang, rows=readings)
    assert at.number_input(key="sv_year").value == 2026 and at.selectbox(key="sv_season").value == "autumn"
    next(b for b in at.button if b.label == translate("surveys.import", lang)).click().run()
    label = translate("surveys.label", lang, year=2026, season=translate("surveys.season_name.autumn", lang))
    assert shown("surveys.imported", lang, count=2, code=label, sha=hashlib.sha256(raw).hexdigest()[:12]) in [
        s.value for s in at.success]
    s = list_surveys_of(demo_db_path)
    assert set(s[s.code == "2026-autumn"].version) == {2}
    # the dashboard's cone for the new shallow survey was computed in the import, not on a leader's visit
    from sqlalchemy import select

    from gwmap.store.models import SurfaceRun

    new_shallow = int(s[(s.code == "2026-autumn") & (s.aquifer == "shallow")].id.iloc[0])
    with _store(demo_db_path).session() as ss:
        assert ss.scalars(select(SurfaceRun.id).where(SurfaceRun.survey_id == new_shallow)).all()
    assert any(survey_label_of("2026-autumn", lang) in s_.value and "2026-autumn" not in s_.value
               for s_ in at.success)  # the survey named as people read it
    # the mapping is remembered for the next file from the same source
    from gwmap.surveys import load_mapping

    assert load_mapping(_store(demo_db_path), "survey_2026_autumn").value_kind == "depth"


@pytest.mark.parametrize("lang", LANGS)
def test_leader_sees_surveys_and_hydrograph_but_no_upload(make_app, demo_db_path, lang):
    """The trend of the first well, as pymannkendall and SciPy's Theil–Sen give it from the stored readings."""
    import pymannkendall
    from scipy.stats import theilslopes
    from sqlalchemy import select

    from gwmap.store.models import Measurement, MonitoringWell

    at = make_app(lang, LEADER, "pages/surveys.py")
    assert not [u for u in at.file_uploader if u.key == "survey_upload"]
    assert len(at.dataframe[0].value) == 32
    with _store(demo_db_path).session() as s:
        rows = s.execute(select(Measurement.measured_on, Measurement.depth_to_water_m).join(MonitoringWell)
                         .where(MonitoringWell.mw_code == "JC001").order_by(Measurement.measured_on)).all()
    days = pd.to_datetime(pd.Series([r[0] for r in rows]))
    depth = pd.Series([r[1] for r in rows], dtype=float)
    years = (days - days.iloc[0]).dt.days / 365.25
    metrics = {m.label: m.value for m in at.metric}
    trend = pymannkendall.original_test(depth.to_numpy()).trend.replace(" ", "_")  # increasing / no_trend / …
    assert metrics[translate("surveys.trend", lang)] == translate(f"surveys.trend_is.{trend}", lang)
    assert float(metrics[translate("surveys.sen_slope", lang)]) == pytest.approx(theilslopes(depth, years)[0], abs=0.005)


@pytest.mark.parametrize("lang", LANGS)
def test_surface_page_builds_and_reports(make_app, demo_db_path, lang):
    at = make_app(lang, HYDRO, "pages/surface.py")
    cv = at.dataframe[0].value
    assert list(cv[translate("surface.method", lang)]) == [translate("surface.m.kriging", lang),
                                                           translate("surface.m.idw", lang)]
    # the model family was chosen by leave-one-out error: the kriging row's RMSE is the chosen model's
    head = translate("surface.loo", lang, text="\x00").split("\x00")[0]
    loo = next(c.value for c in at.caption if c.value.startswith(head))
    assert f"{float(cv['RMSE (m)'].iloc[0]):.3f}" in loo
    at.button(key="sf_build").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["RMSE (m)"]) == pytest.approx(float(cv["RMSE (m)"].iloc[0]), abs=1e-3)
    assert metrics[translate("surface.metric.cells", lang)] == "373 × 462"
    # the parameters read as words in the user's language, not as developer text
    from gwmap.i18n import survey_label

    params = next(d.value for d in at.dataframe if translate("cone.col.param", lang) in d.value.columns)
    table = dict(zip(params[translate("cone.col.param", lang)], params[translate("cone.col.value", lang)]))
    assert table[translate("surface.param.method", lang)] == translate("surface.m.kriging", lang)
    assert table[translate("surface.param.survey", lang)] == survey_label("2026-autumn", lang)
    assert "{" not in " ".join(table.values()) and "_" not in " ".join(table)  # no dicts, no raw keys
    at.run()  # the same request again comes from the store: still one stored run
    from sqlalchemy import func, select

    from gwmap.store.models import SurfaceRun

    with _store(demo_db_path).session() as s:
        assert s.scalar(select(func.count()).select_from(SurfaceRun)) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_cone_page_says_how_the_area_changed(make_app, downloads, lang):
    from gwmap.ui.i18n import survey_label

    at = make_app(lang, LEADER, "pages/cone.py")
    area = next(m for m in at.metric if m.label == translate("cone.col.area_km2", lang))
    assert float(area.delta) < 0  # smaller than the same season a year before
    expected = (translate("cone.latest", lang, survey=survey_label("2026-autumn", lang), area=area.value) + " "
                + translate("cone.change.less", lang, km2=f"{abs(float(area.delta)):.1f}"))
    assert at.subheader[0].value == expected
    # the downloads are named for what they hold, in the user's language, with no raw codes
    stem = {"zh": "漏斗区_浅层_2026年秋季", "en": "Cone of depression_Shallow_Autumn 2026"}[lang]
    assert downloads == [f"{stem}.xlsx", f"{stem}.gpkg"]


@pytest.mark.parametrize("lang", LANGS)
def test_surface_page_builds_idw_too_and_offers_downloads(make_app, downloads, lang):
    at = make_app(lang, HYDRO, "pages/surface.py")
    at.radio(key="sf_method").set_value("idw").run()
    idw_rmse = float(at.dataframe[0].value["RMSE (m)"].iloc[1])
    at.button(key="sf_build").click().run()
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["RMSE (m)"]) == pytest.approx(idw_rmse, abs=1e-3)
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [translate("surface.download_tif", lang), translate("surface.download_contours", lang)]
    stem = {"zh": "地下水位面_2026年秋季_浅层_埋深_反距离加权", "en": "Water table_Autumn 2026_Shallow_depth_IDW"}[lang]
    contours = {"zh": "等值线", "en": "contours"}[lang]
    assert downloads[-2:] == [f"{stem}.tif", f"{stem}_{contours}.gpkg"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_surface_page_best_by_cross_validation_averages_what_it_lists(make_app, demo_db_path, lang):
    at = make_app(lang, HYDRO, "pages/surface.py")
    at.radio(key="sf_method").set_value("auto").run()
    assert not at.exception
    table = at.dataframe[0].value
    names = list(table[translate("surface.col.candidate", lang)])
    rmse = list(table["RMSE (m)"])
    assert rmse == sorted(rmse) and len(names) == len(set(names)) >= 12  # 3 models x 3 fits + 3 IDW powers
    assert not any(":" in n or "{" in n for n in names)  # words, not candidate codes
    assert not any(re.search(r"[\u4e00-\u9fff]", n) for n in names) if lang == "en" else True
    averaged = table[table[translate("surface.col.member", lang)] == "✓"]
    # the members are those within 5% of the best, by the table's own figures
    assert list(averaged["RMSE (m)"]) == [e for e in rmse if e <= 1.05 * rmse[0] + 5e-4]
    at.button(key="sf_build").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    caption = next(c.value for c in at.caption if c.value.startswith(translate("surface.auto_caption", lang,
                                                                                  window="\x00", rmse="").split("\x00")[0]))
    assert f"{float(metrics['RMSE (m)']):.3f}" in caption  # the surface's RMSE is the average's leave-one-out
    params = next(d.value for d in at.dataframe if translate("cone.col.param", lang) in d.value.columns)
    rows = dict(zip(params[translate("cone.col.param", lang)], params[translate("cone.col.value", lang)]))
    assert rows[translate("surface.param.method", lang)] == translate("surface.m.auto", lang)
    if len(averaged) > 1:
        assert rows[translate("surface.param.members", lang)].split(translate("surface.members_sep", lang)) == \
            list(averaged[translate("surface.col.candidate", lang)])


@pytest.mark.parametrize("lang", LANGS)
def test_registry_search_filter_and_rollup(make_app, demo_db_path, lang):
    at = make_app(lang, LEADER, "pages/registry.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("registry.metric.wells", lang)] == "3,000"
    at.selectbox(key="rg_use").select("industry").run()
    at.selectbox(key="rg_aq").select("deep").run()
    wells = repo.wells_frame(_store(demo_db_path))
    n = int(((wells.use == "industry") & (wells.aquifer == "deep")).sum())
    assert {m.label: m.value for m in at.metric}[translate("registry.metric.wells", lang)] == f"{n:,}"
    rollup_table = at.dataframe[-1].value
    assert rollup_table[translate("registry.metric.wells", lang)].sum() == 3000
    # a leader sees no edit form and no import
    assert not at.main.get("form") and not [u for u in at.file_uploader if u.key == "rg_upload"]
    # every table on the page shows an empty cell as "—" and keeps its numbers as numbers
    assert {d.proto.placeholder for d in at.dataframe} == {"—"}
    assert pd.api.types.is_integer_dtype(rollup_table[translate("registry.metric.wells", lang)])


@pytest.mark.parametrize("lang", LANGS)
def test_registry_edit_is_audited_and_text_is_escaped(make_app, demo_db_path, lang):
    at = make_app(lang, HYDRO, "pages/registry.py")
    at.text_input(key="rg_text").input("371525107J0001").run()
    at.text_input[1].input("<b>张三</b> ![x](http://evil.example/p.png) :red[注意]")  # the owner field of the edit form
    next(b for b in at.button if b.label == translate("registry.save", lang)).click().run()
    assert at.success[0].value == translate("registry.saved", lang, code="371525107J0001")
    at.run()
    shown = next(m.value for m in at.markdown if translate("field.owner", lang) in m.value)
    # as Markdown source: every construct escaped, so the page shows the text as typed and fetches nothing
    assert r"\<b\>张三\</b\> !\[x\](http\://evil.example/p.png) \:red\[注意\]" in shown
    assert "<b>" not in shown and "](http://" not in shown
    hist = repo.record_history(_store(demo_db_path), "wells",
                               int(repo.wells_frame(_store(demo_db_path)).set_index("well_code").at["371525107J0001", "id"]))
    assert hist.iloc[-1].actor == "hydro" and "张三" in hist.iloc[-1].after
    # the well's history on the page names the field and both values, not developer text like owner=…
    history = next(d.value for d in at.dataframe if translate("audit.changes", lang) in d.value.columns)
    last = history[translate("audit.changes", lang)].iloc[-1]
    assert last.startswith(translate("field.owner", lang) + ": ") and " → <b>张三</b>" in last
    assert "owner=" not in " ".join(history[translate("audit.changes", lang)])
    assert history[translate("audit.action", lang)].iloc[-1] == translate("audit.action_name.update", lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_stale_registry_form_is_refused_with_both_values(make_app, demo_db_path, lang):
    at = make_app(lang, HYDRO, "pages/registry.py")
    at.text_input(key="rg_text").input("371525107J0001").run()
    from gwmap.registry import update_well
    from gwmap.store.users import system_user

    update_well(_store(demo_db_path), system_user("admin"), "371525107J0001", status="filled")  # someone else, meanwhile
    at.text_input[1].input("新户主")
    next(b for b in at.button if b.label == translate("registry.save", lang)).click().run()
    from sqlalchemy import select

    from gwmap.clock import to_local
    from gwmap.store.models import AuditEvent, Well

    with _store(demo_db_path).session() as s:  # the save that came in between: who and when, as stored
        wid = s.scalar(select(Well.id).where(Well.well_code == "371525107J0001"))
        when = s.scalar(select(AuditEvent.at).where(AuditEvent.table_name == "wells", AuditEvent.record_id == str(wid))
                        .order_by(AuditEvent.id.desc()).limit(1))
    assert at.error[0].value == shown("err.conflict.stale", lang, record="371525107J0001", actor="admin",
                                      at=to_local(when).strftime("%Y-%m-%d %H:%M"))
    table = next(d.value for d in at.dataframe if translate("conflict.field", lang) in d.value.columns)
    row = table[table[translate("conflict.field", lang)] == translate("field.status", lang)].iloc[0]
    assert row[translate("conflict.saved", lang)] == translate("vocab.status.filled", lang)
    assert repo.wells_frame(_store(demo_db_path)).set_index("well_code").at["371525107J0001", "status"] == "filled"
    assert repo.wells_frame(_store(demo_db_path)).set_index("well_code").at["371525107J0001", "owner"] != "新户主"


@pytest.mark.parametrize("lang", LANGS)
def test_registry_import_lists_problems(make_app, demo_db_path, lang):


    from gwmap.registry import registry_xlsx

    at = make_app(lang, HYDRO, "pages/registry.py")
    wells = repo.wells_frame(_store(demo_db_path)).head(3).copy()
    wells.loc[wells.index[1], "status"] = "broken"
    at.file_uploader(key="rg_upload").set_value(("台账.xlsx", registry_xlsx(wells), "application/octet-stream")).run()
    assert at.error[0].value == translate("err.survey.has_errors", lang, count=1)
    problems = at.dataframe[-2].value
    assert list(problems[translate("surveys.problem.row", lang)]) == [3]


@pytest.mark.parametrize("lang", LANGS)
def test_registry_import_previews_and_refuses_to_overwrite_later_edits(make_app, demo_db_path, lang):
    from gwmap.registry import registry_xlsx, update_well

    wells = repo.wells_frame(_store(demo_db_path)).head(3).copy()
    exported = registry_xlsx(wells)
    at = make_app(lang, HYDRO, "pages/registry.py")
    at.file_uploader(key="rg_upload").set_value(("台账.xlsx", exported, "application/octet-stream")).run()
    assert translate("registry.preview", lang, added=0, changed=0, unchanged=3) in [i.value for i in at.info]
    code = wells.well_code.iloc[0]
    update_well(_store(demo_db_path), HYDRO, code, owner="系统里改过")  # edited in the app after the export
    edited = wells.copy()
    edited.loc[edited.index[0], "owner"] = "表格里改的"
    at.file_uploader(key="rg_upload").set_value(("台账.xlsx", registry_xlsx(edited),
                                                 "application/octet-stream")).run()
    assert at.error[0].value == shown("err.registry.conflicts", lang, count=1)
    assert not [b for b in at.button if b.key == "rg_import"]  # nothing to import until resolved
    table = next(d.value for d in at.dataframe if translate("conflict.saved", lang) in d.value.columns)
    assert list(table[translate("conflict.saved", lang)]) == ["系统里改过"]
    assert list(table[translate("conflict.yours", lang)]) == ["表格里改的"]


@pytest.mark.parametrize("lang", LANGS)
def test_registry_import_of_an_office_sheet_with_a_title_row_and_its_own_names(make_app, demo_db_path, lang):
    """The office's sheet: a title row, 井主/取水用途/许可水量(万立方米), coordinates in degrees–minutes–seconds."""
    import io

    from openpyxl import Workbook

    from tests.office_files import dms

    wells = repo.wells_frame(_store(demo_db_path)).head(4)
    wb = Workbook()
    ws = wb.active
    ws.append(["机井台账（截至2026年11月30日）"])
    ws.append(["序号", "机井编号", "井主", "取水用途", "含水层", "经度", "纬度", "许可水量(万立方米)", "状态", "联系电话"])
    for i, w in enumerate(wells.itertuples(), 1):
        ws.append([i, w.well_code, f"新户主{i}", "农灌", "浅层" if w.aquifer == "shallow" else "深层", dms(w.lon),
                   round(w.lat, 6), 1.5, "备用", "13900000000"])
    ws.append(["制表人：王五"])
    buf = io.BytesIO()
    wb.save(buf)
    at = make_app(lang, HYDRO, "pages/registry.py")
    at.file_uploader(key="rg_upload").set_value(("台账.xlsx", buf.getvalue(), "application/octet-stream")).run()
    infos = [i.value for i in at.info]
    assert shown("registry.title_rows", lang, title="机井台账（截至2026年11月30日）", row=2, footer="制表人：王五") in infos
    assert shown("registry.preview", lang, added=0, changed=4, unchanged=0) in infos
    next(b for b in at.button if b.key == "rg_import").click().run()
    assert at.success[-1].value == shown("registry.imported", lang, added=0, updated=4, unchanged=0)
    after = repo.wells_frame(_store(demo_db_path)).set_index("well_code").loc[list(wells.well_code)]
    assert list(after.owner) == ["新户主1", "新户主2", "新户主3", "新户主4"]
    assert (after.permitted_m3_per_year == 15_000).all() and (after.status == "sealed_standby").all()
    assert (after.use == "irrigation").all()
    assert (after.lon - wells.set_index("well_code").lon).abs().max() < 2e-6  # DMS to 0.01″: within 0.005″ (0.15 m)


ENFORCE = CurrentUser("enforce", "enforcement", "执法大队")


@pytest.mark.parametrize("lang", LANGS)
def test_lead_workflow_on_the_page(make_app, demo_db_path, lang):
    import io

    from PIL import Image

    at = make_app(lang, ENFORCE, "pages/leads.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("onemap.metric.leads_overdue", lang)] == "7"
    # register at a typed position (a click on the map fills the same fields)
    at.number_input[0].set_value(115.498)
    at.number_input[1].set_value(36.564)
    at.text_area[0].input("<script>alert(1)</script> 田间新井")
    next(b for b in at.button if b.label == translate("leads.register_submit", lang)).click().run()
    import re

    code = re.search(r"XS\d{8}", at.success[0].value).group(0)
    assert at.success[0].value == translate("leads.registered", lang, code=code)
    leads = repo.leads_frame(_store(demo_db_path)).set_index("lead_code")
    assert code in leads.index and leads.at[code, "township_code"] == "371525107"
    # work it: inspect with two photos
    at.selectbox(key="ld_case").select(code).run()
    buf = io.BytesIO()
    Image.new("RGB", (10, 10), (9, 9, 9)).save(buf, "JPEG")
    at.main.radio[-1].set_value("inspected")
    at.text_area[-1].input("核实：在用无证")
    at.file_uploader[-1].set_value([("1.jpg", buf.getvalue(), "image/jpeg"), ("2.jpg", buf.getvalue() + b"x", "image/jpeg")])
    next(b for b in at.button if b.label == translate("leads.submit_step", lang)).click().run()
    assert any(s.value == translate("leads.step_done", lang, code=code, stage=translate("vocab.lead_stage.inspected", lang))
               for s in at.success)
    from gwmap.cases import lead_evidence

    assert len(lead_evidence(_store(demo_db_path), code)) == 2
    # both photos show as thumbnails under the case, captioned with their step and time
    pictures = at.get("image")
    assert len(pictures) == 2
    assert all(translate("vocab.lead_stage.inspected", lang) in i.captions[0] for i in pictures)


@pytest.mark.parametrize("lang", LANGS)
def test_leader_reads_leads_but_cannot_act(make_app, lang):
    at = make_app(lang, LEADER, "pages/leads.py")
    assert not [b for b in at.button if b.label in (translate("leads.register_submit", lang),
                                                     translate("leads.submit_step", lang))]
    assert len(at.dataframe[0].value) == 60


@pytest.mark.parametrize("lang", LANGS)
def test_sealing_progress_and_planning(make_app, demo_db_path, lang):
    at = make_app(lang, HYDRO, "pages/sealing.py")
    texts = [p.proto.text for p in at.get("progress")]
    assert translate("sealing.wells_progress", lang, done=14, target=14) in texts
    assert translate("sealing.cut_progress", lang, done="1,188,000", target="1,150,000") in texts
    wells = repo.wells_frame(_store(demo_db_path))
    code = wells[(wells.status == "in_use")].well_code.iloc[0]
    form_inputs = [ti for ti in at.text_input if ti.label == translate("field.well_code", lang)]
    form_inputs[0].input(code)
    next(b for b in at.button if b.label == translate("sealing.add", lang)).click().run()
    assert at.success[0].value == translate("sealing.saved", lang)
    seal = repo.sealings_frame(_store(demo_db_path))
    assert (seal.well_code == code).any() and seal[seal.well_code == code].stage.iloc[0] == "planned"


@pytest.mark.parametrize("lang", LANGS)
def test_leader_sees_sealing_progress_only(make_app, lang):
    at = make_app(lang, LEADER, "pages/sealing.py")
    assert len(at.get("progress")) >= 4
    assert not [b for b in at.button if b.label == translate("sealing.add", lang)]


@pytest.mark.parametrize("lang", LANGS)
def test_lead_goes_overdue_then_is_closed_on_the_page(make_app, demo_db_path, lang):
    import io
    from datetime import date, datetime

    from PIL import Image

    from gwmap import clock
    from gwmap.cases import lead_steps

    jpg = io.BytesIO()
    Image.new("RGB", (10, 10), (5, 5, 5)).save(jpg, "JPEG")
    code = repo.leads_frame(_store(demo_db_path)).query("stage == 'registered'").lead_code.iloc[0]
    t0 = datetime(2026, 11, 28, 9)

    def step(at, to, **kw):
        at.selectbox(key="ld_case").select(code).run()
        at.main.radio[-1].set_value(to)
        if "deadline" in kw:
            at.date_input[-1].set_value(kw["deadline"])
        if "files" in kw:
            at.file_uploader[-1].set_value(kw["files"])
        next(b for b in at.button if b.label == translate("leads.submit_step", lang)).click().run()
        assert not at.error, at.error[0].value
        return at

    with clock.frozen(t0):
        at = make_app(lang, ENFORCE, "pages/leads.py")
        overdue0 = int({m.label: m.value for m in at.metric}[translate("onemap.metric.leads_overdue", lang)])
        step(at, "inspected", files=[("a.jpg", jpg.getvalue(), "image/jpeg"), ("b.jpg", jpg.getvalue() + b"1", "image/jpeg")])
        step(at, "confirmed")
        step(at, "rectifying", deadline=date(2026, 12, 28))
    with clock.frozen(t0 + timedelta(days=31)):
        at.run()  # a month later the sign-in has long timed out
        assert at.info[0].value == translate("login.session_ended", lang) and not at.metric
        signed_in(at, _store(demo_db_path), ENFORCE)
        at.run()
        overdue = int({m.label: m.value for m in at.metric}[translate("onemap.metric.leads_overdue", lang)])
        assert overdue == overdue0 + 1
        step(at, "reinspected", files=[("fixed.jpg", jpg.getvalue() + b"2", "image/jpeg")])
        step(at, "closed")
    assert list(lead_steps(_store(demo_db_path), code).stage)[-3:] == ["rectifying", "reinspected", "closed"]
    labels = [d.proto.label for d in at.get("download_button")]
    assert translate("leads.export_ledger", lang) in labels and translate("leads.case_docx", lang) in labels


@pytest.mark.parametrize("lang", LANGS)
def test_routes_page_plans_prints_and_saves(make_app, demo_db_path, lang):
    at = make_app(lang, ENFORCE, "pages/routes.py")
    next(b for b in at.button if b.label == translate("routes.plan", lang)).click().run()
    assert not at.exception
    teams = at.dataframe[0].value
    assert at.subheader[0].value == translate("routes.result", lang, n=int(teams[translate("route.stops_col", lang)].sum()),
                                              teams=2)
    assert len(teams) == 2 and (teams[translate("route.hours", lang)] <= 8).all()
    labels = [d.proto.label for d in at.get("download_button")]
    assert labels == [translate("routes.word", lang), "PDF", "Excel", "GPX", "KML"]
    assert not [w for w in at.multiselect if w.key == "rt_crew_members_1"][0].value  # nobody picked for the officer
    at.text_input(key="rt_crew_name_1").set_value("东片执法组")
    at.multiselect(key="rt_crew_members_1").set_value(["enforce"])
    at.button(key="rt_save").click().run()
    today = clock.today().isoformat()  # the page's default day: the county's today
    assert at.success[0].value == shown("routes.saved", lang, id=1, day=today)
    from sqlalchemy import func, select

    from gwmap.store.models import DispatchStop

    with _store(demo_db_path).session() as s:
        assert s.scalar(select(func.count()).select_from(DispatchStop)) == int(teams[translate("route.stops_col", lang)].sum())
    # a fresh visit (a reload) still shows the saved dispatch, its team and member by display name
    again = make_app(lang, ENFORCE, "pages/routes.py")
    saved = again.dataframe[0].value
    row = saved[saved[translate("route.team", lang)] == "东片执法组"].iloc[0]
    assert row[translate("routes.day", lang)] == today and row[translate("routes.saved_members", lang)] == "执法大队"
    assert row[translate("route.stops_col", lang)] == teams[translate("route.stops_col", lang)].iloc[0]
    stops = again.dataframe[1].value
    assert len(stops) == int(teams[translate("route.stops_col", lang)].sum())
    assert stops[translate("route.nav", lang)].str.startswith("https://uri.amap.com/").all()


@pytest.mark.parametrize("lang", LANGS)
def test_routes_page_short_day_says_why_and_far_start_is_refused(make_app, demo_db_path, lang):
    at = make_app(lang, ENFORCE, "pages/routes.py")
    num = {n.label: n for n in at.number_input}
    num[translate("routes.teams", lang)].set_value(1)
    num[translate("routes.hours", lang)].set_value(2.0)
    next(b for b in at.button if b.label == translate("routes.plan", lang)).click().run()
    assert not at.exception and not at.error
    stops, left = at.dataframe[1].value, at.dataframe[2].value
    assert shown("routes.dropped", lang, n=len(left)) in [w.value for w in at.warning]  # as many as it lists
    assert translate("field.village", lang) in stops.columns and stops[translate("field.village", lang)].ne("").any()
    reasons = set(left[translate("routes.reason", lang)])
    assert reasons and reasons <= {translate(f"routes.reason_is.{r}", lang) for r in ("day_too_short", "too_far_for_a_day")}
    # overdue cases are kept before anything else when one team has two hours
    kinds = set(stops[translate("route.kind", lang)])
    assert kinds == {translate("route.kind_name.overdue", lang)}
    num = {n.label: n for n in at.number_input}
    num[translate("routes.start_lon", lang)].set_value(116.9)  # some 110 km east of the county
    next(b for b in at.button if b.label == translate("routes.plan", lang)).click().run()
    assert not at.exception and "116.90000" in at.error[0].value
    # the distance it names, measured here on the ellipsoid from the start to the nearest point of the county
    import re

    import geopandas as gpd
    from pyproj import Geod
    from shapely.geometry import Point
    from shapely.ops import nearest_points

    template = re.escape(translate("err.route.far", lang, limit="50", km="KM", ids="IDS"))
    said = re.fullmatch(template.replace("KM", "(?P<km>[\\d,]+)").replace("IDS", "(?P<ids>.+)"), at.error[0].value)
    assert said, at.error[0].value
    start_lat = num[translate("routes.start_lat", lang)].value
    outline = gpd.GeoSeries([repo.current_boundaries(_store(demo_db_path))[2]], crs=4326).to_crs(32650)
    start = gpd.GeoSeries([Point(116.9, start_lat)], crs=4326).to_crs(32650)
    near = gpd.GeoSeries(list(nearest_points(start.iloc[0], outline.iloc[0])), crs=32650).to_crs(4326)
    km = Geod(ellps="WGS84").inv(near.iloc[0].x, near.iloc[0].y, near.iloc[1].x, near.iloc[1].y)[2] / 1000
    assert abs(int(said["km"].replace(",", "")) - km) <= 1.0


@pytest.mark.parametrize("lang", LANGS)
def test_leader_can_plan_but_not_dispatch(make_app, lang):
    at = make_app(lang, LEADER, "pages/routes.py")
    next(b for b in at.button if b.label == translate("routes.plan", lang)).click().run()
    assert not [b for b in at.button if b.key == "rt_save"]


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_figures_equal_the_store(make_app, demo_db_path, lang):
    from gwmap.targets import enforcement_glance

    at = make_app(lang, LEADER)
    assert at.header[0].value == translate("dash.header", lang)
    assert translate("cone.change.less", lang, km2="X").split("X")[-1].strip("。. ") in at.subheader[0].value
    store = _store(demo_db_path)
    metrics = [(m.label, m.value) for m in at.metric]
    actual = [v for k, v in metrics if k == translate("dash.actual", lang)]
    # one bold label per target, each with its figure beside it, in the same order
    due = translate("targets.due", lang, due="@").split("@")[0]
    labels = [m.value for m in at.markdown if m.value.startswith("**") and due in m.value]
    assert len(actual) == len(labels)
    i = next(i for i, v in enumerate(labels) if v.startswith(f"**{translate('targets.sealed_wells', lang, year=2023)}**"))
    assert actual[i] == "14"  # the 14 wells sealed and accepted in 2023 (data/wells/sealings.csv)
    from sqlalchemy import select

    from gwmap.store.models import PlanTarget

    with store.session() as s:  # every earlier year with targets has its folded section
        years = sorted(s.scalars(select(PlanTarget.year).where(PlanTarget.year < clock.today().year)), reverse=True)
    heads = {y: translate("targets.earlier", lang, year=y) for y in years}
    shown_years = {y for y, head in heads.items() for e in at.expander if e.label.startswith(head)}
    assert shown_years == set(years) and years
    # the enforcement figures are those of the month chosen (last month by default), as its bulletin prints them
    month = at.selectbox(key="dash_month").value
    end = (date(int(month[:4]), int(month[5:]), 1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    g = enforcement_glance(store, today=end)
    assert (translate("dash.overdue_at", lang, day=end.isoformat()), str(g["overdue"])) in metrics
    label = translate("dash.month_label", lang, year=month[:4], month=int(month[5:]))
    assert (translate("dash.closed_in", lang, month=label), str(g["closed_this_month"])) in metrics
    rank = at.dataframe[-1].value
    assert len(rank) == 18 and set(rank[translate("dash.mark", lang)]) >= {translate("dash.mark_is.best", lang),
                                                                         translate("dash.mark_is.worst", lang)}
    assert not [e for e in at.expander if e.label == translate("dash.reclaimed_form", lang)]  # a leader reads only


@pytest.mark.parametrize("lang", LANGS)
def test_hydrologist_enters_reclaimed_water(make_app, demo_db_path, lang):
    from gwmap.targets import reclaimed_table

    at = make_app(lang, HYDRO)
    form_numbers = [n for n in at.number_input if n.label in (translate("dash.sewage_treated", lang),
                                                              translate("dash.reclaimed_used", lang))]
    form_numbers[0].set_value(1e6)
    form_numbers[1].set_value(9e5)
    save = next(b for b in at.button if b.label == translate("sealing.save_plan", lang))
    save.click().run()
    # 2026 already has figures: refused with both values, nothing changed
    assert at.error[0].value == shown("err.conflict.exists", lang, record="2026 industry")
    table = next(d.value for d in at.dataframe if translate("conflict.saved", lang) in d.value.columns)
    assert list(table[translate("conflict.yours", lang)]) == ["1,000,000", "900,000"]
    assert reclaimed_table(_store(demo_db_path)).set_index("year").loc[2026].reclaimed_used_m3 == pytest.approx(7.3e6)
    at.checkbox(key="dash_reclaimed_replace").check()
    next(b for b in at.button if b.label == translate("sealing.save_plan", lang)).click().run()
    assert any(s.value == translate("sealing.saved", lang) for s in at.success)
    row = reclaimed_table(_store(demo_db_path)).set_index("year").loc[2026]
    assert row.reclaimed_used_m3 == pytest.approx(7.3e6 * 0.45 + 9e5, rel=1e-6)


@pytest.mark.parametrize("lang", LANGS)
def test_dashboard_makes_the_bulletin(make_app, lang):
    """Last month by default (in county time), Word and PDF from one click, and both stay offered."""
    from datetime import datetime

    from gwmap import clock

    with clock.frozen(datetime(2026, 11, 30, 16, 30)):  # 00:30 on 1 December in Beijing
        at = make_app(lang, LEADER)
        assert at.selectbox(key="dash_month").value == "2026-11"
        assert at.selectbox(key="dash_month").options[0] == translate("dash.month_label", lang, year="2026", month=12)
        at.button(key="dash_bulletin").click().run()
        labels = [translate("dash.download_bulletin", lang), translate("dash.download_bulletin_pdf", lang)]
        assert [d.proto.label for d in at.get("download_button") if d.proto.label in labels] == labels
        at.run()  # another click elsewhere: the files made stay on offer
        assert [d.proto.label for d in at.get("download_button") if d.proto.label in labels] == labels
        at.selectbox(key="dash_month").select("2026-10").run()  # another month: make it first
        assert not [d for d in at.get("download_button") if d.proto.label in labels]


@pytest.mark.parametrize("lang", LANGS)
def test_an_administrator_resets_a_password_and_the_user_must_change_it(make_app, demo_db_path, lang):
    at = make_app(lang, ADMIN, "pages/accounts.py")
    table = at.dataframe[1].value if len(at.dataframe) > 1 else at.dataframe[0].value
    assert set(table[translate("accounts.username", lang)]) >= {"admin", "leader", "hydro", "enforce"}
    at.selectbox(key="ac_who").select("leader").run()
    at.text_input(key="ac_temp").input("Linshi-mima-9").run()
    at.button(key="ac_reset").click().run()
    assert not at.error and at.success[0].value == translate("accounts.done", lang, username="leader")
    table = at.dataframe[0].value.set_index(translate("accounts.username", lang))
    assert table.at["leader", translate("accounts.must_change", lang)] == translate("accounts.yes", lang)

    at = _sign_in(make_app(lang), "leader", "Linshi-mima-9")
    assert at.info[-1].value == translate("password.must_change", lang) and not at.header  # nothing else yet
    form = [w for w in at.text_input if w.label in (translate("password.old", lang), translate("password.new", lang),
                                                   translate("password.again", lang))]
    form[0].input("Linshi-mima-9")
    form[1].input("Lingdao-xin-2026")
    form[2].input("Lingdao-xin-2026")
    next(b for b in at.button if b.label == translate("password.submit", lang)).click().run()
    assert at.header[0].value == translate("dash.header", lang)  # on to the dashboard
    assert at.sidebar.success[0].value == translate("password.changed", lang)
    from gwmap.store.users import authenticate

    assert authenticate(_store(demo_db_path), "leader", "Lingdao-xin-2026").role == "leader"


def _linked(store, lang, user, page, **params) -> AppTest:
    """A page opened by a link carrying ``params`` (as /leads?lead=…), by a signed-in user."""
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / page), default_timeout=90)
    at.session_state[LANG_KEY] = lang
    signed_in(at, store, user)
    at.query_params.update(params)
    return at.run()


@pytest.mark.parametrize("lang", LANGS)
def test_deep_links_open_their_record(make_app, demo_db_path, lang):
    """/leads?lead=XS… and /registry?well=… open that record, even one the page's filters would hide;
    the URL then follows the user's filters and choice, so a reload opens the same record."""
    store = _store(demo_db_path)
    leads = repo.leads_frame(store)
    closed = leads[leads.stage == "closed"].lead_code.iloc[-1]
    at = _linked(store, lang, ENFORCE, "leads.py", lead=closed)
    assert not at.exception and at.selectbox(key="ld_case").value == closed
    # a filter chosen afterwards rules: the case list and the URL follow it
    at.multiselect(key="ld_stage").select("registered").run()
    now = at.selectbox(key="ld_case").value
    assert closed not in at.selectbox(key="ld_case").options and at.query_params["lead"] == now
    other = at.selectbox(key="ld_case").options[-1]
    at.selectbox(key="ld_case").select(other).run()
    assert at.query_params["lead"] == other and at.selectbox(key="ld_case").value == other

    well = repo.wells_frame(store).well_code.iloc[-1]
    at = _linked(store, lang, LEADER, "registry.py", well=well)
    assert not at.exception and at.selectbox(key="rg_well").value == well
    at.query_params["well"] = "NO-SUCH-WELL"
    at.run()
    assert not at.exception and at.selectbox(key="rg_well").value != "NO-SUCH-WELL"


@pytest.mark.parametrize("lang", LANGS)
def test_audit_page_filters_pages_and_reads_in_the_users_language(make_app, demo_db_path, lang):
    from gwmap.registry import update_well

    store = _store(demo_db_path)
    well = repo.wells_frame(store).iloc[0]
    update_well(store, ADMIN, well.well_code, owner="新机主")
    at = make_app(lang, ADMIN, "pages/audit.py")
    assert not at.exception
    col = lambda key: translate(key, lang)  # noqa: E731
    first = at.dataframe[0].value
    assert len(first) == 100  # one page of the whole history, newest first
    at.selectbox(key="au_table").select("wells").run()
    at.text_input(key="au_record").input(str(well.id)).run()
    rows = at.dataframe[0].value
    assert set(rows[col("audit.table")]) == {col("audit.table_name.wells")}
    update = rows[rows[col("audit.action")] == col("audit.action_name.update")].iloc[0]
    assert f"{col('field.owner')}: {well.owner} → 新机主" in update[col("audit.changes")]
    assert "row_version" not in update[col("audit.changes")]
    # a sign-in's recorded expiry reads in county time (stored in UTC)
    from gwmap import clock

    at.selectbox(key="au_table").select("user_sessions").run()
    at.text_input(key="au_record").input("").run()
    login = at.dataframe[0].value.iloc[0]
    expires = clock.to_local(pd.Timestamp(json.loads(repo.audit_search(_store(demo_db_path), repo.AuditQuery(
        table="user_sessions"))[0]["after"].iloc[0])["expires_at"]).to_pydatetime())
    assert f"{col('field.expires_at')}: {expires:%Y-%m-%d %H:%M:%S}" in login[col("audit.changes")]
    at.selectbox(key="au_table").select("wells").run()
    at.text_input(key="au_record").input("").run()
    at.multiselect(key="au_actions").select("insert").run()
    # every registered well's insert, counted by the database
    assert translate("audit.count", lang, total="3,000", first=1, last=100) in [c.value for c in at.caption]
    at.number_input(key=next(k for k in at.session_state if str(k).startswith("au_page_"))).set_value(30).run()
    assert len(at.dataframe[0].value) == 100 and not at.exception
    # the Excel holds every matching event, not only the page shown: made when asked, then offered
    at.button(key="au_export").click().run()
    assert not at.exception
    book = at.session_state["gwmap_val_audit_export"][3]
    sheet = openpyxl.load_workbook(io.BytesIO(book), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == (col("audit.at"), col("audit.actor"))
    with sqlite3.connect(demo_db_path / "gwmap.sqlite") as db:
        inserts = db.execute("SELECT at, actor, record_id FROM audit_events WHERE table_name = 'wells' "
                             "AND action = 'insert' ORDER BY id DESC").fetchall()
    assert len(rows) - 1 == len(inserts) == 3000
    newest_at = datetime.fromisoformat(inserts[0][0]) + timedelta(hours=8)  # stored UTC, read in Beijing time
    assert rows[1][0] == f"{newest_at:%Y-%m-%d %H:%M:%S}" and rows[1][4] == inserts[0][2]
    assert rows[-1][4] == inserts[-1][2] and rows[1][3] == col("audit.table_name.wells")


@pytest.mark.parametrize("lang", LANGS)
def test_overdue_rows_are_red_in_the_case_list(make_app, demo_db_path, lang):
    import re

    from gwmap.cases import work_ledger

    at = make_app(lang, LEADER, "pages/leads.py")
    styles = at.dataframe[0].proto.arrow_data.styler.styles
    red = {int(r) for r in re.findall(r"row(\d+)_col0", styles)}
    overdue = work_ledger(_store(demo_db_path))["overdue"].to_numpy()
    assert red == {i for i, o in enumerate(overdue) if o} and len(red) >= 7  # more as deadlines pass
    assert "#b71c1c" in styles
    import pyarrow as pa

    table = at.dataframe[0].value
    shown = pa.ipc.open_stream(at.dataframe[0].proto.arrow_data.styler.display_values).read_pandas()
    days_left = translate("report.ledger.days_left", lang)
    # an empty cell reads "—", not "None", and the days left still sort as numbers, not as text
    assert table[days_left].isna().any() and pd.api.types.is_integer_dtype(table[days_left])
    assert (shown[days_left][table[days_left].isna().to_numpy()] == "—").all()
    assert not shown.isin(["None", "nan", "<NA>"]).any().any()


@pytest.mark.parametrize("lang", LANGS)
def test_survey_change_defaults_to_the_latest_against_the_same_round_a_year_before(make_app, demo_db_path, lang):
    from gwmap.surveys import list_surveys

    surveys = list_surveys(_store(demo_db_path))
    at = make_app(lang, HYDRO, "pages/surveys.py")
    for aquifer in ("shallow", "deep"):
        at.radio(key="chg_aq").set_value(aquifer).run()
        mine = surveys[surveys.aquifer == aquifer]
        ids = list(mine.id)
        latest = mine.iloc[-1]
        year_before = mine[(mine.year == latest.year - 1) & (mine.season == latest.season)].id.iloc[0]
        assert at.selectbox(key=f"chg_before_{aquifer}").value == year_before  # 2025 autumn against 2026 autumn
        assert at.selectbox(key=f"chg_after_{aquifer}").value == ids[-1]
        assert len(at.selectbox(key=f"chg_after_{aquifer}").options) == len(ids)  # that aquifer's surveys only


@pytest.mark.parametrize("lang", LANGS)
def test_a_step_shows_at_once_and_a_far_photo_is_warned(make_app, demo_db_path, lang):
    from tests.core.test_cases import photo

    leads = repo.leads_frame(_store(demo_db_path))
    lead = leads[leads.stage == "registered"].iloc[0]
    at = make_app(lang, ENFORCE, "pages/leads.py")
    at.selectbox(key="ld_case").select(lead.lead_code).run()
    at.main.radio[-1].set_value("inspected")
    far = photo(lead.lon, lead.lat + 0.01)  # about 1.1 km north of the lead
    at.file_uploader[-1].set_value([("远处.jpg", far, "image/jpeg")])
    next(b for b in at.button if b.label == translate("leads.submit_step", lang)).click().run()
    assert not at.error and not at.exception
    assert at.success[0].value == shown("leads.step_done", lang, code=lead.lead_code,
                                        stage=translate("vocab.lead_stage.inspected", lang))
    warning = next(w.value for w in at.warning if "远处.jpg" in w.value)
    assert "1,112" in warning and "500" in warning
    # the history and the next steps already show the new stage, without another click
    history = at.dataframe[1].value
    assert list(history[translate("field.stage", lang)])[-1] == translate("vocab.lead_stage.inspected", lang)
    assert translate("vocab.lead_stage.confirmed", lang) in at.main.radio[-1].options


@pytest.mark.parametrize("lang", LANGS)
def test_charts_title_their_axes_and_write_dates_in_the_users_language(make_app, lang):
    import json

    from gwmap.ui.charts import DATE_FORMAT

    at = make_app(lang, LEADER)  # the dashboard
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    x, y = spec["encoding"]["x"], spec["encoding"]["y"]
    assert x["title"] == translate("chart.survey_date", lang) and x["axis"]["format"] == DATE_FORMAT[lang]
    assert y["title"] == translate("cone.col.area_km2", lang) and "km²" in y["title"]
    at = make_app(lang, HYDRO, "pages/surveys.py")  # the hydrograph: depth grows downwards
    spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
    assert spec["encoding"]["y"]["scale"]["reverse"] is True
    assert spec["encoding"]["y"]["title"] == translate("chart.depth_m", lang)


WIDGET_KINDS = ("selectbox", "radio", "checkbox", "text_input", "multiselect", "select_slider", "number_input")


def _keyed_values(at) -> dict:
    """Every keyed widget outside a form, with its value (the language switch itself left out)."""
    return {w.key: w.value for kind in WIDGET_KINDS for w in getattr(at, kind)
            if w.key and w.key != LANG_KEY and not w.key.startswith("$$") and not getattr(w, "form_id", "")}


#: per page: who opens it and what they change before switching the language
CHOICES = {
    "dashboard": (LEADER, lambda at: at.selectbox(key="dash_month").select_index(3)),
    "onemap": (LEADER, lambda at: (at.selectbox(key="onemap_township").select_index(2),
                                   at.radio(key="onemap_color_by").set_value("use"))),
    "leads": (LEADER, lambda at: (at.multiselect(key="ld_stage").select("registered"),
                                  at.selectbox(key="ld_case").select_index(1))),
    "registry": (LEADER, lambda at: (at.text_input(key="rg_text").input("J00"),
                                     at.selectbox(key="rg_use").select("industry"))),
    "surveys": (HYDRO, lambda at: at.radio(key="chg_aq").set_value("deep")),
    "surface": (HYDRO, lambda at: (at.radio(key="sf_method").set_value("idw"),
                                   at.radio(key="sf_value").set_value("head_m"))),
    "cone": (LEADER, lambda at: at.selectbox(key="cn_aq").select("deep")),
    "sealing": (HYDRO, lambda at: at.selectbox(key="sl_stage").select("works_done")),
    "boundaries": (ADMIN, lambda at: at.selectbox(key="boundaries_crs").select("cgcs2000")),
    "audit": (ADMIN, lambda at: (at.selectbox(key="au_actor").select_index(1), at.text_input(key="au_record").input("37"))),
    "accounts": (ADMIN, lambda at: at.selectbox(key="ac_who").select_index(1)),
}


@pytest.mark.parametrize("page", sorted(CHOICES))
@pytest.mark.parametrize("lang", LANGS)
def test_switching_the_language_keeps_every_choice_on_the_page(make_app, page, lang):
    user, choose = CHOICES[page]
    at = make_app(lang, user, f"pages/{page}.py")
    untouched = _keyed_values(at)
    choose(at)
    at.run()
    assert not at.exception, at.exception
    chosen = _keyed_values(at)
    assert {k for k in chosen if chosen[k] != untouched.get(k)}, "the choices changed nothing"
    other = "en" if lang == "zh" else "zh"
    at.radio(key=LANG_KEY).set_value(other).run()
    assert not at.exception, at.exception
    assert at.radio(key=LANG_KEY).value == other
    assert _keyed_values(at) == chosen


@pytest.mark.parametrize("lang", LANGS)
def test_registry_pages_on_the_server_and_exports_only_when_asked(make_app, demo_db_path, downloads, lang):
    import io

    import openpyxl

    at = make_app(lang, LEADER, "pages/registry.py")
    table = at.dataframe[0].value
    assert len(table) == 200  # one page of the 3,000, not all of them
    codes = sorted(repo.wells_frame(_store(demo_db_path))["well_code"])
    assert list(table[translate("field.well_code", lang)]) == codes[:200]
    page = next(n for n in at.number_input if n.key.startswith("rg_page_"))
    page.set_value(2).run()
    assert list(at.dataframe[0].value[translate("field.well_code", lang)]) == codes[200:400]
    assert downloads == [file_name_of("file.registry_template", lang)] * 2  # no export built on a plain click
    at.selectbox(key="rg_use").select("industry").run()
    n = int(((repo.wells_frame(_store(demo_db_path))["use"] == "industry")).sum())
    at.button(key="rg_export").click().run()
    assert not at.exception
    offered = [d for d in at.get("download_button") if d.proto.label == translate("registry.export_ready", lang,
                                                                                     n=f"{n:,}")]
    assert len(offered) == 1 and downloads[-2] == file_name_of("file.registry", lang)
    from gwmap.registry import WellQuery, export_wells

    book = openpyxl.load_workbook(io.BytesIO(export_wells(_store(demo_db_path), WellQuery(use="industry"), lang=lang)))
    assert book.active.max_row == n + 1


def survey_label_of(code: str, lang: str) -> str:
    from gwmap.i18n import survey_label

    return survey_label(code, lang)


def file_name_of(key: str, lang: str) -> str:
    return f"{translate(key, lang)}.xlsx"


@pytest.mark.parametrize("page", sorted(CHOICES))
@pytest.mark.parametrize("lang", LANGS)
def test_no_table_has_a_raw_column_name(make_app, page, lang):
    """Every table on every page (the expanders' too) is headed in the user's language, not by field names."""
    import re

    user, _ = CHOICES[page]
    at = make_app(lang, user, f"pages/{page}.py")
    raw = [(i, c) for i, d in enumerate(at.dataframe) for c in d.value.columns
           if isinstance(c, str) and re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+|[a-z]+", c)]
    assert not raw, raw


@pytest.mark.parametrize("lang", LANGS)
def test_reenabling_among_thousands_of_standby_wells_takes_a_typed_code(make_app, demo_db_path, lang):
    """A province's registry has tens of thousands of standby wells: no list of them all, the code is typed,
    and the core still refuses a well that is not on standby."""
    from gwmap.registry import WellQuery, query_wells
    from gwmap.scale import add_synthetic_wells
    from gwmap.store.users import system_user

    store = _store(demo_db_path)
    add_synthetic_wells(store, system_user("demo-loader"), 50_000)
    standby, n = query_wells(store, WellQuery(status="sealed_standby"), per_page=1)
    assert n > 2000
    at = make_app(lang, HYDRO, "pages/sealing.py")
    assert not [s for s in at.selectbox if s.label == translate("field.well_code", lang) and len(s.options) > 2000]
    typed = next(ti for ti in at.text_input if ti.help == translate("sealing.type_code", lang, n=f"{n:,}"))
    approval = next(ti for ti in at.text_input if ti.label == translate("sealing.approval_no", lang))
    in_use = query_wells(store, WellQuery(status="in_use"), per_page=1)[0].well_code.iloc[0]
    typed.input(in_use)
    approval.input("冠水审〔2026〕7号")
    next(b for b in at.button if b.label == translate("sealing.reenable", lang)).click().run()
    assert at.error and query_wells(store, WellQuery(status="in_use", text=in_use))[1] == 1
    code = standby.well_code.iloc[0]
    next(ti for ti in at.text_input if ti.help == translate("sealing.type_code", lang, n=f"{n:,}")).input(code)
    next(ti for ti in at.text_input if ti.label == translate("sealing.approval_no", lang)).input("冠水审〔2026〕7号")
    next(b for b in at.button if b.label == translate("sealing.reenable", lang)).click().run()
    assert at.success[0].value == translate("sealing.saved", lang)
    assert query_wells(store, WellQuery(status="in_use", text=code))[0].well_code.tolist() == [code]
    with store.session() as s:
        from sqlalchemy import select

        from gwmap.store.models import AuditEvent

        events = [(e.action, e.actor, e.after) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.table_name == "wells", AuditEvent.action == "reenable"))]
    assert len(events) == 1 and events[0][1] == "hydro" and "冠水审〔2026〕7号" in events[0][2]


@pytest.mark.parametrize("lang", LANGS)
def test_county_page_profile_and_targets(make_app, demo_db_path, lang):
    from gwmap.targets import targets_frame

    at = make_app(lang, LEADER, "pages/county.py")
    assert at.header[0].value == translate("county.header", lang)
    assert not at.main.get("form")  # a leader reads the profile and the targets, changes nothing
    assert translate("county.read_only", lang) in [c.value for c in at.caption]
    years = list(at.dataframe[-1].value[translate("county.col.year", lang)])
    assert years == [2023, 2024, 2025, 2026]
    at = make_app(lang, CurrentUser("hydro", "hydrologist", "水资源科"), "pages/county.py")
    assert not [b for b in at.button if b.label == translate("county.save", lang)]  # the profile is the admin's
    year = next(n for n in at.number_input if n.label == translate("sealing.year", lang))
    assert year.value is None  # no default year (nor figures) a stray Enter could store
    next(b for b in at.button if b.label == translate("county.save_targets", lang)).click().run()
    assert at.error[0].value == translate("err.targets.year", lang, value="None")
    year = next(n for n in at.number_input if n.label == translate("sealing.year", lang))
    year.set_value(2027)
    next(n for n in at.number_input if n.label == translate("county.col.sealed_wells", lang)).set_value(30)
    next(n for n in at.text_input if n.label == translate("county.source", lang)).input("2027年度封井计划")
    next(b for b in at.button if b.label == translate("county.save_targets", lang)).click().run()
    assert at.success[0].value == translate("county.targets_saved", lang, year=2027)
    row = targets_frame(_store(demo_db_path)).set_index("year").loc[2027]
    assert row.sealed_wells == 30 and pd.isna(row.cut_m3) and row.source == "2027年度封井计划"
    at = make_app(lang, ADMIN, "pages/county.py")
    threshold = next(n for n in at.number_input if n.label == translate("county.cone_threshold_m", lang))
    threshold.set_value(350.0)  # a depth no cone rule takes
    next(b for b in at.button if b.label == translate("county.save", lang)).click().run()
    assert at.error[0].value == translate("err.county.threshold", lang, value="350.0")


@pytest.mark.parametrize("lang", LANGS)
def test_a_cone_threshold_that_takes_in_the_county_is_called_out(make_app, demo_db_path, lang):
    from gwmap.county import set_profile
    from gwmap.store.users import system_user

    set_profile(_store(demo_db_path), system_user("admin", "t"), cone_threshold_m=1.0)  # every well is deeper
    at = make_app(lang, LEADER)
    assert translate("dash.cone_rule_depth", lang, threshold="1") in [c.value for c in at.caption]
    # the share it names: the cone's area as the page states it, over the county's stored area
    import re

    area = float(re.search(r"([\d,.]+) km²", at.subheader[0].value).group(1).replace(",", ""))
    county_km2 = repo.current_boundaries(_store(demo_db_path))[0].county_area_km2
    assert area / county_km2 > 0.9
    assert translate("warn.dash.cone_too_wide", lang, share=f"{area / county_km2:.0%}", threshold="1") in [
        w.value for w in at.warning]


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_links_officers_to_the_field_page_and_not_leaders(make_app, lang):
    def links(at):
        return [(b.proto.label, b.proto.url) for b in at.get("link_button")]

    assert links(make_app(lang, ENFORCE)) == [(translate("dash.field_link", lang), "/field/")]
    assert links(make_app(lang, LEADER)) == []


@pytest.mark.parametrize("lang", LANGS)
def test_the_lead_page_shows_what_phones_sent_with_their_flags_and_conflicts(make_app, demo_db_path, lang):
    import base64
    import io

    from PIL import Image

    from gwmap.field import OUTCOMES, parse_report, submit

    store = _store(demo_db_path)
    leads = repo.leads_frame(store)
    lead = leads[leads.stage == "registered"].iloc[0]
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), (100, 140, 90)).save(buf, "JPEG")
    body = {"key": "ui-field-" + "1" * 12, "ref": lead.lead_code, "outcome": "pumping", "stage": "registered",
            "version": int(lead.row_version), "lon": lead.lon + 0.02, "lat": lead.lat, "accuracy": 75,
            "photos": [{"data": base64.b64encode(buf.getvalue()).decode()}]}
    stored = submit(store, ENFORCE, parse_report(body), evidence_dir=demo_db_path / "evidence")
    again = {**body, "key": "ui-field-" + "2" * 12, "outcome": "not_found"}  # from the stage the phone still shows
    conflict = submit(store, ENFORCE, parse_report(again), evidence_dir=demo_db_path / "evidence")
    assert stored.status == "stored" and conflict.status == "conflict" and "pumping" in OUTCOMES["registered"]
    at = _linked(store, lang, ENFORCE, "leads.py", lead=lead.lead_code)
    assert not at.exception
    sent = next(d.value for d in at.dataframe if translate("leads.field_status", lang) in d.value.columns)
    assert list(sent[translate("leads.field_status", lang)]) == [translate("leads.field_status_is.conflict", lang),
                                                                 translate("leads.field_status_is.stored", lang)]
    assert set(sent[translate("audit.actor", lang)]) == {"执法大队（enforce）"}  # display names, with the account
    flags = sent[translate("leads.field_flags", lang)]
    assert set(flags.iloc[1].split(translate("list.sep", lang))) == {  # ±75 m, some 1.8 km east of the lead
        translate("leads.field_flag.far", lang), translate("leads.field_flag.rough_position", lang)}
    assert flags.iloc[0] == translate("leads.field_conflict", lang, stage=translate("vocab.lead_stage.inspected", lang))


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_reads_levels_year_on_year_at_the_same_wells(make_app, demo_db_path, lang):
    from tests.core.test_levels import _pairs

    at = make_app(lang, LEADER)
    latest = "2026-autumn"  # the demo's latest shallow round
    assert at.selectbox(key="dash_lv_round_shallow").value == latest
    assert at.selectbox(key=f"dash_lv_compare_shallow_{latest}").value == "2025-autumn"  # the same round a year before
    pairs = _pairs(_store(demo_db_path), "2026-autumn", "2025-autumn")
    rise = pairs["before"] - pairs["after"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("levels.wells", lang)] == f"{len(pairs):,}"
    assert metrics[translate("levels.mean_change", lang)] == f"{rise.mean():+.2f} m"
    assert metrics[translate("levels.by_wells", lang)] == (
        f"{(rise > 0.5).sum()} / {((rise >= -0.5) & (rise <= 0.5)).sum()} / {(rise < -0.5).sum()}")
    table = next(d.value for d in at.dataframe if translate("levels.col.classes", lang) in d.value.columns)
    assert len(table) == 18 and table[translate("levels.wells", lang)].sum() == len(pairs)  # every township
    at.number_input(key="dash_lv_band").set_value(2.0).run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[translate("levels.by_wells", lang)].split(" / ")[1] == str(int(((rise >= -2) & (rise <= 2)).sum()))


@pytest.mark.parametrize("lang", LANGS)
def test_a_search_that_finds_nothing_says_so_in_words(make_app, lang):
    at = make_app(lang, HYDRO, "pages/registry.py")
    at.text_input(key="rg_text").input("没有这样的井-XYZ").run()
    captions = [c.value for c in at.caption]
    assert translate("registry.none_found", lang) in captions and translate("ui.table_empty", lang) in captions
    assert not any("0–0" in c for c in captions)
    assert all(len(d.value) for d in at.dataframe)  # no empty grid with its English "empty"


@pytest.mark.parametrize("lang", LANGS)
def test_surveys_page_shows_the_stored_rainfall_and_the_change_beside_it(make_app, demo_db_path, lang):
    import sqlite3

    with sqlite3.connect(demo_db_path / "gwmap.sqlite") as db:
        n, first, last = db.execute("SELECT COUNT(*), MIN(month), MAX(month) FROM rainfall_months").fetchone()
        total_2025 = db.execute("SELECT SUM(mm) FROM rainfall_months WHERE month LIKE '2025-%'").fetchone()[0]
    assert n > 24
    at = make_app(lang, HYDRO, "pages/surveys.py")
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(translate("rain.stored", lang, station="冠县气象站", first=first, last=last, months=f"{n:,}") == c
               for c in captions)
    years = next(d.value for d in at.dataframe if translate("rain.col.total", lang) in d.value.columns)
    row = years[years[translate("rain.col.year", lang)] == "2025"].iloc[0]
    assert row[translate("rain.col.total", lang)] == pytest.approx(total_2025, abs=0.1)
    assert row[translate("rain.col.months", lang)] == 12
    text = " ".join(m.value for m in at.markdown)
    assert translate("rain.method", lang).split("{")[0] not in text  # the method is a caption under the figures
    departure_start = translate("rain.departure", lang).split("{")[0]
    assert departure_start in text  # the latest round against a year before, with its rainfall


@pytest.mark.parametrize("lang", LANGS)
def test_surveys_page_gives_the_quarter_on_a_year_before_from_the_loggers(make_app, demo_db_path, lang):
    from gwmap.levels import quarter_on_year

    at = make_app(lang, HYDRO, "pages/surveys.py")
    assert not at.exception
    assert at.selectbox(key="q_pick_shallow").value == "2026Q3"  # the newest quarter with a year before
    lc = quarter_on_year(_store(demo_db_path), "2026Q3")
    table = next(d.value for d in at.dataframe if translate("surveys.wells_both", lang) in d.value.columns
                 and (d.value[translate("field.township", lang)] == translate("surveys.county", lang)).any()
                 and d.value[translate("surveys.wells_both", lang)].max() == lc.county["wells"])
    county = table[table[translate("field.township", lang)] == translate("surveys.county", lang)].iloc[0]
    assert county[translate("levels.col.rise_m", lang)] == pytest.approx(round(lc.county["mean_change_m"], 2))
    assert translate("quarter.note", lang, band="0.5") in [c.value for c in at.caption]
    at.selectbox(key="q_pick_shallow").select("2025Q3").run()
    assert not at.exception


@pytest.mark.parametrize("lang", LANGS)
def test_cone_page_lists_the_zones_with_their_areas_and_the_cone_inside(make_app, demo_db_path, lang):
    import sqlite3

    with sqlite3.connect(demo_db_path / "gwmap.sqlite") as db:
        stored = dict(db.execute("SELECT name, area_km2 FROM overdraft_zones WHERE current").fetchall())
    at = make_app(lang, HYDRO, "pages/cone.py")
    assert not at.exception
    table = next(d.value for d in at.dataframe if translate("zone.col.area", lang) in d.value.columns)
    got = dict(zip(table[translate("zone.col.name", lang)], table[translate("zone.col.area", lang)], strict=True))
    assert got == {k: pytest.approx(round(v, 1)) for k, v in stored.items()}
    severe = table[table[translate("zone.col.grade", lang)] == translate("zone.severe", lang)].iloc[0]
    assert 0 < severe[translate("zone.col.cone", lang)] <= severe[translate("zone.col.area", lang)]
