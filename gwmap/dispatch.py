"""A day's inspection sweep (不定期排查): targets by rule and by hand, routes per team, saved dispatches.

Targets: open leads, overdue rectifications (most urgent), sealed wells not
re-checked for N months, and a random spot-check of in-use wells per township.
Distances are planar metres on CGCS2000 GK 3° CM 117°E (straight line times a
detour factor) or shortest paths on a road network.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from gwmap import clock
from gwmap.errors import InputDataError
from gwmap.routing import Progress, check_size, euclidean_matrix, road_matrix, solve
from gwmap.store.db import Store
from gwmap.store.models import Dispatch, DispatchStop, DispatchTeam, User
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = ["check_stops", "FAR_KM", "TARGET_KINDS", "DayPlan", "day_targets", "plan_day",
           "save_dispatch", "dispatch_for_lead", "TeamCrew", "saved_dispatches", "dispatch_stops", "team_of",
           "default_start", "county_grid_crs", "time_limit_for"]

#: kind -> priority when the day is too short (higher is kept first)
TARGET_KINDS = {"overdue": 3, "lead": 2, "sealed_well": 1, "spot_check": 0}
#: A stop farther than this from the county is a wrong coordinate, not a day's work (unless allowed).
FAR_KM = 50.0


def check_stops(ids: list[str], lon: np.ndarray, lat: np.ndarray, *, outline=None, allow_far: bool = False) -> None:  # noqa: ANN001
    """Refuse coordinates no inspection day can have, naming the points.

    Not numbers, lon/lat swapped, or more than :data:`FAR_KM` from the county (``outline`` in WGS84, else
    the county's extent, :func:`gwmap.county.far_box`).

    Raises
    ------
    InputDataError
        ``err.route.bad_coords``, ``err.route.swapped`` or ``err.route.far``.

    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)

    def named(mask: np.ndarray) -> str:
        picked = [ids[i] for i in np.flatnonzero(mask)]
        return "、".join(picked[:5]) + (f" … ({len(picked)})" if len(picked) > 5 else "")

    bad = ~(np.isfinite(lon) & np.isfinite(lat))
    if bad.any():
        raise InputDataError("err.route.bad_coords", "Points without finite coordinates.", ids=named(bad))
    swapped = (np.abs(lat) > 90) | ((lon >= 3) & (lon <= 54) & (lat >= 73) & (lat <= 136))
    from gwmap.county import active, far_box

    if swapped.any():
        lon0, lat0 = active().centre
        raise InputDataError("err.route.swapped", "Longitude and latitude look swapped.", ids=named(swapped),
                             lon=f"{lon0:.0f}", lat=f"{lat0:.0f}")
    if outline is None:
        box = far_box()
        outline = shapely.box(*box) if box else shapely.Point(active().centre)
    from gwmap.crs import area_crs

    plane = area_crs(*active().centre)
    county = gpd.GeoSeries([outline], crs=4326).to_crs(plane).iloc[0]
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(plane)
    km = pts.distance(county).to_numpy() / 1000
    far = ~np.isfinite(km) | (km > FAR_KM)
    if far.any() and not allow_far:
        worst = km[far & np.isfinite(km)]
        raise InputDataError("err.route.far", "Points far from the county.", ids=named(far),
                             km=f"{worst.max():,.0f}" if worst.size else "∞", limit=f"{FAR_KM:,.0f}")


