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
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import select

from gwmap import clock
from gwmap.crs import area_crs
from gwmap.io.checks import Problem, RowCheck, find_columns, month_column, number_cells, template_xlsx, text_cells
from gwmap.store.db import Store
from gwmap.store.models import (
    PlantMonth,
    ReclaimedPipeline,
    ReclaimedPlant,
    ReclaimedUse,
    ReclaimedUser,
    WaterUser,
)
from gwmap.store.repo import _frame
from gwmap.vocab import HIGH_WATER_USE

__all__ = ["REACH_M", "WORSE_THAN_V", "utilisation", "effluent_flags",
           "plants_frame", "pipelines_frame", "users_frame", "water_users_frame", "permit_verdicts",
           "site_verdict", "Verdict", "month_figures", "map_layers", "permits_xlsx",
           "permits_memo_docx", "check_plant_months", "check_user_volumes", "import_months", "PLANT_MONTH_COLUMNS",
           "USER_MONTH_COLUMNS", "plant_months_template_xlsx", "user_volumes_template_xlsx", "check_pipelines",
           "import_pipelines", "PipelineImport", "check_water_users", "import_water_users", "water_users_template_xlsx",
           "WATER_USER_COLUMNS", "check_register", "import_register", "register_template_xlsx"]

#: how far a permit holder may be from a pipeline with spare capacity to be told to take reclaimed water (m)
REACH_M = 2000.0
WORSE_THAN_V = "V+"
#: months of records a pipeline's load is averaged over
LOAD_MONTHS = 12


def _last_twelve(today: date) -> tuple[str, str]:
    """The twelve whole months before ``today``'s month, as (first, last) ``YYYY-MM``."""
    first = f"{today.year - 1}-{today.month:02d}"
    last = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    return first, last


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
    reason: str  # a key: permit_verdicts' reasons
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
    d = shapely.distance(pts[:, None], lines[None, :])  # every point to every main, in one vectorised call
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


def permit_verdicts(store: Store, *, reach_m: float = REACH_M, today: date | None = None) -> list[dict]:
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


# --- monthly records in from files (the plants' reports, the users' meters) --------------------------------

PLANT_MONTH_COLUMNS = {
    "plant": ("厂站编码", "plant_code"), "month": ("年月", "month"), "treated_m3": ("污水处理量m3", "treated_m3"),
    "reclaimed_m3": ("再生水供水量m3", "reclaimed_m3"), "effluent_class": ("出水水质类别", "effluent_class"),
}
USER_MONTH_COLUMNS = {"user": ("用户名称", "user"), "month": ("年月", "month"), "m3": ("用水量m3", "m3")}
#: a county plant is at most 100,000 t/d: a month beyond 31 days of it is a typo
MAX_MONTH_M3 = 3_100_000.0
_CLASS_WORDS = {"i": "I", "ii": "II", "iii": "III", "iv": "IV", "v": "V", "1": "I", "2": "II", "3": "III", "4": "IV",
                "5": "V", "ⅰ": "I", "ⅱ": "II", "ⅲ": "III", "ⅳ": "IV", "ⅴ": "V", "劣v": "V+", "劣ⅴ": "V+", "v+": "V+",
                "劣5": "V+", "worsethanv": "V+"}


def _effluent(values: pd.Series) -> pd.Series:
    """``I``–``V`` or ``V+`` from 'Ⅳ类', 'IV', '4', '劣Ⅴ类', 'V+'; NaN otherwise (blank stays blank)."""
    text = text_cells(values).str.lower().str.replace("类", "", regex=False).str.replace(" ", "", regex=False)
    return text.map(lambda v: "" if v == "" else _CLASS_WORDS.get(v, np.nan))


