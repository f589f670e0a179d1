"""The reclaimed-water system and the permit screening for 行政审批 (issue 14).

The plan pairs cutting groundwater with using reclaimed water: 7,000,000 m³ used in 2023, a utilisation
rate of 50% by 2025, and no new or renewed groundwater permit for a high-water-use project (火电、钢铁、
有色金属、造纸、印染) that could take reclaimed water and does not.

* **Utilisation rate** (再生水利用率) = reclaimed water used ÷ sewage treated, by month and by year, from
  the plants' monthly treated volumes and the users' monthly volumes (both stored, audited).
* **Effluent**: a month whose effluent is worse than surface-water class V (劣Ⅴ类) is flagged.
* **Spare capacity** of a pipeline: its capacity (m³/d) minus what the users on it took per day over the
  last twelve months of records.
* **Permit screening**: a high-water-use permit holder within reach (2 km by default) of a pipeline with
  spare capacity that takes no reclaimed water gets ``limit`` (限批: no new or renewed permit until it
  takes reclaimed water), with the figures; permits expiring within 12 months first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from gwmap import clock
from gwmap.crs import area_crs
from gwmap.store.db import Store
from gwmap.store.models import (
    PlantMonth,
    ReclaimedPipeline,
    ReclaimedPlant,
    ReclaimedUse,
    ReclaimedUser,
    WaterUser,
)
from gwmap.vocab import HIGH_WATER_USE

__all__ = ["TARGET_USED_M3", "TARGET_RATE", "REACH_M", "WORSE_THAN_V", "utilisation", "effluent_flags",
           "plants_frame", "pipelines_frame", "users_frame", "water_users_frame", "screen_permits",
           "site_verdict", "Verdict", "month_figures", "map_layers", "RECLAIMED_TABLES", "permits_xlsx",
           "permits_memo_docx"]

#: the plan: reclaimed water used in 2023 (m³) and the utilisation rate by 2025
TARGET_USED_M3 = 7_000_000.0
TARGET_RATE = 0.5
#: how far a permit holder may be from a pipeline with spare capacity to be told to take reclaimed water (m)
REACH_M = 2000.0
WORSE_THAN_V = "V+"
#: months of records a pipeline's load is averaged over
LOAD_MONTHS = 12
#: the tables the reclaimed-water figures read (what a cached answer is keyed by)
RECLAIMED_TABLES = ("reclaimed_plants", "plant_months", "reclaimed_pipelines", "reclaimed_users", "reclaimed_uses",
                    "water_users")


def _last_twelve(today: date) -> tuple[str, str]:
    """The twelve whole months before ``today``'s month, as (first, last) ``YYYY-MM``."""
    first = f"{today.year - 1}-{today.month:02d}"
    last = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    return first, last


def _frame(store: Store, stmt) -> pd.DataFrame:
    with store.engine.connect() as conn:
        return pd.read_sql(stmt, conn)


def plants_frame(store: Store) -> pd.DataFrame:
    return _frame(store, select(ReclaimedPlant).where(~ReclaimedPlant.archived).order_by(ReclaimedPlant.code))


def users_frame(store: Store) -> pd.DataFrame:
    return _frame(store, select(ReclaimedUser).where(~ReclaimedUser.archived).order_by(ReclaimedUser.id))


def water_users_frame(store: Store) -> pd.DataFrame:
    return _frame(store, select(WaterUser).where(~WaterUser.archived).order_by(WaterUser.id))