def day_targets(store: Store, *, open_leads: bool = True, overdue: bool = True, sealed_months: int | None = 12,
                spot_per_township: int = 0, extra_wells: list[str] | None = None, seed: int | None = None,
                today: date | None = None) -> pd.DataFrame:
    """The day's targets: ``kind``, ``ref`` (lead or well code), ``label``, ``lon``, ``lat``, ``priority``, ``township_code``."""
    from gwmap.store.repo import leads_frame, sealings_frame, wells_frame

    today = today or clock.today()
    rows = []
    leads = leads_frame(store)
    if overdue:
        for r in leads[leads["overdue"]].itertuples():
            rows.append(("overdue", r.lead_code, r.description, r.lon, r.lat, r.township_code))
    if open_leads:
        open_ = leads[leads["stage"].isin(["registered", "inspected", "confirmed", "rectifying"]) & ~leads["overdue"]]
        for r in open_.itertuples():
            rows.append(("lead", r.lead_code, r.description, r.lon, r.lat, r.township_code))
    if sealed_months is not None:
        seal = sealings_frame(store)
        done = seal[seal["stage"].isin(["works_done", "accepted"]) & seal["reenabled_on"].isna()]
        last = pd.to_datetime(done["accepted_on"].fillna(done["finished_on"]))
        due = done[last.dt.date <= today - timedelta(days=30 * sealed_months)]
        for r in due.itertuples():
            rows.append(("sealed_well", r.well_code, r.owner, r.lon, r.lat, r.township_code))
    wells = wells_frame(store)
    if spot_per_township > 0:
        in_use = wells[wells["status"] == "in_use"]
        rng = np.random.default_rng(seed)
        for _, grp in in_use.groupby("township_code"):
            pick = grp.iloc[rng.choice(len(grp), size=min(spot_per_township, len(grp)), replace=False)]
            rows += [("spot_check", r.well_code, r.owner, r.lon, r.lat, r.township_code) for r in pick.itertuples()]
    if extra_wells:
        by_code = wells.set_index("well_code")
        for code in extra_wells:
            if code in by_code.index:
                w = by_code.loc[code]
                rows.append(("spot_check", code, w["owner"], w["lon"], w["lat"], w["township_code"]))
    df = pd.DataFrame(rows, columns=["kind", "ref", "label", "lon", "lat", "township_code"])
    df = df.drop_duplicates(["ref"], keep="first").reset_index(drop=True)
    df["priority"] = df["kind"].map(TARGET_KINDS)
    df["village"] = _villages(df, wells)
    return df


def _villages(targets: pd.DataFrame, wells: pd.DataFrame, *, within_m: float = 2_000.0) -> list[str]:
    """Each target's village: a well's own, else that of the nearest registered well within ``within_m``."""
    from scipy.spatial import cKDTree

    known = wells[wells["village"].fillna("").astype(str).str.strip() != ""]
    own = dict(zip(wells["well_code"], wells["village"].fillna("").astype(str), strict=True))
    out = [own.get(ref, "") for ref in targets["ref"]]
    need = [i for i, v in enumerate(out) if not v and pd.notna(targets["lon"].iat[i]) and pd.notna(targets["lat"].iat[i])]
    if not need or known.empty:
        return out
    from gwmap.county import to_plane

    tree = cKDTree(np.column_stack(to_plane(known["lon"].to_numpy(float), known["lat"].to_numpy(float))))
    pts = np.column_stack(to_plane(targets["lon"].to_numpy(float)[need], targets["lat"].to_numpy(float)[need]))
    dist, idx = tree.query(pts)
    for i, d, j in zip(need, dist, idx, strict=True):
        if d <= within_m:
            out[i] = str(known["village"].iat[j])
    return out


@dataclass(frozen=True)
class DayPlan:
    """Stops in order per team with arrival times, a summary per team, and what was left out (and why)."""

    stops: pd.DataFrame
    teams: pd.DataFrame
    dropped: pd.DataFrame
    params: dict = field(default_factory=dict)


#: Nodes a road network may give (vertices plus one every 50 m): the county's roads, about 6,000 km,
#: give some 150,000; far more is a wrong file (another region, or a line with a million vertices).
MAX_ROAD_NODES = 400_000


def time_limit_for(stops: int) -> float:
    """Seconds the solver gets for a day's plan: 3 s up to 200 stops, then more, 20 s from 3,600.

    With the distances and the reading, 5,000 stops are answered in about 23 s (issue 10: within 30 s).
    """
    return float(min(20.0, max(3.0, 2.0 + stops / 200.0)))


