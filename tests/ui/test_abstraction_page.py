"""The abstraction ledger page (issue 13) through AppTest, in Chinese and in English."""

from __future__ import annotations

import pytest
import streamlit as st

from gwmap.demo import PLANTED_LEVEL_ANOMALY
from gwmap.i18n import translate
from gwmap.ledger import year_ledger
from gwmap.store import Store, repo
from gwmap.store.users import CurrentUser
from tests.ui.conftest import app_opener

LANGS = ["zh"]  # behaviour in Chinese; each page once in English: tests/ui/test_english.py
LEADER = CurrentUser("leader", "leader", "局领导")
HYDRO = CurrentUser("hydro", "hydrologist", "水资源科")
ENFORCER = CurrentUser("enforce", "enforcement", "执法大队")
PAGE = "pages/abstraction.py"


@pytest.fixture
def data_dir(power_db_path):
    return power_db_path


@pytest.fixture
def store(data_dir):
    s = Store(f"sqlite:///{data_dir / 'gwmap.sqlite'}")
    yield s
    s.dispose()


@pytest.fixture
def open_page(data_dir, monkeypatch):
    make = app_opener(data_dir, monkeypatch, timeout=180)
    yield lambda lang, user: make(lang, user, PAGE)
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", LANGS)
def test_a_leader_reads_the_ledger_and_the_queue_but_cannot_act(open_page, store, lang):
    at = open_page(lang, LEADER)
    assert at.header[0].value == translate("abs.header", lang)
    led, base = year_ledger(store, 2025), year_ledger(store, 2022)  # last whole year; the first with records
    metrics = {m.label: m.value for m in at.metric}

    def vol(m3):  # as the plan writes volumes: 万m³ (million m³ in English)
        return translate("abs.volume", lang, v=f"{m3 / 1e4:,.1f}" if lang == "zh" else f"{m3 / 1e6:,.2f}")

    assert metrics[translate("abs.total", lang)] == vol(led.total_m3)
    assert metrics[translate("abs.baseline_total", lang, year=2022)] == vol(base.total_m3)
    assert metrics[translate("abs.cut", lang)] == vol(base.total_m3 - led.total_m3)
    from sqlalchemy import select

    from gwmap.store.models import PlanTarget

    with store.session() as s:  # the plan's cut for 2025 (its row in plan_targets: the demo's sealing plan)
        goal = s.scalar(select(PlanTarget.cut_m3).where(PlanTarget.year == 2025))
    assert metrics[translate("abs.plan_cut", lang)] == vol(goal)
    for src, v in led.by_source().items():
        assert metrics[translate(f"abs.source.{src}", lang)] == vol(v)
    # the townships table adds up to the county
    tw = next(d.value for d in at.dataframe if translate("abs.col.wells", lang) in d.value.columns)
    assert tw[translate("abs.col.m3", lang)].sum() == pytest.approx(led.total_m3, abs=len(tw))
    # no upload, no accept or dismiss, but the queue is there with every reason the demo plants
    assert not at.get("file_uploader")
    assert translate("abs.screen_read_only", lang) in [i.value for i in at.info]
    labels = [tab.label for tab in at.tabs]
    for reason in ("power_after_sealing", "unknown_meter", "power_without_well", "over_permit", "expired_permit",
                   "level_anomaly"):
        assert any(label.startswith(translate(f"screen.reason.{reason}", lang)) for label in labels), reason
    assert not [b for b in at.button if b.label == translate("abs.screen_accept", lang)]
    # codes are shown in words: the over-permit figures name their sources in the user's language
    over = next(tab for tab in at.tabs if tab.label.startswith(translate("screen.reason.over_permit", lang)))
    summary = " ".join(over.dataframe[0].value[translate("screen.col.summary", lang)].astype(str))
    assert translate("abs.source.electricity", lang) in summary
    if lang == "zh":
        assert "electricity" not in summary and "metered" not in summary


def _power_file(rows: list[str]) -> bytes:
    return ("户号,电表号,年月,用电量kWh,用电类别\n" + "".join(r + "\n" for r in rows)).encode("gbk")


