import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gwmap.config import PROJECT_ROOT
from tests.conftest import DATA, cli


def run(args, data_dir, input_=None):
    """The real command in its own process (the end-to-end runs; argument checks use ``tests.conftest.cli``)."""
    env = {**os.environ, "GWMAP_DATA_DIR": str(data_dir)}
    env.pop("GWMAP_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "gwmap", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, input=input_, timeout=120)


def test_init_without_demo_makes_no_accounts(tmp_path):
    r = run(["init", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["counts"]["wells"] == 0
    from gwmap.store import Store, repo

    assert not repo.has_users(Store(f"sqlite:///{tmp_path / 'gwmap.sqlite'}"))


def test_init_demo_create_user_and_import(demo_db_path):
    r = run(["init", "--demo", "--json"], demo_db_path)
    assert r.returncode == 0 and json.loads(r.stdout)["counts"]["wells"] == 3000
    # the dashboard's cone is computed now, not on a leader's first visit: one stored surface per shallow survey
    from sqlalchemy import func, select

    from gwmap.store import Store
    from gwmap.store.models import ConeRun, SurfaceRun
    from gwmap.surveys import list_surveys

    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    shallow = int((list_surveys(store)["aquifer"] == "shallow").sum())
    assert json.loads(r.stdout)["precomputed_surveys"] == shallow > 10
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(SurfaceRun)) == shallow
        assert s.scalar(select(func.count()).select_from(ConeRun)) == shallow
    assert len(list((demo_db_path / "surfaces").glob("*.tif"))) == shallow
    r = run(["create-user", "zhang", "--role", "enforcement", "--password", "Dz-xuncha-2026"], demo_db_path)
    assert r.returncode == 0 and "zhang" in r.stdout
    r = run(["import-boundaries", str(DATA / "boundaries" / "townships.geojson"), "--name-field", "name",
             "--code-field", "code", "--json"], demo_db_path)
    out = json.loads(r.stdout)
    assert out["township_count"] == 18 and len(out["townships"]) == 18 and out["version"] == 2
    assert out["county_area_km2"] == pytest.approx(1161, abs=5)
    assert out["changed"] == {"wells": 0, "leads": 0, "monitoring_wells": 0}  # the same lines: nobody moves
    assert sum(t["wells"] for t in out["townships"]) == 3000 - out["outside"]["wells"]


@pytest.mark.parametrize("args, code", [
    (["create-user", "x", "--role", "admin", "--password", "short"], "err.user.password_short"),
    (["import-boundaries", "missing.geojson", "--name-field", "name"], "err.file.missing"),
    (["import-boundaries", "data/README.md", "--name-field", "name"], "err.boundary.format"),
])
def test_bad_input_exits_non_zero_with_the_reason(tmp_path, args, code):
    r = cli(args, tmp_path)
    assert r.returncode == 2 and code in r.stderr


@pytest.fixture(scope="module")
def survey_csv(tmp_path_factory):
    """The demo's autumn 2026 shallow survey as a GBK CSV with Chinese headers."""
    import pandas as pd

    d = pd.read_csv(DATA / "wells" / "surveys.csv")
    mw = pd.read_csv(DATA / "wells" / "monitoring_wells.csv")
    s = d[(d.survey == "2026-autumn") & (d.aquifer == "shallow")].merge(mw, on="mw_code")
    s = s[s.depth_to_water_m.between(0, 150)]
    path = tmp_path_factory.mktemp("cli") / "2026秋浅层.csv"
    s.rename(columns={"lon": "经度", "lat": "纬度", "depth_to_water_m": "埋深"})[
        ["mw_code", "经度", "纬度", "埋深"]].to_csv(path, index=False, encoding="gbk")
    return path


def test_surface_command_writes_a_geotiff(survey_csv, tmp_path):
    import rasterio

    out = tmp_path / "s.tif"
    r = run(["surface", str(survey_csv), "--value", "埋深", "--boundary", str(DATA / "boundaries" / "county.geojson"),
             "--method", "idw", "--cell", "200", "--out", str(out), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["method"] == "idw" and info["cell_m"] == 200 and info["n_wells"] > 60
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 4548 and src.count == 2  # value, extrapolated


def test_surface_by_cross_validation_names_what_it_averaged(survey_csv, tmp_path):
    import rasterio

    from gwmap.surface import WINDOW

    out = tmp_path / "s.tif"
    r = run(["surface", str(survey_csv), "--value", "埋深", "--boundary", str(DATA / "boundaries" / "county.geojson"),
             "--method", "auto", "--cell", "500", "--out", str(out), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["method"] == "auto" and info["members"] and info["n_wells"] > 60
    # each member is within 5% of the best candidate, IDW with power 2 among those scored, so the average is too
    r = run(["surface", str(survey_csv), "--value", "埋深", "--boundary", str(DATA / "boundaries" / "county.geojson"),
             "--method", "idw", "--cell", "500", "--out", str(tmp_path / "idw.tif"), "--json"], tmp_path)
    assert 0 < info["cv"]["rmse"] <= WINDOW * json.loads(r.stdout)["cv"]["rmse"]
    if len(info["members"]) > 1:
        assert any("averaged" in w or "平均" in w for w in info["warnings"])
    with rasterio.open(out) as src:
        assert src.count == 3  # value, kriging std (of the kriging members), extrapolated


def test_cone_command_prints_area_and_township_split(survey_csv, tmp_path):
    r = run(["cone", str(survey_csv), "--value", "埋深", "--boundary", str(DATA / "boundaries" / "townships.geojson"),
             "--kind", "depth", "--threshold", "12", "--json", "--out", str(tmp_path / "cone.gpkg")], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert 20 < out["area_km2"] < 600 and out["params"]["threshold"] == 12 and out["params"]["method"] == "kriging"
    split = {t["name"]: t for t in out["by_township"]}
    assert split["店子镇"]["share"] > 0.5  # the pumping centre is in 店子镇
    assert sum(t["area_km2"] for t in out["by_township"]) == pytest.approx(out["area_km2"], rel=1e-3)
    import geopandas as gpd

    # the same area in the file as in the JSON (which rounds to 0.001 km²)
    assert gpd.read_file(tmp_path / "cone.gpkg").area_km2.iloc[0] == pytest.approx(out["area_km2"], abs=5e-4)
    # inside the county; the part the wells do not support is given apart
    assert out["extent"] == "boundary" and 1000 < out["extent_km2"] < 1300
    assert 0 <= out["area_extrapolated_km2"] < out["area_km2"]
    assert out["area_supported_km2"] == pytest.approx(out["area_km2"] - out["area_extrapolated_km2"], abs=2e-3)


def test_cone_without_a_boundary_says_which_extent_it_measured(survey_csv, tmp_path):
    r = run(["cone", str(survey_csv), "--value", "埋深", "--kind", "depth", "--threshold", "12", "--method", "idw",
             "--cell", "250"], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "km²" in r.stdout and "外推" in r.stdout
    assert "未给出边界" in r.stderr and "--boundary" in r.stderr
    r = run(["cone", str(survey_csv), "--value", "埋深", "--kind", "depth", "--threshold", "12", "--method", "idw",
             "--cell", "250", "--json"], tmp_path)
    out = json.loads(r.stdout)
    assert out["extent"] == "wells_box" and any("--boundary" in w for w in out["warnings"])


@pytest.mark.parametrize("args, code", [
    (["cone", "{csv}", "--value", "nope", "--kind", "depth", "--threshold", "1"], "err.surface.no_column"),
    (["surface", "{csv}", "--value", "埋深", "--cell", "0", "--out", "x.tif"], "err.surface.cell"),
    (["surface", "missing.csv", "--value", "v", "--out", "x.tif"], "err.file.missing"),
])
def test_analysis_commands_refuse_bad_input(survey_csv, tmp_path, args, code):
    r = cli([a.replace("{csv}", str(survey_csv)) for a in args], tmp_path)
    assert r.returncode == 2 and code in r.stderr


def test_route_command_in_a_projected_plane(tmp_path):
    path = tmp_path / "sq.csv"
    # a 3 km × 4 km rectangle at the county seat, in the Gauss-Krüger zone of 117°E
    path.write_text("id,x,y\nA,360000,4040000\nB,363000,4040000\nC,363000,4044000\nD,360000,4044000\n")
    r = run(["route", str(path), "--x", "x", "--y", "y", "--crs", "gk3_cm117", "--time-limit", "0.5", "--json"],
            tmp_path)
    out = json.loads(r.stdout)
    assert out["start"] == "A" and out["length_m"] == 14000.0
    assert sorted(out["teams"][0]["order"]) == ["B", "C", "D"]
    r = run(["route", str(path), "--x", "x", "--y", "y", "--crs", "gk3_cm117", "--teams", "2", "--start", "C",
             "--time-limit", "0.5", "--json"], tmp_path)
    out = json.loads(r.stdout)
    assert out["start"] == "C" and sum(len(t["order"]) for t in out["teams"]) == 3


@pytest.mark.parametrize("content, args, code", [
    ("id,x,y\nA,1,2\nA,3,4\n", ["--x", "x", "--y", "y", "--crs", "gk3_cm117"], "err.route.duplicate_ids"),
    ("id,x,y\nA,1,2\nB,3,4\n", ["--x", "x", "--y", "y", "--crs", "gk3_cm117", "--teams", "0"], "err.route.teams"),
    ("id,lon,lat\nA,115.5,36.5\nB,,36.6\n", [], "err.table.bad_coords"),
    # lon/lat swapped: named as such, not "lengthen the working day"
    ("id,lon,lat\nA,36.48,115.44\nB,36.52,115.60\n", ["--hours", "8"], "err.route.swapped"),
    ("id,lon,lat\nA,115.44,36.48\nB,117.40,36.60\n", [], "err.route.far"),  # 150 km east
    ("id,lon,lat\nA,115.44,36.48\nB,115.5,36.5\n", ["--hours", "-1"], "err.route.positive"),
    ("id,lon,lat\nA,115.44,36.48\nB,115.5,36.5\n", ["--hours", "nan"], "err.route.positive"),
    ("id,lon,lat\nA,115.44,36.48\nB,115.5,36.5\n", ["--speed", "0"], "err.route.positive"),
    ("id,lon,lat\nA,115.44,36.48\nB,115.5,36.5\n", ["--speed", "inf"], "err.route.positive"),
])
def test_route_command_refuses_bad_input(tmp_path, content, args, code):
    path = tmp_path / "p.csv"
    path.write_text(content)
    r = cli(["route", str(path), *args], tmp_path)
    assert r.returncode == 2 and code in r.stderr


def test_route_command_far_points_when_allowed_notices_and_reasons(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("编号,经度,纬度\nHQ,115.443,36.485\nB,117.40,36.60\nC,115.60,36.50\n", encoding="gbk")
    r = run(["route", str(path), "--allow-far", "--teams", "3", "--hours", "4", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    # B is 175 km away: more than a 4-hour day there and back, so it is left out with that reason
    assert out["left_out"] == ["B"] and out["left_out_reasons"] == {"B": "too_far_for_a_day"}
    assert [t["order"] for t in out["teams"]] == [["C"]]
    assert out["notices"] and "小组数（3）多于要去的点（2 个）" in out["notices"][0] and "提示 / notice" in r.stderr
    assert r.stderr.count("\n") == 1  # the notice, and nothing leaked by a solver
    assert not (tmp_path / "gwmap.sqlite").exists()  # a route from a file creates no database


def test_report_command(demo_db_path):
    import docx

    out = demo_db_path / "通报.docx"
    r = run(["report", "--month", "2026-11", "--out", str(out)], demo_db_path)
    assert r.returncode == 0, r.stderr
    assert docx.Document(out).paragraphs[0].text == "冠县地下水超采治理月度通报（2026年11月）"
    r = run(["report", "--month", "11/2026", "--out", str(out)], demo_db_path)
    assert r.returncode == 2 and "err.report.month" in r.stderr


def test_a_survey_in_feet_gives_the_same_cone_in_metres(survey_csv, tmp_path):
    """Level records in feet (as USGS files are): --unit ft converts; the threshold and outputs stay metres."""
    import pandas as pd

    feet = pd.read_csv(survey_csv, encoding="gbk")
    feet["埋深"] = (feet["埋深"] / 0.3048).round(3).astype(object)
    feet.loc[feet.index[:3], "埋深"] = ["", "n/a", "dry"]  # cells a real file has
    path = tmp_path / "feet.csv"
    feet.to_csv(path, index=False, encoding="gbk")
    args = ["--value", "埋深", "--kind", "depth", "--threshold", "12", "--method", "idw", "--cell", "250", "--json",
            "--boundary", str(DATA / "boundaries" / "county.geojson")]
    metres = json.loads(run(["cone", str(survey_csv), *args], tmp_path).stdout)
    r = run(["cone", str(path), "--unit", "ft", *args], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["threshold_m"] == 12 and out["value_unit_in"] == "ft" and out["value_unit"] == "m"
    assert out["area_km2"] == pytest.approx(metres["area_km2"], rel=0.05)
    assert out["extreme_value_m"] == pytest.approx(metres["extreme_value_m"], rel=0.05)
    assert any("2, 3, 4" in w for w in out["warnings"])  # the three rows left out, named


def test_points_in_california_are_gridded_on_their_own_utm_zone(tmp_path):
    rng = np.random.default_rng(3)
    lon, lat = -120.4 + rng.uniform(0, 0.3, 30), 36.6 + rng.uniform(0, 0.3, 30)
    path = tmp_path / "ca.csv"
    path.write_text("lon,lat,depth\n" + "".join(f"{x:.5f},{y:.5f},{20 + 30 * (y - 36.6):.2f}\n" for x, y in zip(lon, lat)))
    r = run(["surface", str(path), "--value", "depth", "--unit", "ft", "--method", "idw", "--cell", "500",
             "--out", str(tmp_path / "ca.tif"), "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["crs"] == "EPSG:32610" and any("UTM zone 10N" in w for w in out["warnings"])
