"""Year on year at the same wells (同期对比): the figures a provincial assessment reads, checked by hand."""

from __future__ import annotations

import json
import subprocess
import sys

import geopandas as gpd
import numpy as np
import pytest
import shapely
from sqlalchemy import text, update

from gwmap.config import PROJECT_ROOT
from gwmap.crs import area_crs
from gwmap.errors import InputDataError
from gwmap.levels import year_on_year
from gwmap.store import repo
from gwmap.store.models import Measurement

PAIRS = """
SELECT w.mw_code, w.township_code, w.lon, b.depth_to_water_m AS before, a.depth_to_water_m AS after
FROM measurements a JOIN surveys sa ON sa.id = a.survey_id
JOIN measurements b ON b.monitoring_well_id = a.monitoring_well_id
JOIN surveys sb ON sb.id = b.survey_id
JOIN monitoring_wells w ON w.id = a.monitoring_well_id
WHERE sa.code = :after AND sb.code = :before AND sa.aquifer = :aq AND sb.aquifer = :aq
  AND NOT sa.superseded AND NOT sb.superseded AND a.qc_flag = '' AND b.qc_flag = ''
"""


def _pairs(store, after, before, aquifer="shallow"):
    import pandas as pd

    with store.engine.connect() as c:
        return pd.DataFrame(c.execute(text(PAIRS), {"after": after, "before": before, "aq": aquifer}).mappings().all())


def test_the_change_at_the_same_wells_is_what_the_readings_say(demo_store):
    got = year_on_year(demo_store, "2026-autumn")  # against 2025-autumn by default
    assert got.compare == "2025-autumn"
    pairs = _pairs(demo_store, "2026-autumn", "2025-autumn")
    rise = pairs["before"] - pairs["after"]  # positive: the water rose
    assert got.county["wells"] == len(pairs) > 50
    assert got.county["mean_change_m"] == pytest.approx(rise.mean(), abs=1e-9)
    assert (got.county["rising"], got.county["stable"], got.county["falling"]) == (
        int((rise > 0.5).sum()), int(((rise >= -0.5) & (rise <= 0.5)).sum()), int((rise < -0.5).sum()))
    by_town = got.townships.set_index("township_code")
    for code, grp in pairs.groupby("township_code"):
        r = grp["before"] - grp["after"]
        assert by_town.loc[code, "wells"] == len(grp) and by_town.loc[code, "mean_change_m"] == pytest.approx(r.mean())
    # a township with no common well has no figure, not a zero
    empty = by_town[by_town["wells"] == 0]
    assert empty["mean_change_m"].isna().all()
    shares = [got.county[f"share_{c}"] for c in ("rising", "stable", "falling")]
    assert sum(shares) == pytest.approx(1.0) and min(shares) >= 0
    wider = year_on_year(demo_store, "2026-autumn", band_m=2.0)
    assert wider.county["stable"] == int(((rise >= -2) & (rise <= 2)).sum())


def test_the_area_shares_follow_the_ground_they_cover(demo_store):
    """West of a meridian every well rose 1 m, east of it every well fell 1 m: the county's shares are the
    county's area on either side, measured here on an equal-area plane."""
    _, townships, outline = repo.current_boundaries(demo_store)
    pairs = _pairs(demo_store, "2026-autumn", "2025-autumn")
    split = float(np.median(pairs["lon"]))
    with demo_store.session(write=True) as s:
        for code, lon, before in zip(pairs["mw_code"], pairs["lon"], pairs["before"], strict=True):
            mw = s.execute(text("SELECT id FROM monitoring_wells WHERE mw_code = :c"), {"c": code}).scalar()
            sid = s.execute(text("SELECT id FROM surveys WHERE code = '2026-autumn' AND aquifer = 'shallow' "
                                 "AND NOT superseded")).scalar()
            s.execute(update(Measurement).where(Measurement.survey_id == sid, Measurement.monitoring_well_id == mw)
                      .values(depth_to_water_m=before - 1.0 if lon < split else before + 1.0))
    got = year_on_year(demo_store, "2026-autumn")
    assert got.county["rising"] == int((pairs["lon"] < split).sum()) and got.county["stable"] == 0
    plane = area_crs()
    county = gpd.GeoSeries([outline], crs=4326)
    west = county.intersection(shapely.box(100, 30, split, 40)).to_crs(plane).area.iloc[0]
    share = west / county.to_crs(plane).area.iloc[0]
    # between the two sides the surface passes through "stable" (within ±0.5 m) in a strip between the
    # nearest wells: half of it on either side of the meridian
    assert 0 < got.county["share_stable"] < 0.1
    assert got.county["share_rising"] + got.county["share_stable"] / 2 == pytest.approx(share, abs=0.04)
    assert got.county["share_rising"] + got.county["share_falling"] + got.county["share_stable"] == pytest.approx(1)