def default_start() -> tuple[float, float]:
    """The water bureau's position in the county profile: where a day's route starts unless the page says."""
    from gwmap.county import active

    p = active()
    return (p.bureau_lon, p.bureau_lat)


def county_grid_crs():
    """The plane route distances are measured on: the GK 3° zone of the county's centre (conformal)."""
    from gwmap.county import active
    from gwmap.surface import default_grid_crs

    return default_grid_crs("EPSG:4326", active().centre)


def plan_day(targets: pd.DataFrame, *, start: tuple[float, float] | None = None, teams: int = 2,
             start_time: str = "08:30", hours: float = 8.0, service_min: float = 20.0, speed_kmh: float = 30.0,
             detour: float = 1.3, roads: gpd.GeoDataFrame | None = None, time_limit_s: float | None = None,
             progress: Progress | None = None, outline=None) -> DayPlan:  # noqa: ANN001
    """Routes for the day from ``start`` (lon, lat) and back.

    Targets without coordinates, and (with a road network) targets off the
    network, are left out with the reason; the solver leaves out the least
    urgent stops when the day is too short, and says why for each.
    """
    start = start or default_start()
    if targets.empty:
        raise InputDataError("err.route.no_stops", "No targets.")
    t = targets.reset_index(drop=True)
    if "village" not in t.columns:
        t["village"] = ""
    no_xy = t["lon"].isna() | t["lat"].isna()
    dropped = [dict(r._asdict(), reason="no_coordinates") for r in t[no_xy].itertuples(index=False)]
    t = t[~no_xy].reset_index(drop=True)
    check_size(len(t))
    check_stops([f"{start[0]:.5f},{start[1]:.5f}"] + t["ref"].astype(str).tolist(), np.r_[start[0], t["lon"].to_numpy(float)],
                np.r_[start[1], t["lat"].to_numpy(float)], outline=outline)
    plane = county_grid_crs()
    pts = gpd.GeoSeries(gpd.points_from_xy([start[0]] + list(t["lon"]), [start[1]] + list(t["lat"])),
                        crs=4326).to_crs(plane)
    xy = np.column_stack([pts.x, pts.y])
    if roads is not None and len(roads):
        geoms = roads.to_crs(plane).geometry.to_numpy()
        nodes = int(shapely.get_num_coordinates(geoms).sum() + shapely.length(geoms).sum() / 50.0)
        if nodes > MAX_ROAD_NODES:
            raise InputDataError("err.route.roads_too_big", f"The road network would have {nodes} nodes.",
                                 nodes=f"{nodes:,}", limit=f"{MAX_ROAD_NODES:,}")
        lines = []
        # vertices every 50 m, so a stop joins the road where it passes, not at a far-off bend
        for g in shapely.segmentize(geoms, 50.0):
            parts = getattr(g, "geoms", [g])
            lines += [np.asarray(p.coords) for p in parts if p.geom_type == "LineString"]
        matrix, unreachable = road_matrix(xy, lines)
        if unreachable and unreachable[0] == 0:
            raise InputDataError("err.route.start_off_road", "The start point is not near any road.")
        off = [i - 1 for i in unreachable]
        dropped += [dict(r._asdict(), reason="off_network") for r in t.iloc[off].itertuples(index=False)]
        keep = [0] + [i for i in range(1, len(xy)) if i not in unreachable]
        matrix = matrix[np.ix_(keep, keep)]
        t = t.iloc[[i - 1 for i in keep[1:]]].reset_index(drop=True)
        method = "road_network"
    else:
        matrix = euclidean_matrix(xy, detour=detour)
        method = "straight_line"
    if t.empty:
        raise InputDataError("err.route.no_stops", "No reachable targets.")
    plan = solve(matrix, teams=teams, day_min=hours * 60, speed_kmh=speed_kmh, service_min=service_min,
                 priority=np.concatenate([[0], t["priority"].to_numpy()]),
                 time_limit_s=time_limit_s or time_limit_for(len(t)), progress=progress)
    t0 = datetime.strptime(start_time, "%H:%M")
    rows, summary = [], []
    for r in plan.routes:
        prev = 0
        for seq, (node, arr) in enumerate(zip(r.stops, r.arrival_min, strict=True), start=1):
            target = t.iloc[node - 1]
            rows.append({"team": r.team + 1, "seq": seq, **target.to_dict(),
                         "arrival": (t0 + timedelta(minutes=float(arr))).strftime("%H:%M"),
                         "leg_km": round(matrix[prev][node] / 1000, 2)})
            prev = node
        summary.append({"team": r.team + 1, "stops": len(r.stops), "km": round(r.length_m / 1000, 1),
                        "hours": round(r.duration_min / 60, 2),
                        "back": (t0 + timedelta(minutes=r.duration_min)).strftime("%H:%M")})
    dropped += [dict(t.iloc[i - 1].to_dict(), reason=plan.reasons[i]) for i in plan.dropped]
    params = {"teams": teams, "start": list(start), "start_time": start_time, "hours": hours,
              "service_min": service_min, "speed_kmh": speed_kmh, "detour": detour if method == "straight_line" else None,
              "distances": method, "solver": plan.params["solver"], "seconds": round(plan.seconds, 2),
              "notices": plan.notices}
    stops_df = pd.DataFrame(rows, columns=["team", "seq", "kind", "ref", "label", "village", "lon", "lat",
                                           "township_code", "priority", "arrival", "leg_km"])
    return DayPlan(stops_df, pd.DataFrame(summary, columns=["team", "stops", "km", "hours", "back"]),
                   pd.DataFrame(dropped, columns=["kind", "ref", "label", "village", "lon", "lat", "township_code",
                                                  "priority", "reason"]), params)