@pytest.mark.parametrize("lang", LANGS)
def test_a_broken_power_file_lists_every_problem_and_stores_nothing(open_page, store, lang):
    from gwmap.abstraction import latest_power

    before = len(latest_power(store))
    at = open_page(lang, HYDRO)
    raw = _power_file(["3700000001,372200000001,2026-03,1830,农业排灌",
                       "3700000002,372200000002,2026-13,900,农业排灌",     # no such month
                       "3700000003,372200000003,2026-04,-5,农业排灌",      # negative
                       "3700000004,372200000004,2026-04,九百,农业排灌"])    # not a number
    at.file_uploader(key="abs_upload_power").set_value(("国网用电.csv", raw, "text/csv")).run()
    assert not at.exception, at.exception
    problems = next(d.value for d in at.dataframe if translate("abs.problem.message", lang) in d.value.columns)
    assert sorted(problems[translate("abs.problem.row", lang)]) == [3, 4, 5]  # the file's own row numbers
    messages = set(problems[translate("abs.problem.message", lang)])
    assert translate("err.power.kwh_negative", lang) in messages and translate("err.power.kwh", lang) in messages
    assert at.error[0].value == translate("abs.has_problems", lang, count=3)
    assert next(b for b in at.button if b.label == translate("abs.import", lang)).disabled
    assert len(latest_power(store)) == before


@pytest.mark.parametrize("lang", LANGS)
def test_a_clean_power_file_is_imported_and_kept_by_its_hash(open_page, store, data_dir, lang):
    import hashlib

    from gwmap.abstraction import latest_power

    at = open_page(lang, HYDRO)
    raw = _power_file(["3700000001,372200000001,2026-10,1830,农业排灌"])
    at.file_uploader(key="abs_upload_power").set_value(("国网用电.csv", raw, "text/csv")).run()
    assert at.success[0].value == translate("abs.clean", lang, rows=1)
    next(b for b in at.button if b.label == translate("abs.import", lang)).click().run()
    assert not at.exception, at.exception
    sha = hashlib.sha256(raw).hexdigest()
    assert translate("abs.imported", lang, rows=1, first="2026-10", last="2026-10", sha=sha[:12]) in \
        [s.value for s in at.success]
    power = latest_power(store)
    assert power[power.meter_no == "372200000001"]["kwh"].tolist() == [1830.0]
    assert (data_dir / "uploads").glob(f"{sha}*")


@pytest.mark.parametrize("lang", LANGS)
def test_an_enforcer_accepts_the_level_anomaly_and_dismisses_needs_a_reason(open_page, store, lang):
    at = open_page(lang, ENFORCER)
    tab = next(tab for tab in at.tabs if tab.label.startswith(translate("screen.reason.level_anomaly", lang)))
    # dismissing without a reason is refused with the message, and nothing is recorded
    next(b for b in tab.button if b.label == translate("abs.screen_dismiss", lang)).click().run()
    assert translate("err.screen.why", lang) in [e.value for e in at.error]
    leads_before = len(repo.leads_frame(store))
    tab = next(tab for tab in at.tabs if tab.label.startswith(translate("screen.reason.level_anomaly", lang)))
    next(b for b in tab.button if b.label == translate("abs.screen_accept", lang)).click().run()
    assert not at.exception, at.exception
    leads = repo.leads_frame(store)
    assert len(leads) == leads_before + 1
    new = leads[leads.source == "data_screening"].iloc[0]
    mw = repo.monitoring_wells_frame(store).set_index("mw_code").loc[PLANTED_LEVEL_ANOMALY]
    assert (round(new.lon, 6), round(new.lat, 6)) == (round(mw.lon, 6), round(mw.lat, 6))
    assert at.success[-1].value == translate("abs.screen_accepted", lang, code=new.lead_code)
    # the suggestion left the queue and is listed as decided, with its lead
    assert not any(tab.label.startswith(translate("screen.reason.level_anomaly", lang)) for tab in at.tabs)
    decided = next(d.value for d in at.dataframe if translate("screen.col.lead", lang) in d.value.columns)
    assert decided[translate("screen.col.lead", lang)].tolist() == [new.lead_code]


@pytest.mark.parametrize("lang", LANGS)
def test_the_dashboard_reads_the_cut_from_the_ledger(data_dir, monkeypatch, store, lang):
    from gwmap.ledger import against_baseline

    at = app_opener(data_dir, monkeypatch, timeout=180)(lang, LEADER, "pages/dashboard.py")
    from sqlalchemy import select

    from gwmap.store.models import PlanTarget

    with store.session() as s:  # the plan's cut for 2025: its row in plan_targets
        goal = s.scalar(select(PlanTarget.cut_m3).where(PlanTarget.year == 2025))
    cut = against_baseline(year_ledger(store, 2025), year_ledger(store, 2022), target_cut_m3=goal)
    assert translate("dash.ledger_cut", lang, year=2025, base=2022, cut=f"{cut['cut_m3']:,.0f}",
                     goal=f"{goal:,.0f}") in [c.value for c in at.caption]
    st.cache_resource.clear()


