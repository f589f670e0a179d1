"""The demo county: reproducible, and shaped as the issue describes."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, select

from gwmap.config import PROJECT_ROOT
from gwmap.store import repo
from gwmap.store.models import Measurement, Survey, User
from tests.conftest import DATA


def test_generator_reproduces_the_committed_files(tmp_path):
    spec = importlib.util.spec_from_file_location("build_demo_data", PROJECT_ROOT / "scripts" / "build_demo_data.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    mod.build(tmp_path)
    for rel in ["boundaries/county.geojson", "boundaries/townships.geojson", "wells/registry.csv",
                "wells/sealings.csv", "wells/leads.csv", "wells/monitoring_wells.csv", "wells/surveys.csv"]:
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel


def test_demo_counts(demo_store):
    assert repo.counts(demo_store) == {"wells": 3000, "sealings": 54, "leads": 60, "monitoring_wells": 120}
    with demo_store.session() as s:
        assert sorted(s.scalars(select(User.role))) == ["admin", "enforcement", "hydrologist", "leader"]


def test_2023_sealings_meet_the_plan(demo_store):
    s = repo.sealings_frame(demo_store)
    y23 = s[s.plan_year == 2023]
    assert len(y23) == 14 and (y23.stage == "accepted").all()
    assert y23.cut_m3_per_year.sum() >= 1_150_000
    assert set(y23.disposition) == {"fill", "standby", "convert_monitoring"}
    assert (s.plan_year > 2023).sum() > 0  # and a plan for more


def test_leads_are_in_every_stage_and_some_are_overdue(demo_store):
    leads = repo.leads_frame(demo_store)
    assert set(leads.stage) == {"registered", "inspected", "confirmed", "dismissed", "rectifying", "reinspected", "closed"}
    assert 0 < leads.overdue.sum() < (leads.stage == "rectifying").sum() + 1
    assert leads.township_code.str.len().eq(9).all()


def test_wells_lie_in_their_township(demo_store):
    info, tw, _ = repo.current_boundaries(demo_store)
    wells = repo.wells_frame(demo_store).sample(200, random_state=0)
    import geopandas as gpd

    pts = gpd.GeoDataFrame(wells, geometry=gpd.points_from_xy(wells.lon, wells.lat), crs=4326)
    joined = gpd.sjoin(pts, tw, predicate="within")
    assert (joined.township_code == joined.code).all() and len(joined) == 200


def _centre_depth(store, code, aquifer="shallow"):
    """Mean depth of the wells within 6 km of the demo's pumping centre."""
    mw = repo.monitoring_wells_frame(store).set_index("id")
    with store.session() as s:
        rows = s.execute(select(Measurement.monitoring_well_id, Measurement.depth_to_water_m)
                         .join(Survey).where(Survey.code == code, Survey.aquifer == aquifer,
                                             Measurement.qc_flag == "")).all()
    df = pd.DataFrame(rows, columns=["mw", "depth"]).join(mw, on="mw")
    d_km = np.hypot((df.lon - 115.52) * 89.5, (df.lat - 36.56) * 111.0)
    return df.loc[d_km < 6, "depth"].mean()


def test_cone_deepens_to_2022_then_recovers(demo_store):
    d19, d22, d26 = (_centre_depth(demo_store, f"{y}-autumn") for y in (2019, 2022, 2026))
    assert d22 > d19 + 1.5
    assert d26 < d22 - 2.0
    assert _centre_depth(demo_store, "2024-spring") > _centre_depth(demo_store, "2024-autumn")


def test_bad_readings_are_flagged_not_dropped(demo_store):
    with demo_store.session() as s:
        n = s.scalar(select(func.count()).select_from(Measurement).where(Measurement.qc_flag == "implausible"))
        total = s.scalar(select(func.count()).select_from(Measurement))
        surveys = set(s.scalars(select(Survey.code)))
    assert total == 1855 and 3 <= n <= 8
    assert surveys == {f"{y}-{season}" for y in range(2019, 2027) for season in ("spring", "autumn")}


def test_loading_twice_changes_nothing(demo_store):
    from gwmap.demo import load_demo

    assert load_demo(demo_store, DATA) is False
    assert repo.counts(demo_store)["wells"] == 3000


def test_demo_loads_on_every_backend(store):
    from gwmap.demo import ensure_demo_users, load_demo

    assert ensure_demo_users(store) == ["admin", "hydro", "enforce", "leader"]
    assert load_demo(store, DATA) is True
    assert repo.counts(store) == {"wells": 3000, "sealings": 54, "leads": 60, "monitoring_wells": 120}
    info, tw, _ = repo.current_boundaries(store)
    assert info.schematic and info.county_area_km2 == pytest.approx(1161, abs=5) and len(tw) == 18


def test_demo_cases_carry_their_history_and_photos(store, tmp_path):
    """A closed demo case reads as a real one: every step in order, dated, with the site photos in the case file."""
    import io

    import docx

    from gwmap import clock
    from gwmap.cases import integrity_check, lead_evidence, lead_steps, work_ledger
    from gwmap.demo import ensure_demo_users, load_demo
    from gwmap.demo_cases import DEMO_AS_OF, PATHS
    from gwmap.i18n import translate
    from gwmap.reports import case_docx

    ensure_demo_users(store)
    evidence = tmp_path / "evidence"
    assert load_demo(store, DATA, evidence) is True
    leads = repo.leads_frame(store).set_index("lead_code")
    now = clock.now()
    for code, lead in leads.iterrows():
        steps = lead_steps(store, code)
        assert tuple(steps.stage) == PATHS[lead.stage], code
        assert steps["at"].is_monotonic_increasing and steps["at"].max() < min(now, DEMO_AS_OF), code
        assert steps["at"].iloc[0].date() >= lead.registered_on - pd.Timedelta(days=1), code  # UTC vs county day
        if "rectifying" in PATHS[lead.stage]:
            rect = steps[steps.stage == "rectifying"].iloc[0]
            assert rect.deadline == lead.rectify_deadline and rect.deadline > clock.to_local(rect["at"]).date(), code
    assert integrity_check(store, evidence).empty  # every photo is there and matches its SHA-256
    ev = lead_evidence(store)
    visits = sum(tuple(PATHS[s]).count("inspected") + tuple(PATHS[s]).count("reinspected") for s in leads.stage)
    assert len(ev) == visits and (ev.gps_source == "exif").all()
    assert (ev.offset_m < 50).all() and (ev.taken_at <= ev.uploaded_at).all()  # taken on site, shortly before
    code = sorted(leads.index[leads.stage == "closed"])[0]
    mine = ev[ev.lead_code == code]
    assert list(mine.stage) == ["inspected", "reinspected"]
    lead = leads.loc[code].copy()
    lead["lead_code"] = code
    doc = docx.Document(io.BytesIO(case_docx(lead, lead_steps(store, code), mine,
                                             tr=lambda k: translate(k, "zh"), township="",
                                             photo=lambda sha: (evidence / sha).read_bytes())))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert len(doc.inline_shapes) == 2 and all(sha in cells for sha in mine.sha256)
    assert "销号" in cells and "复查" in cells
    assert any("照片定位" in c for c in cells) and not any("exif" in c for c in cells)  # no raw codes
    # the ledger and the bulletin read these histories: before its first step a case was not yet in the ledger,
    # the day after its inspection it stood "inspected"
    first = clock.to_local(lead_steps(store, code)["at"].iloc[1]).date()
    then = work_ledger(store, as_of=first).set_index("lead_code")
    assert then.at[code, "stage"] == "inspected"