@dataclass(frozen=True)
class TeamCrew:
    """Who goes out as one team of a dispatch: its number in the plan, its name, the members' user names."""

    team: int
    name: str = ""
    members: tuple[str, ...] = ()


def _check_crews(s, plan: DayPlan, crews: list[TeamCrew]) -> list[TeamCrew]:
    """One crew per team of the plan, named (default 第N组), its members active accounts that may record cases."""
    teams = sorted({int(t) for t in plan.stops["team"]}) or [1]
    given = {c.team: c for c in crews}
    unknown = sorted(set(given) - set(range(1, int(plan.params.get("teams", len(teams))) + 1)) - set(teams))
    if unknown:
        raise InputDataError("err.dispatch.team", f"No team {unknown[0]} in this plan.", team=unknown[0])
    names = {m for c in crews for m in c.members}
    rows = dict(s.execute(select(User.username, User.role).where(User.username.in_(names), User.active)).all())
    bad = sorted(m for m in names if rows.get(m) not in ("enforcement", "admin"))
    if bad:
        raise InputDataError("err.dispatch.member", f"{bad[0]} cannot go out on inspections.", user="、".join(bad))
    twice = sorted({m for m in names if sum(m in c.members for c in crews) > 1})
    if twice:
        raise InputDataError("err.dispatch.member_twice", f"{twice[0]} is in two teams.", user="、".join(twice))
    out = []
    for team in teams:
        c = given.get(team, TeamCrew(team))
        name = " ".join(c.name.split())[:64]
        out.append(TeamCrew(team, name or f"第{team}组", tuple(dict.fromkeys(c.members))))
    return out


def save_dispatch(store: Store, user: CurrentUser, plan: DayPlan, *, day: date,
                  crews: list[TeamCrew] | None = None) -> int:
    """Save the routes as a dispatch tied to its cases; inspections recorded later link back to it.

    ``crews`` names each team and the accounts that go out with it: each member's field page shows the
    team's stops on ``day``.  A team without a crew is saved as 第N组 with no members.
    """
    authorize(store, user, "leads.edit", target=f"dispatch {day}")
    with store.session(user) as s:
        checked = _check_crews(s, plan, list(crews or []))
        d = Dispatch(day=day, created_by=user.username, params_json=json.dumps(plan.params, ensure_ascii=False))
        s.add(d)
        s.flush()
        for r in plan.stops.itertuples():
            s.add(DispatchStop(dispatch_id=d.id, team=int(r.team), seq=int(r.seq), kind=r.kind, ref=r.ref,
                               lon=float(r.lon), lat=float(r.lat), arrival=r.arrival))
        for c in checked:
            s.add(DispatchTeam(dispatch_id=d.id, team=c.team, name=c.name, members=",".join(c.members)))
        return d.id