def _check_months(df: pd.DataFrame, spec: dict, *, key: str, known: set[str], value_cols: tuple[str, ...],
                  kind: str, raw: bytes, today: date | None, extra=None):
    """The shared checks of a monthly file.

    The key (plant or user) is known, the month real and not after this one, volumes ≥ 0 and plausible,
    one row per key and month.
    """
    today = today or clock.today()
    cols = find_columns(df, spec, (key, "month", value_cols[0]))
    rc = RowCheck(len(df), cols, spec)
    add = rc.add
    ident = text_cells(df[cols[key]])
    add(ident == "", key, "err.rw.no_key", ident)
    add((ident != "") & ~ident.isin(known), key, f"err.rw.unknown_{key}", ident)
    month_raw, month = month_column(rc, df, cols, today)
    out = {key: ident, "month": month}
    for name in value_cols:
        if name not in cols:
            out[name] = pd.Series(0.0, index=df.index)
            continue
        raw_v = text_cells(df[cols[name]])
        v = number_cells(df[cols[name]])
        required = name == value_cols[0]
        add((v.isna() & (raw_v != "" if not required else True)) | ~np.isfinite(v.fillna(0)), name, "err.rw.volume",
            raw_v)
        add(v < 0, name, "err.power.kwh_negative", raw_v)
        add(v > MAX_MONTH_M3, name, "err.rw.volume_large", raw_v, most=f"{MAX_MONTH_M3:,.0f}")
        out[name] = v.fillna(0.0)
    if extra is not None:
        extra(cols, add, out)
    keys = pd.Series(list(zip(ident, month, strict=True)), index=df.index)
    dup = (~rc.bad) & keys.duplicated(keep="first").to_numpy()
    firsts = {k: int(rc.rownum[i]) for i, k in reversed(list(enumerate(keys)))}
    for i in np.flatnonzero(dup):
        add(np.arange(len(df)) == i, "month", "err.rw.duplicate", month_raw, first=firsts[keys.iloc[i]])
    return rc.result(kind, out, raw)


def check_plant_months(df: pd.DataFrame, *, plants: set[str], raw: bytes = b"", today: date | None = None):
    """A plants' monthly report file: plant code, month, sewage treated, reclaimed supplied, effluent class."""

    def effluent(cols, add, out):
        if "effluent_class" in cols:
            raw_c = text_cells(df[cols["effluent_class"]])
            cls = _effluent(df[cols["effluent_class"]])
            add(cls.isna(), "effluent_class", "err.rw.effluent", raw_c)
            out["effluent_class"] = cls.fillna("")
        else:
            out["effluent_class"] = pd.Series("", index=df.index)
        add((out["treated_m3"] >= 0) & (out["reclaimed_m3"] > out["treated_m3"] * 1.0001), "reclaimed_m3",
            "err.rw.more_than_treated",
            out["reclaimed_m3"].astype(str))

    return _check_months(df, PLANT_MONTH_COLUMNS, key="plant", known=plants, value_cols=("treated_m3", "reclaimed_m3"),
                         kind="plant_months", raw=raw, today=today, extra=effluent)


def check_user_volumes(df: pd.DataFrame, *, users: set[str], raw: bytes = b"", today: date | None = None):
    """Reclaimed-water users' monthly volumes: user name (as registered), month, m³."""
    return _check_months(df, USER_MONTH_COLUMNS, key="user", known=users, value_cols=("m3",), kind="user_months",
                         raw=raw, today=today)


