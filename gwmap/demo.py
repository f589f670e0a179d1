"""Load the synthetic demo county (``data/``) into a store: ``python -m gwmap init --demo``."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, select

from gwmap.boundaries import prepare_boundaries, save_boundaries
from gwmap.demo_cases import add_histories
from gwmap.demo_reclaimed import add_demo_reclaimed
from gwmap.store.db import Store
from gwmap.store.models import (
    BoundaryVersion,
    Lead,
    Measurement,
    MonitoringWell,
    PlanTarget,
    ReclaimedWater,
    Sealing,
    Survey,
    User,
    Well,
)
from gwmap.store.users import DEMO_USERS, create_user, enable_demo_accounts, system_user
from gwmap.surveys import find_outliers

logger = logging.getLogger(__name__)

__all__ = ["load_demo", "ensure_demo_users", "ensure_demo_dispatch", "DEMO_ACTOR", "DEMO_TEAM"]

DEMO_ACTOR = "demo-loader"
DEMO_LOADER = system_user(DEMO_ACTOR, "演示数据")
#: The monitoring well whose water table ``scripts/build_demo_data.py`` makes fall 0.8 m a year from 2023 while
#: its neighbours hold steady: the screening's planted ``level_anomaly``.
PLANTED_LEVEL_ANOMALY = "JC017"
#: Depths outside this range (m) are impossible for the county and flagged on load.
PLAUSIBLE_DEPTH_M = (0.0, 150.0)
#: Synthetic yearly figures of the county sewage plant (m³): sewage treated, reclaimed water used.
DEMO_RECLAIMED = {2022: (8.2e6, 2.6e6), 2023: (9.0e6, 7.2e6), 2024: (10.5e6, 8.4e6), 2025: (13.0e6, 6.8e6),
                  2026: (14.0e6, 7.3e6)}
DEMO_RECLAIMED_SPLIT = {"industry": 0.55, "greening": 0.20, "ecological": 0.25}


def ensure_demo_users(store: Store) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the names created."""
    made = []
    with store.session() as s:
        have = set(s.scalars(select(User.username)))
    for username, role, display, password in DEMO_USERS:
        if username not in have:
            create_user(store, DEMO_LOADER, username=username, password=password, role=role, display_name=display,
                        check_policy=False)  # published in the README on purpose; disabled outside demo mode
            made.append(username)
    enable_demo_accounts(store)
    return made


def _d(value):
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return pd.Timestamp(value).date()