@pytest.mark.parametrize("lang", LANGS)
def test_the_accepted_lead_offers_its_snapshot_on_the_case_page(data_dir, monkeypatch, store, lang):
    from streamlit.testing.v1 import AppTest

    from gwmap.cases import lead_evidence
    from gwmap.config import PROJECT_ROOT
    from gwmap.screening import accept, queue
    from gwmap.ui.state import LANG_KEY
    from tests.conftest import signed_in

    app_opener(data_dir, monkeypatch)  # the data dir and empty caches
    _, townships, outline = repo.current_boundaries(store)
    x = next(q for q in queue(store, year=2025) if q["reason"] == "power_without_well")
    code = accept(store, ENFORCER, year=2025, reason=x["reason"], subject_=x["account"], townships=townships,
                  outline=outline, evidence_dir=data_dir / "evidence")
    at = AppTest.from_file(str(PROJECT_ROOT / "pages" / "leads.py"), default_timeout=90)
    at.session_state[LANG_KEY] = lang
    signed_in(at, store, ENFORCER)
    at.query_params.update(lead=code)
    at.run()
    assert not at.exception, at.exception
    name = lead_evidence(store, code)["filename"].iloc[0]
    assert name.startswith("筛查依据快照_") and name.endswith(".pdf") and x["account"] in name  # named when accepted
    assert translate("leads.evidence_download", lang, file=name.replace("_", "\\_")) in \
        [b.label for b in at.get("download_button")]
    st.cache_resource.clear()


def test_a_new_depth_surface_reaches_the_ledger_on_the_next_run(open_page, store, data_dir):
    # the ledger's lifts come from the latest depth surface; surface runs are not audited, so the page's
    # cache must see a new one itself
    from gwmap.runs import SurfaceRequest, surface_for
    from gwmap.surveys import list_surveys

    at = open_page("zh", LEADER)
    label = translate("abs.total", "zh")
    before = {m.label: m.value for m in at.metric}[label]
    surveys = list_surveys(store)
    newest = surveys[(surveys.aquifer == "shallow")].sort_values(["year", "code"]).iloc[-1]
    info, tw, _ = repo.current_boundaries(store)
    surface_for(store, HYDRO, SurfaceRequest(int(newest.id), method="idw", power=1.0, cell_m=400),
                townships=tw, boundary_version=info.id, data_dir=data_dir)
    led = year_ledger(store, 2025)
    after = translate("abs.volume", "zh", v=f"{led.total_m3 / 1e4:,.1f}")
    assert after != before  # the new surface moved the electricity wells' lifts
    at.run()
    assert {m.label: m.value for m in at.metric}[label] == after


@pytest.mark.parametrize("lang", LANGS)
def test_accounts_without_a_well_are_linked_on_the_page(open_page, store, data_dir, lang):
    """The grid company's accounts (户号, 户名, 用电地址, no meter): suggested, ticked, saved, then in the ledger's reach."""
    from gwmap.abstraction import import_upload, read_upload
    from gwmap.power_links import links_frame

    wells = repo.wells_frame(store)
    w = wells[(wells.owner != "") & (wells.village != "") & (wells.power_meter_no == "")].iloc[0]
    text = ("户号,户名,用电地址,用电量,抄表日期\n"
            f"9911000001,{w.owner},某镇{w.village}东头,321,20261120\n"
            "9911000002,无名氏,不知道的地方,50,20261120\n")
    raw = text.encode("gbk")
    check = read_upload(store, raw, "户号电量.csv", kind="power")
    import_upload(store, HYDRO, check, source_name="户号电量.csv", raw=raw, uploads_dir=data_dir / "uploads")
    at = open_page(lang, HYDRO)
    # every account no well carries (by meter or by a confirmed link), counted with its kWh, from the store
    from sqlalchemy import select

    from gwmap.store.models import PowerLink, PowerRecord, Well

    with store.session() as s:
        meters = set(s.scalars(select(Well.power_meter_no).where(Well.power_meter_no != "")))
        linked = set(s.scalars(select(PowerLink.account)))
        rows = s.execute(select(PowerRecord.account, PowerRecord.meter_no, PowerRecord.kwh)
                         .where(PowerRecord.account != "")).all()
    open_ = [(a, k) for a, m, k in rows if a not in linked and m not in meters]
    assert {"9911000001", "9911000002"} <= {a for a, _ in open_}
    assert translate("links.hint", lang, n=f"{len({a for a, _ in open_}):,}", kwh=f"{sum(k for _, k in open_):,.0f}") in [
        c.value for c in at.caption]
    next(b for b in at.button if b.key == "abs_links_save").click().run()
    links = links_frame(store)
    assert translate("links.saved", lang, added=len(links), changed=0, unchanged=0) in [m.value for m in at.success]
    assert ("9911000001", w.well_code, "owner_village") in set(zip(links.account, links.well_code, links.basis))
    assert "9911000002" not in set(links.account)  # no holder, no place: nothing suggested, nothing linked