def utilisation(store: Store, *, by: str = "year") -> pd.DataFrame:
    """Sewage treated, reclaimed water used (in all and per use) and the rate, per ``month`` or ``year``.

    Columns: ``period``, ``treated_m3``, ``used_m3``, ``rate`` (NaN where nothing was treated), one
    ``used_<use>_m3`` per use, and ``months`` (months with plant records in the period).
    """
    treated = _frame(store, select(PlantMonth.month, PlantMonth.treated_m3)
                     .join(ReclaimedPlant, ReclaimedPlant.id == PlantMonth.plant_id).where(~ReclaimedPlant.archived))
    used = _frame(store, select(ReclaimedUse.month, ReclaimedUse.m3, ReclaimedUser.use)
                  .join(ReclaimedUser, ReclaimedUser.id == ReclaimedUse.user_id).where(~ReclaimedUser.archived))
    key = (lambda m: m.str[:4].astype(int)) if by == "year" else (lambda m: m)
    t = treated.assign(period=key(treated["month"])).groupby("period").agg(
        treated_m3=("treated_m3", "sum"), months=("month", "nunique"))
    u = used.assign(period=key(used["month"])).groupby(["period", "use"])["m3"].sum().unstack(fill_value=0.0)
    u.columns = [f"used_{c}_m3" for c in u.columns]
    out = t.join(u, how="outer").fillna({"treated_m3": 0.0, "months": 0})
    use_cols = [c for c in out.columns if c.startswith("used_")]
    out[use_cols] = out[use_cols].fillna(0.0)
    out["used_m3"] = out[use_cols].sum(axis=1) if use_cols else 0.0
    out["rate"] = np.where(out["treated_m3"] > 0, out["used_m3"] / out["treated_m3"].where(out["treated_m3"] > 0),
                           np.nan)
    out["months"] = out["months"].astype(int)
    return out.reset_index().rename(columns={"index": "period"})


def effluent_flags(store: Store) -> pd.DataFrame:
    """Plant months whose effluent was worse than class V: ``code``, ``name``, ``month``, ``effluent_class``."""
    return _frame(store, select(ReclaimedPlant.code, ReclaimedPlant.name, PlantMonth.month, PlantMonth.effluent_class)
                  .join(PlantMonth, PlantMonth.plant_id == ReclaimedPlant.id)
                  .where(PlantMonth.effluent_class == WORSE_THAN_V, ~ReclaimedPlant.archived)
                  .order_by(PlantMonth.month, ReclaimedPlant.code))


def pipelines_frame(store: Store, *, today: date | None = None) -> gpd.GeoDataFrame:
    """Pipelines with their load and spare capacity (m³/d) over the last twelve months of records."""
    today = today or clock.today()
    pipes = _frame(store, select(ReclaimedPipeline).where(~ReclaimedPipeline.archived).order_by(ReclaimedPipeline.id))
    geoms = [shapely.from_geojson(g) for g in pipes["geojson"]]
    gdf = gpd.GeoDataFrame(pipes.drop(columns=["geojson"]), geometry=geoms, crs=4326)
    first, last = _last_twelve(today)
    load = _frame(store, select(ReclaimedUser.pipeline_id, ReclaimedUse.m3)
                  .join(ReclaimedUse, ReclaimedUse.user_id == ReclaimedUser.id)
                  .where(ReclaimedUse.month >= first, ReclaimedUse.month <= last, ~ReclaimedUser.archived,
                         ReclaimedUser.pipeline_id.is_not(None)))
    per_day = load.groupby("pipeline_id")["m3"].sum() / 365.0
    gdf["load_m3_d"] = gdf["id"].map(per_day).fillna(0.0)
    gdf["spare_m3_d"] = gdf["capacity_m3_d"] - gdf["load_m3_d"]
    return gdf


@dataclass(frozen=True)
class Verdict:
    verdict: str  # limit, ok
    reason: str  # a key: screen_permits' reasons
    distance_to_network_m: float | None
    spare_m3_d: float | None
    pipeline: str