def _upsert(s, have: dict, records, make) -> tuple[int, int]:
    """Add ``make(key, values)`` for each new key, set the values of a stored one that differs (audited).

    ``records``: (key, values) pairs; ``have``: the stored records by key.  Returns (added, updated).
    """
    added = updated = 0
    for k, values in records:
        rec = have.get(k)
        if rec is None:
            s.add(make(k, values))
            added += 1
        elif any(getattr(rec, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(rec, f, v)
            updated += 1
    return added, updated


def import_months(store: Store, user, check) -> dict[str, int]:
    """Store a clean file of plant months or user volumes in one transaction; the counts of each outcome.

    New months are added; months already stored are updated (a correction: the audit trail keeps the old
    figures).
    """
    from gwmap.errors import InputDataError
    from gwmap.store.users import authorize

    authorize(store, user, "reclaimed.edit", target=check.kind)
    if check.problems or not len(check.rows):
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(check.problems))
    with store.session(user) as s:
        if check.kind == "plant_months":
            ids = dict(s.execute(select(ReclaimedPlant.code, ReclaimedPlant.id)).all())
            have = {(r.plant_id, r.month): r for r in s.scalars(select(PlantMonth).where(
                PlantMonth.plant_id.in_([ids[c] for c in set(check.rows["plant"])])))}
            added, updated = _upsert(s, have, (((ids[r.plant], r.month), {
                "treated_m3": float(r.treated_m3), "reclaimed_m3": float(r.reclaimed_m3),
                "effluent_class": r.effluent_class}) for r in check.rows.itertuples()),
                lambda k, v: PlantMonth(plant_id=k[0], month=k[1], **v))
        else:
            ids = dict(s.execute(select(ReclaimedUser.name, ReclaimedUser.id).where(~ReclaimedUser.archived)).all())
            have = {(r.user_id, r.month): r for r in s.scalars(select(ReclaimedUse).where(
                ReclaimedUse.user_id.in_([ids[c] for c in set(check.rows["user"])])))}
            added, updated = _upsert(s, have, (((ids[r.user], r.month), {"m3": float(r.m3)})
                                               for r in check.rows.itertuples()),
                                     lambda k, v: ReclaimedUse(user_id=k[0], month=k[1], **v))
    return {"added": added, "updated": updated, "unchanged": len(check.rows) - added - updated}


def plant_months_template_xlsx() -> bytes:

    return template_xlsx([h[0] for h in PLANT_MONTH_COLUMNS.values()], ["WS01", "2026-11", 620000, 300000, "Ⅳ类"])


def user_volumes_template_xlsx() -> bytes:

    return template_xlsx([h[0] for h in USER_MONTH_COLUMNS.values()], ["城区园林绿化", "2026-11", 52000])


# --- pipelines from a line file (GeoJSON, zipped Shapefile, GeoPackage, KML), as road networks are read -------

#: a main far larger than any county's (a 1.5 m pipe at 2 m/s carries about 300,000 m³/d) is a typo
MAX_CAPACITY_M3_D = 1_000_000.0
#: lines must touch the county or lie within this distance of it (m)
NEAR_COUNTY_M = 5000.0


@dataclass(frozen=True)
class PipelineImport:
    """A checked line file: the mains to store (name, capacity, geometry, length) and every problem."""

    lines: gpd.GeoDataFrame
    problems: tuple
    fields: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return not self.problems and len(self.lines) > 0


def check_pipelines(raw: bytes, filename: str, *, name_field: str | None, capacity_field: str | None,
                    default_capacity_m3_d: float | None, outline, crs: str | None = None) -> PipelineImport:
    """Read the mains from a line file and check them: lines only, a name, a capacity, near the county."""
    from gwmap.errors import InputDataError
    from gwmap.io.boundaries import read_boundary_file

    read = read_boundary_file(raw, filename, crs=crs)
    gdf = read.gdf
    lines = gdf[gdf.geometry.geom_type.isin(["LineString", "MultiLineString"])].reset_index(drop=True)
    if lines.empty:
        raise InputDataError("err.rw.no_lines", "The file has no lines.", name=filename,
                             kinds="、".join(sorted(set(gdf.geometry.geom_type.dropna()))) or "—")
    problems = []
    row = np.arange(len(lines)) + 1  # the feature's number in the file's lines
    names = text_cells(lines[name_field]) if name_field and name_field in lines else pd.Series(
        [f"{Path(filename).stem}-{i}" for i in row])
    for i in np.flatnonzero((names == "").to_numpy()):
        problems.append(Problem(int(row[i]), name_field or "", "", "err.rw.no_key", {}))
    if capacity_field and capacity_field in lines:
        cap = number_cells(lines[capacity_field])
        cap_raw = text_cells(lines[capacity_field])
    else:
        cap = pd.Series(np.nan if default_capacity_m3_d is None else float(default_capacity_m3_d), index=lines.index)
        cap_raw = cap.astype(str)
    for i in np.flatnonzero((cap.isna() | ~np.isfinite(cap.fillna(0)) | (cap <= 0) | (cap > MAX_CAPACITY_M3_D))
                            .to_numpy()):
        shown = "" if pd.isna(cap_raw.iloc[i]) else str(cap_raw.iloc[i])[:40]
        problems.append(Problem(int(row[i]), capacity_field or "", shown, "err.rw.capacity",
                                {"most": f"{MAX_CAPACITY_M3_D:,.0f}"}))
    proj = area_crs()
    metric = lines.to_crs(proj)
    if outline is not None:
        county = gpd.GeoSeries([outline], crs=4326).to_crs(proj).iloc[0]
        far = metric.distance(county) > NEAR_COUNTY_M
        for i in np.flatnonzero(far.to_numpy()):
            problems.append(Problem(int(row[i]), "", f"{metric.distance(county).iloc[i] / 1000:,.1f} km",
                                    "err.rw.line_far", {"km": f"{NEAR_COUNTY_M / 1000:,.0f}"}))
    dup = names.duplicated(keep="first") & (names != "")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(int(row[i]), name_field or "", str(names.iloc[i])[:40], "err.rw.duplicate_line", {}))
    out = gpd.GeoDataFrame({"name": names.str[:128], "capacity_m3_d": cap, "length_m": metric.length.round(1)},
                           geometry=lines.geometry.to_numpy(), crs=4326)
    problems.sort(key=lambda p: p.row)
    return PipelineImport(out, tuple(problems), tuple(c for c in gdf.columns if c != "geometry"))


