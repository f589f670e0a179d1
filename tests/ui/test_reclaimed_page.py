"""The reclaimed-water and permit-screening page (issue 14) through AppTest, in Chinese and in English."""

from __future__ import annotations

import pytest
import streamlit as st

from gwmap.demo_reclaimed import BAD_EFFLUENT, LIMITED
from gwmap.i18n import translate
from gwmap.reclaimed import utilisation
from gwmap.store import Store
from gwmap.store.users import CurrentUser
from tests.ui.conftest import app_opener

LANGS = ["zh"]  # behaviour in Chinese; each page once in English: tests/ui/test_english.py
LEADER = CurrentUser("leader", "leader", "局领导")
PAGE = "pages/reclaimed.py"


@pytest.fixture
def open_page(demo_db_path, monkeypatch):
    make = app_opener(demo_db_path, monkeypatch)
    yield lambda lang, user=LEADER: make(lang, user, PAGE)
    st.cache_resource.clear()


@pytest.fixture
def store(demo_db_path):
    s = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    yield s
    s.dispose()


@pytest.mark.parametrize("lang", LANGS)
def test_the_targets_from_the_records_and_the_screening_list(open_page, store, lang):
    at = open_page(lang)
    assert at.header[0].value == translate("rw.header", lang)
    years = utilisation(store).set_index("period")
    metrics = {m.label: m.value for m in at.metric}
    # the plan's rows (data/profiles): 7 million m³ in 2023, a rate of 50% in 2025
    assert metrics[translate("rw.used_in", lang, year=2023)] == f"{years.at[2023, 'used_m3']:,.0f} m³"
    assert metrics[translate("rw.rate_in", lang, year=2025)] == f"{years.at[2025, 'rate']:.1%}"
    assert translate("rw.used_met", lang, year=2023, used=f"{years.at[2023, 'used_m3']:,.0f}", goal="7,000,000") in \
        [s.value for s in at.success]
    # the month whose effluent was worse than class V
    plant = "东古城镇污水处理厂"
    assert translate("rw.bad_effluent", lang, plant=plant, month=BAD_EFFLUENT[1]) in [e.value for e in at.error]
    # the screening: the paper mill first, two to limit of twenty
    assert metrics[translate("rw.limited", lang)] == f"{len(LIMITED)} / 20"
    table = next(d.value for d in at.dataframe if translate("permits.col.verdict", lang) in d.value.columns)
    assert table.iloc[0][translate("permits.col.user", lang)] == LIMITED[0]
    assert table.iloc[0][translate("permits.col.verdict", lang)] == translate("permits.verdict.limit", lang)
    assert set(table[table[translate("permits.col.verdict", lang)] == translate("permits.verdict.limit", lang)]
               [translate("permits.col.user", lang)]) == set(LIMITED)
    labels = [b.label for b in at.get("download_button")]
    assert translate("rw.export_list", lang) in labels and translate("rw.export_memo", lang) in labels


@pytest.mark.parametrize("lang", LANGS)
def test_a_wider_reach_and_a_clicked_site(open_page, store, lang):
    from gwmap.reclaimed import permit_verdicts

    at = open_page(lang)
    at.number_input(key="rw_reach").set_value(15_000.0).run()
    metrics = {m.label: m.value for m in at.metric}
    wide = {r["user"] for r in permit_verdicts(store, reach_m=15_000) if r["verdict"] == "limit"}
    assert wide > set(LIMITED) and "东古城镇兴业印染厂" in wide  # the far dyeing works too
    assert metrics[translate("rw.limited", lang)] == f"{len(wide)} / 20"
    # a candidate paper mill 1 km north of the park main (as a click on the map leaves it)
    at.session_state["gwmap_val_rw_site"] = (115.50, 36.48)
    at.selectbox(key="rw_industry").set_value("paper").run()
    assert not at.exception, at.exception
    answer = next(e.value for e in at.error if e.value.startswith(translate("rw.site_answer", lang, lon="115.50000",
                                                                             lat="36.48000", industry="X",
                                                                             verdict="", reason="").split("X")[0]))
    assert translate("permits.verdict.limit", lang) in answer
    at.selectbox(key="rw_industry").set_value("food").run()
    assert any(translate("permits.verdict.ok", lang) in s.value for s in at.success)


HYDRO = CurrentUser("hydro", "hydrologist", "水资源科")


@pytest.mark.parametrize("lang", LANGS)
def test_a_hydrologist_uploads_a_plants_report(open_page, store, lang):
    at = open_page(lang, HYDRO)
    bad = "厂站编码,年月,污水处理量m3,再生水供水量m3,出水水质类别\nWS01,2026-11,620000,300000,Ⅳ类\nWS09,2026-11,1,0,IV\n"
    at.file_uploader(key="rw_upload_plant_months").set_value(("月报.csv", bad.encode("gbk"), "text/csv")).run()
    assert not at.exception, at.exception
    problems = next(d.value for d in at.dataframe if translate("abs.problem.message", lang) in d.value.columns)
    assert list(problems[translate("abs.problem.row", lang)]) == [3]
    assert list(problems[translate("abs.problem.message", lang)]) == [translate("err.rw.unknown_plant", lang)]
    assert next(b for b in at.button if b.label == translate("abs.import", lang)).disabled
    good = "厂站编码,年月,污水处理量m3,再生水供水量m3,出水水质类别\nWS01,2026-11,620000,300000,Ⅳ类\n"
    at.file_uploader(key="rw_upload_plant_months").set_value(("月报.csv", good.encode("gbk"), "text/csv")).run()
    next(b for b in at.button if b.label == translate("abs.import", lang)).click().run()
    assert translate("rw.imported", lang, added=1, updated=0, unchanged=0) in [s.value for s in at.success]
    assert utilisation(store, by="month").set_index("period").at["2026-11", "treated_m3"] == 620000.0


@pytest.mark.parametrize("lang", LANGS)
def test_a_leader_has_no_upload(open_page, lang):
    at = open_page(lang)
    assert not at.get("file_uploader")


@pytest.mark.parametrize("lang", LANGS)
def test_a_hydrologist_imports_a_main(open_page, store, lang):
    import json

    from gwmap.reclaimed import pipelines_frame

    at = open_page(lang, HYDRO)
    at.radio(key="rw_kind").set_value("pipelines").run()
    gj = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"名称": "清水镇新建支管"},
                     "geometry": {"type": "LineString", "coordinates": [[115.53, 36.61], [115.54, 36.62]]}}]},
                    ensure_ascii=False).encode()
    at.file_uploader(key="rw_lines").set_value(("管网.geojson", gj, "application/geo+json")).run()
    assert not at.exception, at.exception
    at.selectbox(key="rw_name_field").set_value("名称").run()
    # no capacity yet: one problem, no import
    assert next(b for b in at.button if b.label == translate("abs.import", lang)).disabled
    at.number_input(key="rw_default_cap").set_value(3000.0).run()
    next(b for b in at.button if b.label == translate("abs.import", lang)).click().run()
    assert translate("rw.lines_imported", lang, added=1, updated=0) in [s.value for s in at.success]
    assert pipelines_frame(store).set_index("name").at["清水镇新建支管", "capacity_m3_d"] == 3000.0