def _nearest(pipes: gpd.GeoDataFrame, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each point, the metres to the nearest pipeline with spare capacity and that pipeline's row (-1)."""
    usable = pipes[pipes["spare_m3_d"] > 0]
    if usable.empty or not len(lon):
        return np.full(len(lon), np.nan), np.full(len(lon), -1)
    crs = area_crs()
    lines = usable.to_crs(crs).geometry.to_numpy()
    pts = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(crs).to_numpy()
    d = np.array([[shapely.distance(p, line) for line in lines] for p in pts])
    k = d.argmin(axis=1)
    return d[np.arange(len(pts)), k], usable.index.to_numpy()[k]


def _verdict(industry: str, takes: bool, dist: float, spare: float | None, pipe: str, reach_m: float) -> Verdict:
    if industry not in HIGH_WATER_USE:
        return Verdict("ok", "not_high_use", dist, spare, pipe)
    if takes:
        return Verdict("ok", "takes_reclaimed", dist, spare, pipe)
    if not np.isfinite(dist):
        return Verdict("ok", "no_network", None, None, "")
    if dist > reach_m:
        return Verdict("ok", "out_of_reach", dist, spare, pipe)
    return Verdict("limit", "could_take_reclaimed", dist, spare, pipe)


def screen_permits(store: Store, *, reach_m: float = REACH_M, today: date | None = None) -> list[dict]:
    """Every permit holder with the verdict for 行政审批, the ``limit`` ones first (soonest expiry first).

    ``[{user, industry, permit_no, permit_m3, expires, distance_to_network_m, uses_reclaimed, verdict,
    reason, pipeline, spare_m3_d, expires_within_12_months}]``.
    """
    today = today or clock.today()
    users = water_users_frame(store)
    pipes = pipelines_frame(store, today=today)
    takers = set(users_frame(store)["water_user_id"].dropna().astype(int))
    dist, idx = _nearest(pipes, users["lon"].to_numpy(float), users["lat"].to_numpy(float))
    out = []
    soon = date(today.year + 1, today.month, min(today.day, 28))
    for k, u in enumerate(users.itertuples()):
        found = idx[k] >= 0
        v = _verdict(u.industry, int(u.id) in takers, float(dist[k]) if found else np.nan,
                     float(pipes.at[idx[k], "spare_m3_d"]) if found else None,
                     str(pipes.at[idx[k], "name"]) if found else "", reach_m)
        expires = pd.Timestamp(u.permit_expires).date() if pd.notna(u.permit_expires) else None
        out.append({"user": u.name, "industry": u.industry, "permit_no": u.permit_no,
                    "permit_m3": float(u.permit_m3_per_year), "expires": expires.isoformat() if expires else None,
                    "distance_to_network_m": None if v.distance_to_network_m is None
                    else round(v.distance_to_network_m, 0),
                    "uses_reclaimed": int(u.id) in takers, "verdict": v.verdict, "reason": v.reason,
                    "pipeline": v.pipeline, "spare_m3_d": None if v.spare_m3_d is None else round(v.spare_m3_d, 0),
                    "expires_within_12_months": bool(expires is not None and today <= expires <= soon),
                    "lon": float(u.lon), "lat": float(u.lat)})
    return sorted(out, key=lambda r: (r["verdict"] != "limit", not r["expires_within_12_months"],
                                      r["expires"] or "9999", r["user"]))


def site_verdict(store: Store, *, lon: float, lat: float, industry: str, reach_m: float = REACH_M,
                 today: date | None = None) -> Verdict:
    """The same answer for a candidate site of a new project (one click on the map)."""
    pipes = pipelines_frame(store, today=today)
    dist, idx = _nearest(pipes, np.array([lon], float), np.array([lat], float))
    found = idx[0] >= 0
    return _verdict(industry, False, float(dist[0]) if found else np.nan,
                    float(pipes.at[idx[0], "spare_m3_d"]) if found else None,
                    str(pipes.at[idx[0], "name"]) if found else "", reach_m)


def geojson_line(geom) -> str:
    return json.dumps(shapely.geometry.mapping(geom))


def month_figures(store: Store, month: str) -> dict | None:
    """Reclaimed water for the bulletin of ``month``, from its latest month with plant records.

    Plants report after the month ends, so that is the latest month up to ``month`` with records: treated,
    used and rate, the year to that month, and the plants whose effluent was worse than class V that
    month; None when there are no records by then.
    """
    months = utilisation(store, by="month").set_index("period")
    known = [m for m in months.index if m <= month and months.at[m, "months"] > 0]
    if not known:
        return None
    month = max(known)
    ytd = months[(months.index.str[:4] == month[:4]) & (months.index <= month)]
    flags = effluent_flags(store)
    treated = float(ytd["treated_m3"].sum())
    return {"month": month, "treated_m3": float(months.at[month, "treated_m3"]),
            "used_m3": float(months.at[month, "used_m3"]), "rate": float(months.at[month, "rate"]),
            "ytd_used_m3": float(ytd["used_m3"].sum()), "ytd_treated_m3": treated,
            "ytd_rate": float(ytd["used_m3"].sum() / treated) if treated > 0 else float("nan"),
            "bad_effluent": list(flags.loc[flags["month"] == month, "name"])}


def map_layers(store: Store, *, today: date | None = None) -> dict:
    """The one-map's reclaimed-water layers, volumes over the last twelve whole months.

    ``plants`` with ``treated_12m_m3``, ``pipelines`` with their spare capacity, ``users`` with ``m3_12m``.
    """
    today = today or clock.today()
    first, last = _last_twelve(today)
    plants = plants_frame(store)
    treated = _frame(store, select(PlantMonth.plant_id, PlantMonth.treated_m3)
                     .where(PlantMonth.month >= first, PlantMonth.month <= last))
    plants["treated_12m_m3"] = plants["id"].map(treated.groupby("plant_id")["treated_m3"].sum()).fillna(0.0)
    users = users_frame(store)
    used = _frame(store, select(ReclaimedUse.user_id, ReclaimedUse.m3)
                  .where(ReclaimedUse.month >= first, ReclaimedUse.month <= last))
    users["m3_12m"] = users["id"].map(used.groupby("user_id")["m3"].sum()).fillna(0.0)
    return {"plants": plants, "pipelines": pipelines_frame(store, today=today), "users": users}


def _reason_text(r: dict, tr, reach_m: float) -> str:
    d = "—" if r["distance_to_network_m"] is None else f"{r['distance_to_network_m']:,.0f}"
    return tr(f"permits.reason.{r['reason']}", distance=d, reach=f"{reach_m:,.0f}")


def permits_xlsx(rows: list[dict], *, tr, reach_m: float = REACH_M) -> bytes:
    """The screening list as Excel for the approval office: one row per permit holder, ``limit`` rows red."""
    import io

    import openpyxl
    from openpyxl.styles import Font, PatternFill

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = tr("permits.sheet")
    head = ["permits.col.user", "vocab_industry", "field.permit_no", "field.permit_m3_per_year", "field.permit_expires",
            "permits.col.expires_soon", "permits.col.distance", "permits.col.pipeline", "map.spare_m3_d",
            "permits.col.uses_reclaimed", "permits.col.verdict", "permits.col.reason"]
    ws.append([tr("field.industry") if h == "vocab_industry" else tr(h) for h in head])
    for c in ws[1]:
        c.font = Font(bold=True)
    red = PatternFill("solid", fgColor="FDE0DC")
    yes, no = tr("permits.yes"), tr("permits.no")
    for r in rows:
        ws.append([r["user"], tr(f"vocab.industry.{r['industry']}"), r["permit_no"], r["permit_m3"], r["expires"],
                   yes if r["expires_within_12_months"] else no, r["distance_to_network_m"], r["pipeline"] or None,
                   r["spare_m3_d"], yes if r["uses_reclaimed"] else no, tr(f"permits.verdict.{r['verdict']}"),
                   _reason_text(r, tr, reach_m)])
        if r["verdict"] == "limit":
            for c in ws[ws.max_row]:
                c.fill = red
    for col, width in zip("ABCDEFGHIJKL", (26, 10, 24, 14, 12, 10, 12, 20, 14, 12, 22, 60), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "B2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def permits_memo_docx(rows: list[dict], *, tr, lang: str = "zh", reach_m: float = REACH_M,
                      today: date | None = None) -> bytes:
    """A memo to the approval office (行政审批局): the rule, then each permit holder to limit with its figures."""
    import io

    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    today = today or clock.today()
    limited = [r for r in rows if r["verdict"] == "limit"]
    doc = Document()
    st = doc.styles["Normal"]
    st.font.name = "SimSun"
    st.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    st.font.size = Pt(12)
    doc.add_heading(tr("permits.memo.title"), level=1)
    doc.add_paragraph(tr("permits.memo.to"))
    doc.add_paragraph(tr("permits.memo.rule", reach=f"{reach_m:,.0f}", count=len(limited)))
    for k, r in enumerate(limited, 1):
        doc.add_paragraph(tr("permits.memo.item", n=k, user=r["user"], industry=tr(f"vocab.industry.{r['industry']}"),
                             permit=r["permit_no"], m3=f"{r['permit_m3']:,.0f}", expires=r["expires"] or "—",
                             distance=f"{r['distance_to_network_m']:,.0f}", pipeline=r["pipeline"],
                             spare=f"{r['spare_m3_d']:,.0f}")
                          + (tr("permits.memo.soon") if r["expires_within_12_months"] else ""))
    if not limited:
        doc.add_paragraph(tr("permits.memo.none"))
    doc.add_paragraph(tr("permits.memo.ask"))
    doc.add_paragraph(tr("permits.memo.from", date=f"{today.year}年{today.month}月{today.day}日" if lang == "zh"
                         else today.isoformat()))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