def saved_dispatches(store: Store, *, day: date | None = None, since: date | None = None) -> pd.DataFrame:
    """Saved dispatches (of ``day``, or from ``since``), one row per team: name, members, stops, who saved it.

    Counted by the database (one query), newest first.
    """
    from sqlalchemy import func

    stops = (select(DispatchStop.dispatch_id, DispatchStop.team, func.count().label("stops"))
             .group_by(DispatchStop.dispatch_id, DispatchStop.team).subquery())
    q = (select(Dispatch.id, Dispatch.day, Dispatch.created_by, Dispatch.created_at, stops.c.team, stops.c.stops,
                DispatchTeam.name, DispatchTeam.members)
         .join(stops, stops.c.dispatch_id == Dispatch.id)
         .join(DispatchTeam, (DispatchTeam.dispatch_id == Dispatch.id) & (DispatchTeam.team == stops.c.team),
               isouter=True)
         .order_by(Dispatch.day.desc(), Dispatch.id.desc(), stops.c.team))
    if day is not None:
        q = q.where(Dispatch.day == day)
    if since is not None:
        q = q.where(Dispatch.day >= since)
    with store.session() as s:
        rows = s.execute(q).all()
    df = pd.DataFrame(rows, columns=["dispatch_id", "day", "created_by", "created_at", "team", "stops", "name",
                                     "members"])
    df["name"] = [n or f"第{t}组" for n, t in zip(df["name"], df["team"], strict=True)]
    df["members"] = df["members"].fillna("")
    return df


def team_of(store: Store, username: str, day: date) -> tuple[int, int, str, list[str]] | None:
    """The newest dispatch of ``day`` with a team ``username`` is in: (dispatch id, team, team name, members)."""
    with store.session() as s:
        rows = s.execute(select(DispatchTeam.dispatch_id, DispatchTeam.team, DispatchTeam.name, DispatchTeam.members)
                         .join(Dispatch, Dispatch.id == DispatchTeam.dispatch_id).where(Dispatch.day == day)
                         .order_by(Dispatch.id.desc(), DispatchTeam.team)).all()
    for did, team, name, members in rows:
        people = [m for m in members.split(",") if m]
        if username in people:
            return did, team, name, people
    return None


def dispatch_stops(store: Store, dispatch_id: int, team: int | None = None) -> pd.DataFrame:
    """The stops of a saved dispatch (one team's, or all), in order."""
    q = (select(DispatchStop.team, DispatchStop.seq, DispatchStop.kind, DispatchStop.ref, DispatchStop.lon,
                DispatchStop.lat, DispatchStop.arrival).where(DispatchStop.dispatch_id == dispatch_id)
         .order_by(DispatchStop.team, DispatchStop.seq))
    if team is not None:
        q = q.where(DispatchStop.team == team)
    with store.session() as s:
        rows = s.execute(q).all()
    return pd.DataFrame(rows, columns=["team", "seq", "kind", "ref", "lon", "lat", "arrival"])


def dispatch_for_lead(session, lead_code: str, today: date) -> int | None:
    """The newest dispatch of the last week that sends a team to this lead (for linking an inspection)."""
    row = session.execute(select(Dispatch.id).join(DispatchStop, DispatchStop.dispatch_id == Dispatch.id)
                          .where(DispatchStop.ref == lead_code, Dispatch.day <= today,
                                 Dispatch.day >= today - timedelta(days=7))
                          .order_by(Dispatch.day.desc(), Dispatch.id.desc())).first()
    return row[0] if row else None