def import_pipelines(store: Store, user, checked: PipelineImport) -> dict[str, int]:
    """Store the mains; the counts of added and updated.

    A name already stored gets the new line and capacity (audited, counted when they differ), a new name is
    added; mains not in the file stay as they are.
    """
    from gwmap.errors import InputDataError
    from gwmap.store.users import authorize

    authorize(store, user, "reclaimed.edit", target="pipelines")
    if not checked.clean:
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(checked.problems))
    with store.session(user) as s:
        have = {p.name: p for p in s.scalars(select(ReclaimedPipeline).where(~ReclaimedPipeline.archived))}
        added, updated = _upsert(s, have, ((r.name, {
            "capacity_m3_d": float(r.capacity_m3_d), "geojson": geojson_line(r.geometry), "length_m": float(r.length_m)})
            for r in checked.lines.itertuples()), lambda k, v: ReclaimedPipeline(name=k, **v))
    return {"added": added, "updated": updated}


# --- permit holders (取水户) from the approval office's list --------------------------------------------------

WATER_USER_COLUMNS = {
    "name": ("取水户名称", "name"), "industry": ("行业", "industry"), "permit_no": ("取水许可证号", "permit_no"),
    "permit_m3": ("许可水量m3/年", "permit_m3"), "expires": ("有效期至", "expires"), "lon": ("经度", "lon"),
    "lat": ("纬度", "lat"),
}


def _industry(values: pd.Series) -> pd.Series:
    """An industry key from its key or its Chinese name (火电, 造纸 …); NaN when neither."""
    from gwmap.i18n import translate
    from gwmap.vocab import INDUSTRIES

    words = {translate(f"vocab.industry.{k}", "zh"): k for k in INDUSTRIES} | {k: k for k in INDUSTRIES}
    return text_cells(values).map(lambda v: words.get(v, words.get(v.lower(), np.nan)))


def check_water_users(df: pd.DataFrame, *, outline=None, raw: bytes = b"", today: date | None = None):
    """The approval office's list of permit holders: every problem at once, with its row."""
    import shapely

    from gwmap.dates import parse_dates

    cols = find_columns(df, WATER_USER_COLUMNS, ("name", "industry", "permit_no", "permit_m3", "lon", "lat"))
    n = len(df)
    rc = RowCheck(n, cols, WATER_USER_COLUMNS)
    add = rc.add

    name, permit = text_cells(df[cols["name"]]), text_cells(df[cols["permit_no"]])
    add(name == "", "name", "err.rw.no_key", name)
    add(name.str.len() > 128, "name", "err.power.text_long", name, most=128)
    add(permit.str.len() > 64, "permit_no", "err.power.text_long", permit, most=64)
    add(permit == "", "permit_no", "err.rw.no_key", permit)
    ind_raw = text_cells(df[cols["industry"]])
    industry = _industry(df[cols["industry"]])
    add(industry.isna(), "industry", "err.rw.industry", ind_raw)
    m3_raw = text_cells(df[cols["permit_m3"]])
    m3 = number_cells(df[cols["permit_m3"]])
    add(m3.isna() | (m3 < 0) | (m3 > 1e8), "permit_m3", "err.rw.permit_m3", m3_raw)
    expires = pd.Series([None] * n, index=df.index, dtype=object)
    if "expires" in cols:
        exp_raw = text_cells(df[cols["expires"]])
        parsed = parse_dates(df[cols["expires"]])
        add((exp_raw != "") & (parsed.isna() | (parsed.dt.year < 1990) | (parsed.dt.year > 2100)), "expires",
            "err.rw.expires", exp_raw)
        expires = parsed.dt.date.where(parsed.notna(), None)
    lon, lat = number_cells(df[cols["lon"]]), number_cells(df[cols["lat"]])
    pos_raw = text_cells(df[cols["lon"]]) + " " + text_cells(df[cols["lat"]])
    add(lon.isna() | lat.isna(), "lon", "err.power.position_number", pos_raw)
    if outline is not None:
        ok = lon.notna() & lat.notna()
        inside = np.zeros(n, bool)
        idx = np.flatnonzero(ok.to_numpy())
        inside[idx] = shapely.contains_xy(outline, lon.to_numpy()[idx], lat.to_numpy()[idx])
        add(ok.to_numpy() & ~inside, "lon", "err.power.outside", pos_raw)
    dup = (~rc.bad) & permit.duplicated(keep="first").to_numpy() & (permit != "").to_numpy()
    add(dup, "permit_no", "err.rw.duplicate_permit", permit)
    return rc.result("water_users", {"name": name, "industry": industry, "permit_no": permit, "permit_m3": m3,
                                     "expires": expires, "lon": lon, "lat": lat}, raw)