def test_a_round_not_stored_or_a_silly_band_is_refused(demo_store):
    with pytest.raises(InputDataError) as missing:
        year_on_year(demo_store, "2031-autumn")
    assert missing.value.code == "err.levels.no_round" and "2026-autumn" in missing.value.params["have"]
    with pytest.raises(InputDataError) as band:
        year_on_year(demo_store, "2026-autumn", band_m=float("nan"))
    assert band.value.code == "err.levels.band"


def test_the_command_line_prints_the_assessment_as_json(demo_db_path):
    env = {"GWMAP_DATA_DIR": str(demo_db_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "gwmap", "levels", "--round", "2026-autumn", "--compare", "2025-autumn",
                          "--aquifer", "shallow", "--json"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    from gwmap.store import Store

    pairs = _pairs(Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}"), "2026-autumn", "2025-autumn")
    rise = pairs["before"] - pairs["after"]
    assert out["wells"] == len(pairs) and out["mean_change_m"] == pytest.approx(rise.mean(), abs=5e-4)
    assert out["rising"] + out["stable"] + out["falling"] == len(pairs)
    assert sum(out["area_share"].values()) == pytest.approx(1.0, abs=2e-4)
    assert sum(t["wells"] for t in out["townships"]) == len(pairs) and len(out["townships"]) == 18
    bad = subprocess.run([sys.executable, "-m", "gwmap", "levels", "--round", "2031-autumn"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "2031-autumn" in bad.stderr and "Traceback" not in bad.stderr


def test_each_round_of_the_cone_has_its_deepest_point_and_centre_against_a_year_before(demo_store, tmp_path):
    from pyproj import Geod

    from gwmap.runs import cone_series
    from gwmap.store.users import system_user

    info, townships, _ = repo.current_boundaries(demo_store)
    s = cone_series(demo_store, system_user("cli"), aquifer="shallow", kind="depth", threshold=12.0, method="idw",
                    cell_m=500.0, townships=townships, boundary_version=info.id, data_dir=tmp_path)
    row = s[s["code"] == "2026-autumn"].iloc[0]
    ago = s[s["code"] == "2025-autumn"].iloc[0]
    assert row["extreme_change"] == pytest.approx(row["extreme_value"] - ago["extreme_value"])
    shift = Geod(ellps="WGS84").inv(ago["centre_lon"], ago["centre_lat"], row["centre_lon"], row["centre_lat"])[2]
    assert row["centre_shift_km"] == pytest.approx(shift / 1000, rel=0.01)
    assert np.isnan(s.iloc[0]["centre_shift_km"])  # the first round has no year before
    # the centre is the centre of the area the cone covers, and lies within its outline here
    from gwmap.runs import SurfaceRequest, cone_for, surface_for

    surf, run_id, _ = surface_for(demo_store, system_user("cli"), SurfaceRequest(int(row["survey_id"]), "depth_to_water_m",
                                                                                 "idw", 500.0),
                                  townships=townships, boundary_version=info.id, data_dir=tmp_path)
    cone, _ = cone_for(demo_store, system_user("cli"), surf, run_id, kind="depth", threshold=12.0, townships=townships)
    assert cone.outline.contains(shapely.Point(row["centre_lon"], row["centre_lat"]))