def _s(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def load_demo(store: Store, data_dir: Path, evidence_dir: Path | None = None) -> bool:
    """Fill an empty store with the demo county; returns False if it had boundaries already.

    Every demo lead gets the history of steps its stage implies; with ``evidence_dir`` the
    site visits also get their (drawn) photos, kept there by SHA-256 like any evidence.
    """
    with store.session() as s:
        if s.scalar(select(func.count()).select_from(BoundaryVersion)):
            return False
    loader = DEMO_LOADER
    from gwmap.targets import set_up_county

    county, _ = set_up_county(store, loader)  # the default county's profile and its plan's targets
    tw_path = data_dir / "boundaries" / "townships.geojson"
    tw = gpd.read_file(tw_path)
    prepared = prepare_boundaries(tw, name_field="name", code_field="code")
    save_boundaries(store, loader, prepared, source_name="demo: townships.geojson (示意边界)",
                    source_sha256=hashlib.sha256(tw_path.read_bytes()).hexdigest(), schematic=True)

    wd = data_dir / "wells"
    read = lambda name: pd.read_csv(wd / name, dtype=str, keep_default_na=False)  # noqa: E731
    wells = read("registry.csv")
    with store.session(DEMO_LOADER) as s:
        objs = {}
        for r in wells.to_dict("records"):
            w = Well(
                well_code=r["well_code"], name=r["name"], township_code=r["township_code"], village=r["village"],
                owner=r["owner"], lon=float(r["lon"]), lat=float(r["lat"]), depth_m=float(r["depth_m"]),
                year_drilled=int(r["year_drilled"]), casing_diameter_mm=int(r["casing_diameter_mm"]),
                aquifer=r["aquifer"], use=r["use"], permit_no=r["permit_no"],
                permit_valid_from=_d(r["permit_valid_from"]), permit_valid_to=_d(r["permit_valid_to"]),
                permitted_m3_per_year=float(r["permitted_m3_per_year"]), metering=r["metering"],
                power_meter_no=r["power_meter_no"], status=r["status"],
            )
            s.add(w)
            objs[w.well_code] = w
        s.flush()
        for year, (treated, used) in DEMO_RECLAIMED.items():
            for use, share in DEMO_RECLAIMED_SPLIT.items():
                s.add(ReclaimedWater(year=year, use=use, sewage_treated_m3=round(treated * share),
                                     reclaimed_used_m3=round(used * share)))
        add_demo_reclaimed(s, DEMO_RECLAIMED)  # plants, pipelines, users, permit holders, monthly records
        seal_rows = read("sealings.csv")
        for year, grp in seal_rows.groupby("plan_year"):
            cut = round(sum(float(v) for v in grp["cut_m3_per_year"]), -4)
            row = s.scalar(select(PlanTarget).where(PlanTarget.county_adcode == county.adcode,
                                                    PlanTarget.year == int(year)))
            if row is None:
                s.add(PlanTarget(county_adcode=county.adcode, year=int(year), sealed_wells=len(grp), cut_m3=cut,
                                 source=f"{county.bureau_name}年度封井计划（演示）"))
            elif row.sealed_wells is None and row.cut_m3 is None:  # the plan's row of that year gains the sealing
                row.sealed_wells, row.cut_m3 = len(grp), cut
                row.source += f"；{county.bureau_name}年度封井计划（演示）"
        for r in seal_rows.to_dict("records"):
            accepted = r["stage"] == "accepted"
            s.add(Sealing(
                signed_contractor=r["contractor"] if accepted else "", signed_supervisor=r["supervisor"] if accepted else "",
                signed_owner="（井主签字）" if accepted else "", signed_authority="冠县水利局" if accepted else "",
                well_id=objs[r["well_code"]].id, plan_year=int(r["plan_year"]), disposition=r["disposition"],
                stage=r["stage"], started_on=_d(r["started_on"]), finished_on=_d(r["finished_on"]),
                accepted_on=_d(r["accepted_on"]), method=r["method"], material=r["material"],
                contractor=r["contractor"], supervisor=r["supervisor"], verdict=r["verdict"],
                cut_m3_per_year=float(r["cut_m3_per_year"]),
            ))
        leads = {}
        for r in read("leads.csv").to_dict("records"):
            leads[r["lead_code"]] = Lead(
                lead_code=r["lead_code"], source=r["source"], lon=float(r["lon"]), lat=float(r["lat"]),
                township_code=r["township_code"], description=r["description"], stage=r["stage"],
                registered_on=_d(r["registered_on"]), rectify_deadline=_d(r["rectify_deadline"]),
            )
            s.add(leads[r["lead_code"]])
        s.flush()
        add_histories(s, leads, evidence_dir)
        mws = {}
        for r in read("monitoring_wells.csv").to_dict("records"):
            m = MonitoringWell(mw_code=r["mw_code"], name=r["name"], lon=float(r["lon"]), lat=float(r["lat"]),
                               aquifer=r["aquifer"], ground_elev_m=float(r["ground_elev_m"]),
                               mp_elev_m=float(r["mp_elev_m"]), township_code=r["township_code"])
            s.add(m)
            mws[m.mw_code] = m
        s.flush()
        readings = read("surveys.csv")
        sha = hashlib.sha256((wd / "surveys.csv").read_bytes()).hexdigest()
        # readings a reviewer would reject: impossible, or far from their neighbours (same rule as uploads)
        readings["depth"] = readings["depth_to_water_m"].astype(float)
        rejected = set()
        for _, grp in readings.groupby(["survey", "aquifer"]):
            rows = pd.DataFrame({"row": grp.index, "mw_code": grp["mw_code"], "aquifer": grp["aquifer"],
                                 "depth_to_water_m": grp["depth"],
                                 "lon": [mws[c].lon for c in grp["mw_code"]], "lat": [mws[c].lat for c in grp["mw_code"]]})
            rejected |= {p.row for p in find_outliers(rows)}
        for (code, aquifer), grp in readings.groupby(["survey", "aquifer"], sort=True):
            year, season = code.split("-")
            sv = Survey(code=code, year=int(year), season=season, aquifer=aquifer, version=1,
                        source_name="demo: surveys.csv", source_sha256=sha, created_by=DEMO_ACTOR)
            s.add(sv)
            s.flush()
            for idx, r in zip(grp.index, grp.to_dict("records")):
                depth = float(r["depth_to_water_m"])
                mw = mws[r["mw_code"]]
                ok = PLAUSIBLE_DEPTH_M[0] <= depth <= PLAUSIBLE_DEPTH_M[1] and idx not in rejected
                s.add(Measurement(survey_id=sv.id, monitoring_well_id=mw.id, measured_on=_d(r["measured_on"]),
                                  depth_to_water_m=depth,
                                  head_m=round(mw.ground_elev_m - depth, 3) if ok else None,
                                  qc_flag="" if ok else "implausible"))
        s.flush()
        from gwmap.demo_series import add_demo_series

        add_demo_series(s)  # twelve automatic loggers: the quarter-on-year view's series
    rain_path = data_dir / "rainfall" / "gauge_monthly.csv"  # the weather office's yearbook table, GBK
    if rain_path.is_file():
        from gwmap.rainfall import check_rainfall, import_rainfall, read_rainfall

        raw = rain_path.read_bytes()
        import_rainfall(store, loader, check_rainfall(read_rainfall(raw, rain_path.name), raw=raw),
                        default_station=f"{county.name}气象站")
    zones_path = data_dir / "boundaries" / "overdraft_zones.geojson"  # schematic (示意), as a province's layer
    if zones_path.is_file():
        import json as _json

        from shapely.geometry import mapping as _mapping

        from gwmap.store.models import OverdraftZone
        from gwmap.zones import read_zones

        raw = zones_path.read_bytes()
        zf = read_zones(raw, zones_path.name)
        with store.session(loader) as s:
            for r in zf.zones.itertuples():
                s.add(OverdraftZone(name=r.name, grade=r.grade, aquifer=r.aquifer, area_km2=float(r.area_km2),
                                    geometry_geojson=_json.dumps(_mapping(r.geometry)),
                                    source_name="demo: overdraft_zones.geojson (示意超采区)",
                                    source_sha256=zf.sha256, current=True))
    logger.info("demo county loaded from %s", data_dir)
    return True


#: The demo's enforcement team: its name and members (the demo account ``enforce``).
DEMO_TEAM = ("执法一组", ("enforce",))
#: Stops in the demo's day: the most urgent targets of the day (overdue first), as a team would take out.
DEMO_DAY_STOPS = 10


def ensure_demo_dispatch(store: Store, day: date | None = None) -> int | None:
    """Save a dispatch for ``day`` (the county's today) for the demo team unless it has one; its id, or None.

    So that the field page (``/field/``) is never empty in the demo: ``init --demo`` (``make run``) calls it,
    and so does the field page's day in demo mode when the server has run past midnight.
    """
    from gwmap import clock
    from gwmap.dispatch import TeamCrew, day_targets, plan_day, save_dispatch, team_of

    day = day or clock.today()
    name, members = DEMO_TEAM
    if team_of(store, members[0], day) is not None:
        return None
    targets = day_targets(store, today=day)
    if targets.empty:
        return None
    # the most urgent first, then the nearest to the county seat, as a team leader would cut a day
    lon0, lat0 = targets["lon"].mean(), targets["lat"].mean()
    near = (targets["lon"] - lon0) ** 2 + (targets["lat"] - lat0) ** 2
    picked = targets.assign(_near=near).sort_values(["priority", "_near"], ascending=[False, True])
    plan = plan_day(picked.head(DEMO_DAY_STOPS).drop(columns="_near"), teams=1, time_limit_s=1.0)
    dispatch_id = save_dispatch(store, DEMO_LOADER, plan, day=day, crews=[TeamCrew(1, name, members)])
    logger.info("demo dispatch %s saved for %s (%d stops)", dispatch_id, day, len(plan.stops))
    return dispatch_id