def import_water_users(store: Store, user, check) -> dict[str, int]:
    """Add new permit holders and update the stored ones by permit number (audited); the counts."""
    from gwmap.errors import InputDataError
    from gwmap.store.users import authorize

    authorize(store, user, "reclaimed.edit", target="water_users")
    if check.problems or not len(check.rows):
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(check.problems))
    with store.session(user) as s:
        have = {w.permit_no: w for w in s.scalars(select(WaterUser).where(~WaterUser.archived))}
        added, updated = _upsert(s, have, ((r.permit_no, {
            "name": r.name, "industry": r.industry, "permit_m3_per_year": float(r.permit_m3),
            "permit_expires": r.expires, "lon": round(float(r.lon), 7), "lat": round(float(r.lat), 7)})
            for r in check.rows.itertuples()), lambda k, v: WaterUser(permit_no=k, **v))
    return {"added": added, "updated": updated, "unchanged": len(check.rows) - added - updated}


def water_users_template_xlsx() -> bytes:
    from gwmap.county import active

    p = active()
    lon, lat = p.centre
    return template_xlsx([h[0] for h in WATER_USER_COLUMNS.values()],
                     [f"{p.name}某某造纸有限公司", "造纸", "取水(×)字[2024]第001号", 200000, "2028-12-31", round(lon, 3),
                      round(lat, 3)])


# --- the register of plants and of reclaimed-water users ------------------------------------------------------

PLANT_COLUMNS = {"code": ("厂站编码", "code"), "name": ("名称", "name"), "kind": ("类型", "kind"),
                 "capacity": ("处理规模t/d", "capacity_t_d"), "lon": ("经度", "lon"), "lat": ("纬度", "lat")}
USER_COLUMNS = {"name": ("用户名称", "name"), "use": ("用途", "use"), "pipeline": ("管线名称", "pipeline"),
                "permit_no": ("取水许可证号", "permit_no"), "lon": ("经度", "lon"), "lat": ("纬度", "lat")}


def _vocab(values: pd.Series, group: str, keys) -> pd.Series:
    from gwmap.i18n import translate

    words = {translate(f"vocab.{group}.{k}", "zh"): k for k in keys} | {k: k for k in keys}
    words |= {"县": "county", "乡镇": "township", "绿化": "greening", "工业": "industry", "生态": "ecological",
              "道路": "road_cleaning"} if group in ("plant_kind", "reclaimed_use") else {}
    return text_cells(values).map(lambda v: words.get(v, np.nan))


def check_register(df: pd.DataFrame, *, kind: str, store: Store, outline=None, raw: bytes = b""):
    """A list of sewage plants (``kind="plants"``) or reclaimed-water users (``kind="users"``), checked whole."""
    import shapely

    from gwmap.vocab import PLANT_KINDS, RECLAIMED_USER_USES

    spec = PLANT_COLUMNS if kind == "plants" else USER_COLUMNS
    required = ("code", "name", "kind", "capacity", "lon", "lat") if kind == "plants" else ("name", "use", "lon", "lat")
    cols = find_columns(df, spec, required)
    n = len(df)
    rc = RowCheck(n, cols, spec)
    add = rc.add

    def text(name):
        return text_cells(df[cols[name]]) if name in cols else pd.Series("", index=df.index)

    out = {}
    key = "code" if kind == "plants" else "name"
    for name in (("code", "name") if kind == "plants" else ("name",)):
        v = text(name)
        add(v == "", name, "err.rw.no_key", v)
        add(v.str.len() > (32 if name == "code" else 128), name, "err.power.text_long", v,
            most=32 if name == "code" else 128)
        out[name] = v
    if kind == "plants":
        out["kind"] = _vocab(df[cols["kind"]], "plant_kind", PLANT_KINDS)
        add(out["kind"].isna(), "kind", "err.rw.plant_kind", text("kind"))
        cap = number_cells(df[cols["capacity"]])
        add(cap.isna() | (cap <= 0) | (cap > 1_000_000), "capacity", "err.rw.plant_capacity", text("capacity"))
        out["capacity_t_d"] = cap
    else:
        out["use"] = _vocab(df[cols["use"]], "reclaimed_use", RECLAIMED_USER_USES)
        add(out["use"].isna(), "use", "err.rw.use", text("use"))
        pipes = set(_frame(store, select(ReclaimedPipeline.name).where(~ReclaimedPipeline.archived))["name"])
        permits = set(_frame(store, select(WaterUser.permit_no).where(~WaterUser.archived))["permit_no"])
        pipe, permit = text("pipeline"), text("permit_no")
        add((pipe != "") & ~pipe.isin(pipes), "pipeline", "err.rw.unknown_pipeline", pipe)
        add((permit != "") & ~permit.isin(permits), "permit_no", "err.rw.unknown_permit", permit)
        out["pipeline"], out["permit_no"] = pipe, permit
    lon, lat = number_cells(df[cols["lon"]]), number_cells(df[cols["lat"]])
    pos = text("lon") + " " + text("lat")
    add(lon.isna() | lat.isna(), "lon", "err.power.position_number", pos)
    if outline is not None:
        ok = (lon.notna() & lat.notna()).to_numpy()
        inside = np.zeros(n, bool)
        idx = np.flatnonzero(ok)
        inside[idx] = shapely.contains_xy(outline, lon.to_numpy()[idx], lat.to_numpy()[idx])
        add(ok & ~inside, "lon", "err.power.outside", pos)
    out["lon"], out["lat"] = lon, lat
    dup = (~rc.bad) & out[key].duplicated(keep="first").to_numpy()
    add(dup, key, "err.rw.duplicate_user" if kind == "users" else "err.rw.duplicate_plant", out[key])
    return rc.result(kind, out, raw)


def import_register(store: Store, user, check) -> dict[str, int]:
    """Add new plants or users and update the stored ones (by plant code, by user name); audited."""
    from gwmap.errors import InputDataError
    from gwmap.store.users import authorize

    authorize(store, user, "reclaimed.edit", target=check.kind)
    if check.problems or not len(check.rows):
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(check.problems))
    with store.session(user) as s:
        if check.kind == "plants":
            have = {p.code: p for p in s.scalars(select(ReclaimedPlant))}
            model, key = ReclaimedPlant, "code"
            records = [(r.code, {"name": r.name, "kind": r.kind, "capacity_t_d": float(r.capacity_t_d),
                                 "lon": float(r.lon), "lat": float(r.lat)}) for r in check.rows.itertuples()]
        else:
            have = {u.name: u for u in s.scalars(select(ReclaimedUser).where(~ReclaimedUser.archived))}
            pipes = dict(s.execute(select(ReclaimedPipeline.name, ReclaimedPipeline.id)
                                   .where(~ReclaimedPipeline.archived)).all())
            permits = dict(s.execute(select(WaterUser.permit_no, WaterUser.id).where(~WaterUser.archived)).all())
            model, key = ReclaimedUser, "name"
            records = [(r.name, {"use": r.use, "pipeline_id": pipes.get(r.pipeline), "lon": float(r.lon),
                                 "lat": float(r.lat), "water_user_id": permits.get(r.permit_no)})
                       for r in check.rows.itertuples()]
        added, updated = _upsert(s, have, records, lambda k, v: model(**{key: k}, **v))
    return {"added": added, "updated": updated, "unchanged": len(check.rows) - added - updated}


def register_template_xlsx(kind: str) -> bytes:
    from gwmap.county import active

    p = active()
    lon, lat = (round(v, 3) for v in p.centre)  # an example position inside the county
    if kind == "plants":
        return template_xlsx([h[0] for h in PLANT_COLUMNS.values()], ["WS05", "某某镇污水处理厂", "乡镇污水处理厂", 3000,
                                                                  lon, lat])
    return template_xlsx([h[0] for h in USER_COLUMNS.values()], [f"{p.name}某某热电有限公司", "工业企业", "开发区再生水主管",
                                                             "取水(×)字[2021]第001号", lon, lat])
