"""Water-level surveys: column mapping, checks, import, trends and change between surveys.

A survey file may give depth to water (埋深) below the ground, depth below the
measuring point, or head (水位); the user says which, never guessed (DOMAIN.md
§3).  :func:`check_survey` finds every problem at once, with row, column, value
and the fix; nothing is stored until :func:`import_survey`, which is one
transaction and keeps the original file by its SHA-256.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from scipy.stats import norm
from sqlalchemy import func, select

from gwmap import clock
from gwmap.crs import area_crs
from gwmap.dates import parse_dates
from gwmap.errors import InputDataError, NotFound
from gwmap.io.checks import Problem, header_key
from gwmap.store.db import Store
from gwmap.store.models import Measurement, MonitoringWell, Survey
from gwmap.store.users import CurrentUser, authorize
from gwmap.vocab import AQUIFERS

logger = logging.getLogger(__name__)

__all__ = [
    "VALUE_KINDS", "UNITS", "SEASONS", "TEMPLATE_COLUMNS", "SurveyMapping", "SurveyCheck",
    "guess_mapping", "check_survey", "find_outliers", "import_survey", "template_xlsx", "Trend", "mann_kendall",
    "township_change", "well_series", "survey_points", "list_surveys", "HEADERS", "read_survey", "read_options", "value_kind_of",
    "earlier_import",
]

#: depth below ground, depth below the measuring point (top of casing), head above datum
VALUE_KINDS = ("depth", "depth_mp", "head")
UNITS = {"m": 1.0, "cm": 0.01, "ft": 0.3048}
SEASONS = ("spring", "autumn")
#: Depth to water the county can have (m); outside is impossible, not an outlier.
DEPTH_RANGE_M = (-30.0, 200.0)
#: Below zero the water stands above the ground: a flowing (artesian) well, possible but worth a look.
HEAD_RANGE_M = (-150.0, 150.0)
EARLIEST = date(1950, 1, 1)

#: The template's Chinese headers and the mapping fields they fill.
TEMPLATE_COLUMNS = {
    "井编号": "well", "测量日期": "date", "埋深(m)": "value", "含水层": "aquifer", "经度": "lon", "纬度": "lat",
    "地面高程(m)": "ground_elev", "固定点高程(m)": "mp_elev", "测量方法": "method", "测量人": "observer",
}
_AQUIFER_WORDS = {"浅层": "shallow", "shallow": "shallow", "潜水": "shallow", "深层": "deep", "deep": "deep",
                  "承压": "deep"}


@dataclass(frozen=True)
class SurveyMapping:
    """Which column holds what, and what the value means.

    ``value_kind`` is one of :data:`VALUE_KINDS` and ``unit`` one of
    :data:`UNITS`; ``aquifer`` is a fixed aquifer for the whole file when
    ``aquifer_column`` is empty.
    """

    well: str
    date: str
    value: str
    value_kind: str
    unit: str = "m"
    aquifer: str = "shallow"
    aquifer_column: str | None = None
    lon: str | None = None
    lat: str | None = None
    ground_elev: str | None = None
    mp_elev: str | None = None
    method: str | None = None
    observer: str | None = None

    def __post_init__(self) -> None:
        if self.value_kind not in VALUE_KINDS:
            raise InputDataError("err.survey.value_kind", "Say whether the value is a depth or a head.",
                                 kind=str(self.value_kind))
        if self.unit not in UNITS:
            raise InputDataError("err.survey.unit", f"Unknown unit {self.unit!r}.", unit=str(self.unit),
                                 units=", ".join(UNITS))
        if self.aquifer not in AQUIFERS:
            raise InputDataError("err.survey.aquifer", f"Unknown aquifer {self.aquifer!r}.", aquifer=self.aquifer)

    def to_json(self) -> str:
        return json.dumps(self.__dict__, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> SurveyMapping:
        return cls(**json.loads(text))


def guess_mapping(columns: list[str]) -> dict[str, str | None]:
    """Suggest columns for each field from common headers (the template's and English ones).

    The value kind is *not* guessed: the page asks.
    """
    low = {header_key(c): c for c in columns}
    return {k: next((low[header_key(c)] for c in names if header_key(c) in low), None) for k, names in HEADERS.items()}


#: The headers each field goes by in survey files (the template's, offices' and English ones).
HEADERS = {
    "well": ("井编号", "监测井编号", "井号", "well", "well_id", "mw_code", "站号", "测站编号", "监测点编号"),
    "date": ("测量日期", "日期", "date", "measured_on", "观测日期", "监测日期", "观测时间"),
    "value": ("埋深(m)", "埋深", "水位埋深(m)", "地下水埋深(m)", "水位埋深", "水位(m)", "水位", "depth_to_water_m",
              "head_m", "value", "depth", "head"),
    "aquifer": ("含水层", "aquifer", "层位"),
    "lon": ("经度", "lon", "longitude"),
    "lat": ("纬度", "lat", "latitude"),
    "ground_elev": ("地面高程(m)", "地面高程", "ground_elev_m"),
    "mp_elev": ("固定点高程(m)", "固定点高程", "mp_elev_m"),
    "method": ("测量方法", "method"),
    "observer": ("测量人", "observer", "观测人"),
}


def read_survey(data: bytes, filename: str, *, encoding: str | None = None) -> pd.DataFrame:
    """A survey file (CSV or XLSX) with its header found below any title rows, footers left out."""
    from gwmap.io.tables import read_table

    df, _ = read_table(data, filename, encoding=encoding, **read_options())
    return df


def read_options() -> dict:
    """What :func:`gwmap.io.tables.read_table` needs to find a survey's header below title rows."""
    return {"known_headers": {header_key(n) for names in HEADERS.values() for n in names}, "header_key": header_key}


def value_kind_of(header: str) -> str | None:
    """What a value column's header says it holds: 埋深 is depth below ground, 水位/高程 a head; else None."""
    h = header_key(header)
    if "埋深" in h and "固定点" not in h:
        return "depth"
    if "水位" in h or "高程" in h:
        return "head"
    return None


def earlier_import(store: Store, sha256: str) -> dict | None:
    """The import of the very same file (by SHA-256), if there was one: code, file, when, by whom."""
    with store.session() as s:
        row = s.execute(select(Survey.code, Survey.source_name, Survey.created_at, Survey.created_by)
                        .where(Survey.source_sha256 == sha256).order_by(Survey.id).limit(1)).first()
    if row is None:
        return None
    return {"code": row[0], "name": row[1], "at": clock.to_local(row[2]).strftime("%Y-%m-%d %H:%M"), "by": row[3]}


@dataclass(frozen=True)
class SurveyCheck:
    """The result of checking a file: clean rows, every problem, and wells to add.

    ``rows`` has one row per reading that passed the error checks, with
    ``row`` (spreadsheet row), ``mw_code``, ``measured_on``, ``aquifer``,
    ``depth_to_water_m``, ``head_m``, ``lon``, ``lat``, ``flag``.
    """

    rows: pd.DataFrame
    problems: tuple[Problem, ...]
    new_wells: pd.DataFrame
    mapping: SurveyMapping
    sha256: str
    n_input: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def flags(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "flag"]

    @property
    def clean(self) -> bool:
        """No errors: every row can be imported."""
        return not self.errors


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.astype(str).str.strip().str.replace(",", "", regex=False), errors="coerce")


def check_survey(df: pd.DataFrame, mapping: SurveyMapping, *, wells: pd.DataFrame, outline=None,
                 history: pd.DataFrame | None = None, raw: bytes = b"", today: date | None = None,
                 series: bool = False) -> SurveyCheck:
    """Check a survey table whole and report every problem at once.

    With ``series`` the file is a station series (:func:`import_series`: automatic loggers or monthly
    readings, any number of readings per well): a well on many days is its point, not a slip, and a row
    repeated is one with the same well and the same date cell as typed (a logger's timestamp); the
    neighbour check of a round does not apply.

    Parameters
    ----------
    df : DataFrame
        The file as text columns (from :func:`gwmap.io.tables.read_table`).
    wells : DataFrame
        Registered monitoring wells (``mw_code``, ``lon``, ``lat``, ``aquifer``,
        ``ground_elev_m``, ``mp_elev_m``).
    outline : shapely geometry, optional
        County outline in WGS84, to refuse coordinates outside it.
    history : DataFrame, optional
        Earlier readings (``mw_code``, ``depth_to_water_m``) for the outlier check.

    """
    today = today or clock.today()
    problems: list[Problem] = []
    cols = [mapping.well, mapping.date, mapping.value] + [c for c in (
        mapping.aquifer_column, mapping.lon, mapping.lat, mapping.ground_elev, mapping.mp_elev) if c]
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputDataError("err.survey.no_column", f"Columns {missing} are not in the file.",
                             column=", ".join(missing), columns=", ".join(df.columns))
    n = len(df)
    rownum = np.asarray(df.index, dtype=int) if "header_row" in df.attrs else np.arange(n) + 2
    well = df[mapping.well].astype(str).str.strip()
    when = parse_dates(df[mapping.date])
    raw_value = df[mapping.value].astype(str).str.strip()
    value = _num(df[mapping.value]) * UNITS[mapping.unit]
    if mapping.aquifer_column:
        aq = df[mapping.aquifer_column].astype(str).str.strip().str.lower().map(_AQUIFER_WORDS)
    else:
        aq = pd.Series(mapping.aquifer, index=df.index)
    bad = np.zeros(n, bool)

    def add(mask, column, code, values, severity="error", **params):
        nonlocal bad
        for i in np.flatnonzero(mask):
            problems.append(Problem(int(rownum[i]), column, str(values.iloc[i]), code, params, severity))
        if severity == "error":
            bad |= np.asarray(mask)

    add(well.eq("") | well.str.lower().eq("nan"), mapping.well, "err.survey.no_well", well)
    add(when.isna(), mapping.date, "err.survey.bad_date", df[mapping.date].astype(str))
    out_of_range = when.notna() & ((when < pd.Timestamp(EARLIEST)) | (when > pd.Timestamp(today)))
    add(out_of_range, mapping.date, "err.survey.date_range", df[mapping.date].astype(str),
        earliest=EARLIEST.isoformat(), today=today.isoformat())
    add(value.isna(), mapping.value, "err.survey.not_number", raw_value)
    lo, hi = HEAD_RANGE_M if mapping.value_kind == "head" else DEPTH_RANGE_M
    add(value.notna() & ((value < lo) | (value > hi)), mapping.value, "err.survey.impossible", raw_value,
        low=lo, high=hi, unit=mapping.unit)
    if mapping.value_kind != "head":
        add(value.notna() & (value < 0) & (value >= lo), mapping.value, "warn.survey.flowing", raw_value,
            severity="flag")
    if mapping.aquifer_column:
        add(aq.isna(), mapping.aquifer_column, "err.survey.aquifer_value", df[mapping.aquifer_column].astype(str))
    key = well + "|" + (df[mapping.date].astype(str).str.strip() if series else when.dt.strftime("%Y-%m-%d").fillna(""))
    dup = key.duplicated(keep="first") & ~well.eq("") & when.notna()
    first_row = {k: int(r) for k, r in zip(key[~key.duplicated()], rownum[~key.duplicated().to_numpy()])}
    for i in np.flatnonzero(dup):
        problems.append(Problem(int(rownum[i]), mapping.well, well.iloc[i], "err.survey.duplicate",
                                {"first": first_row[key.iloc[i]]}))
    bad |= dup.to_numpy()
    # the same well on different dates in one round: the user keeps one reading
    dated = ~well.eq("") & when.notna() & ~dup
    again = np.flatnonzero((dated & dated.groupby(well).transform("sum").gt(1)).to_numpy()) if not series else []
    for code, idx in pd.Series(again).groupby(well.iloc[again].to_numpy()):
        rows_of_well = [int(rownum[i]) for i in idx]
        for i, r in zip(idx, rows_of_well, strict=True):
            others = [str(x) for x in rows_of_well[:6] if x != r][:5] + (["…"] if len(rows_of_well) > 6 else [])
            problems.append(Problem(r, mapping.date, str(df[mapping.date].iloc[i]), "warn.survey.twice",
                                    {"well": code, "rows": ", ".join(others)}, "flag"))

    # wells: registered, or new with coordinates inside the county
    reg = wells.set_index("mw_code") if len(wells) else pd.DataFrame(columns=["lon", "lat"])
    known = well.isin(reg.index)
    lon = _num(df[mapping.lon]) if mapping.lon else pd.Series(np.nan, index=df.index)
    lat = _num(df[mapping.lat]) if mapping.lat else pd.Series(np.nan, index=df.index)
    unknown_no_xy = ~known & ~well.eq("") & (lon.isna() | lat.isna())
    add(unknown_no_xy, mapping.well, "err.survey.unknown_well", well)
    has_xy = lon.notna() & lat.notna()
    if outline is not None and has_xy.any():
        inside = np.zeros(n, bool)
        inside[has_xy.to_numpy()] = shapely.contains_xy(outline, lon[has_xy].to_numpy(), lat[has_xy].to_numpy())
        add(has_xy & ~inside, mapping.lon or "", "err.survey.outside", lon.astype(str) + ", " + lat.astype(str))
    new = ~known & has_xy & ~pd.Series(bad, index=df.index)

    # depth and head from the value and the well's elevations
    ground = reg["ground_elev_m"].reindex(well).to_numpy(float) if "ground_elev_m" in reg else np.full(n, np.nan)
    mp = reg["mp_elev_m"].reindex(well).to_numpy(float) if "mp_elev_m" in reg else np.full(n, np.nan)
    if mapping.ground_elev:
        g2 = _num(df[mapping.ground_elev]).to_numpy()
        ground = np.where(np.isfinite(g2), g2, ground)
    if mapping.mp_elev:
        m2 = _num(df[mapping.mp_elev]).to_numpy()
        mp = np.where(np.isfinite(m2), m2, mp)
    v = value.to_numpy(float)
    if mapping.value_kind == "depth":
        depth, head = v, ground - v
    elif mapping.value_kind == "head":
        head, depth = v, ground - v
    else:  # depth below the measuring point
        head = mp - v
        depth = ground - head
        add(~np.isfinite(mp) & np.isfinite(v), mapping.value, "err.survey.no_mp_elev", well)
    if mapping.value_kind == "head":
        add(~np.isfinite(ground) & np.isfinite(v), mapping.value, "warn.survey.no_ground", well, severity="flag")

    rows = pd.DataFrame({
        "row": rownum, "mw_code": well.to_numpy(), "measured_on": when.dt.date.to_numpy(), "aquifer": aq.to_numpy(),
        "depth_to_water_m": depth, "head_m": head,
        "lon": np.where(known, reg["lon"].reindex(well).to_numpy(float) if len(reg) else np.nan, lon),
        "lat": np.where(known, reg["lat"].reindex(well).to_numpy(float) if len(reg) else np.nan, lat),
        "new_well": new.to_numpy(), "flag": "",
        "method": df[mapping.method].astype(str).str.strip().str[:32].to_numpy() if mapping.method else "",
        "observer": df[mapping.observer].astype(str).str.strip().str[:64].to_numpy() if mapping.observer else "",
    })
    rows = rows[~bad].reset_index(drop=True)
    if not series:
        problems += find_outliers(rows, history)
    flagged = {(p.row, p.code) for p in problems if p.severity == "flag"}
    by_row: dict[int, list[str]] = {}
    for r, c in flagged:
        by_row.setdefault(r, []).append(c.split(".")[-1])
    rows["flag"] = [",".join(by_row.get(row, ())) for row in rows["row"]]
    new_wells = rows.loc[rows["new_well"], ["mw_code", "lon", "lat", "aquifer"]].drop_duplicates("mw_code")
    sha = hashlib.sha256(raw).hexdigest() if raw else ""
    return SurveyCheck(rows, tuple(sorted(problems, key=lambda p: (p.row, p.column))), new_wells, mapping, sha, n)


def find_outliers(rows: pd.DataFrame, history: pd.DataFrame | None = None) -> list[Problem]:
    """Readings far from the well's own history or from their neighbours (flagged, not dropped)."""
    out: list[Problem] = []
    depth = rows["depth_to_water_m"].to_numpy(float)
    if history is not None and len(history):
        h = history.groupby("mw_code")["depth_to_water_m"]
        med, mad = h.median(), h.apply(lambda s: float(np.median(np.abs(s - s.median()))))
        count = h.size()
        m = rows["mw_code"].map(med).to_numpy(float)
        spread = np.maximum(3.0, 5 * 1.4826 * rows["mw_code"].map(mad).to_numpy(float))
        enough = rows["mw_code"].map(count).fillna(0).to_numpy() >= 3
        far = enough & np.isfinite(depth) & np.isfinite(m) & (np.abs(depth - m) > spread)
        for i in np.flatnonzero(far):
            out.append(Problem(int(rows["row"].iloc[i]), "", f"{depth[i]:.2f}", "warn.survey.history",
                               {"well": rows["mw_code"].iloc[i], "median": round(float(m[i]), 2)}, "flag"))
    for aquifer in rows["aquifer"].dropna().unique():  # neighbours only within the same aquifer
        ok = (np.isfinite(depth) & rows["lon"].notna().to_numpy() & rows["lat"].notna().to_numpy()
              & (rows["aquifer"] == aquifer).to_numpy())
        if ok.sum() < 6:
            continue
        pts = gpd.GeoSeries(gpd.points_from_xy(rows["lon"][ok], rows["lat"][ok]), crs=4326).to_crs(area_crs())
        xy = np.column_stack([pts.x, pts.y])
        _, idx = cKDTree(xy).query(xy, k=6)
        dv = depth[ok]
        nb = np.median(dv[idx[:, 1:]], axis=1)
        mad = np.median(np.abs(dv[idx[:, 1:]] - nb[:, None]), axis=1)
        spread = np.maximum.reduce([np.full(len(nb), 5.0), 0.2 * np.abs(nb), 4 * 1.4826 * mad])
        okrows = np.flatnonzero(ok)
        for j in np.flatnonzero(np.abs(dv - nb) > spread):
            i = okrows[j]
            out.append(Problem(int(rows["row"].iloc[i]), "", f"{depth[i]:.2f}", "warn.survey.neighbours",
                               {"well": rows["mw_code"].iloc[i], "median": round(float(nb[j]), 2)}, "flag"))
    return out


def import_survey(store: Store, user: CurrentUser, check: SurveyCheck, *, year: int, season: str,
                  source_name: str, raw: bytes, uploads_dir: Path, add_new_wells: bool = False,
                  leave_out_rows: set[int] | None = None) -> list[int]:
    """Store a checked survey as a new version, in one transaction; returns the new survey ids.

    One survey per aquifer in the file.  A file with errors is refused whole;
    flagged rows are stored with their flag unless listed in ``leave_out_rows``.
    Unknown wells are added as monitoring wells only with ``add_new_wells``.
    The original bytes are kept at ``uploads_dir/<sha256><ext>`` (never overwritten).
    """
    authorize(store, user, "surveys.import", target=source_name)
    if not check.clean:
        raise InputDataError("err.survey.has_errors", "Fix the errors first.", count=len(check.errors))
    if season not in SEASONS:
        raise InputDataError("err.survey.season", f"Unknown season {season!r}.", season=season)
    rows = check.rows[~check.rows["row"].isin(leave_out_rows or set())]
    if rows["new_well"].any() and not add_new_wells:
        raise InputDataError("err.survey.new_wells", "Some wells are not registered.",
                             wells=", ".join(check.new_wells["mw_code"].head(10)))
    if len(rows) == 0:
        raise InputDataError("err.upload.empty", "Nothing left to import.", name=source_name)
    before = earlier_import(store, check.sha256) if check.sha256 else None
    if before is not None:
        from gwmap.i18n import survey_label

        raise InputDataError("err.survey.same_file", "This very file was imported before.",
                             code=survey_label(before["code"]), name=before["name"], at=before["at"], by=before["by"])
    from gwmap.io.files import store_file
    from gwmap.membership import township_of
    from gwmap.store.repo import current_boundaries

    sha = store_file(raw, uploads_dir, suffix=Path(source_name).suffix.lower()[:8])
    code = f"{year}-{season}"
    ids = []
    with store.session(user) as s:
        mws = {m.mw_code: m for m in s.scalars(select(MonitoringWell))}
        new = check.new_wells if add_new_wells else check.new_wells.iloc[0:0]
        try:  # a new well's township is where it lies, as for every other point
            places = township_of(current_boundaries(store)[1], new["lon"].astype(float), new["lat"].astype(float))
        except NotFound:
            places = [""] * len(new)
        for r, place in zip(new.itertuples(), places, strict=True):
            if r.mw_code not in mws:
                m = MonitoringWell(mw_code=r.mw_code, name=r.mw_code, lon=float(r.lon), lat=float(r.lat),
                                   aquifer=r.aquifer, township_code=str(place))
                s.add(m)
                mws[r.mw_code] = m
        s.flush()
        for aquifer, grp in rows.groupby("aquifer"):
            prev = list(s.scalars(select(Survey).where(Survey.code == code, Survey.aquifer == aquifer,
                                                       ~Survey.superseded)))
            version = (s.scalar(select(func.max(Survey.version)).where(Survey.code == code,
                                                                        Survey.aquifer == aquifer)) or 0) + 1
            for p in prev:
                p.superseded = True
            sv = Survey(code=code, year=year, season=season, aquifer=aquifer, version=version,
                        source_name=source_name, source_sha256=sha, created_by=user.username)
            s.add(sv)
            s.flush()
            for r in grp.itertuples():
                s.add(Measurement(survey_id=sv.id, monitoring_well_id=mws[r.mw_code].id, measured_on=r.measured_on,
                                  depth_to_water_m=_f(r.depth_to_water_m), head_m=_f(r.head_m), qc_flag=r.flag,
                                  method=r.method, observer=r.observer))
            ids.append(sv.id)
    return ids


def import_series(store: Store, user: CurrentUser, check: SurveyCheck, *, source_name: str, raw: bytes,
                  uploads_dir: Path, add_new_wells: bool = False) -> dict[str, int]:
    """Store a checked station series as each well's daily means, in one transaction; the counts.

    Readings of any frequency (hourly loggers, one a month) become one row a well and day (the mean of that
    day's readings, with how many); a day already stored is corrected with the new mean (audited), so a
    logger's file sent again with more hours changes only the days it adds to.  The original is kept at
    ``uploads_dir/<sha256><ext>``.
    """
    authorize(store, user, "surveys.import", target=source_name)
    if not check.clean:
        raise InputDataError("err.survey.has_errors", "Fix the errors first.", count=len(check.errors))
    rows = check.rows
    if rows["new_well"].any() and not add_new_wells:
        raise InputDataError("err.survey.new_wells", "Some wells are not registered.",
                             wells=", ".join(check.new_wells["mw_code"].head(10)))
    if len(rows) == 0:
        raise InputDataError("err.upload.empty", "Nothing left to import.", name=source_name)
    from gwmap.io.files import store_file
    from gwmap.store.models import StationDay

    sha = store_file(raw, uploads_dir, suffix=Path(source_name).suffix.lower()[:8])
    days = (rows.groupby(["mw_code", "measured_on"])
            .agg(depth=("depth_to_water_m", "mean"), head=("head_m", "mean"), n=("row", "size")).reset_index())
    added = updated = unchanged = 0
    with store.session(user) as s:
        mws = {m.mw_code: m for m in s.scalars(select(MonitoringWell))}
        for r in check.new_wells.itertuples() if add_new_wells else ():
            if r.mw_code not in mws:
                m = MonitoringWell(mw_code=r.mw_code, name=r.mw_code, lon=float(r.lon), lat=float(r.lat),
                                   aquifer=r.aquifer, township_code="")
                s.add(m)
                mws[r.mw_code] = m
        s.flush()
        ids = {c: mws[c].id for c in set(days["mw_code"])}
        have = {(d.monitoring_well_id, d.day): d for d in s.scalars(select(StationDay).where(
            StationDay.monitoring_well_id.in_(list(ids.values())),
            StationDay.day.between(min(days["measured_on"]), max(days["measured_on"]))))}
        for r in days.itertuples():
            key = (ids[r.mw_code], r.measured_on)
            depth, head = _f(r.depth), _f(r.head)
            rec = have.get(key)
            if rec is None:
                s.add(StationDay(monitoring_well_id=key[0], day=r.measured_on, depth_to_water_m=depth, head_m=head,
                                 readings=int(r.n), source_sha256=sha))
                added += 1
            elif (rec.depth_to_water_m, rec.head_m, rec.readings) != (depth, head, int(r.n)):
                rec.depth_to_water_m, rec.head_m, rec.readings, rec.source_sha256 = depth, head, int(r.n), sha
                updated += 1
            else:
                unchanged += 1
    return {"added": added, "updated": updated, "unchanged": unchanged, "wells": len(ids), "readings": len(rows)}


def station_days(store: Store, aquifer: str | None = None) -> pd.DataFrame:
    """Every stored station day with its well (``mw_code``, ``aquifer``, ``township_code``, ``lon``, ``lat``).

    Oldest first.
    """
    from gwmap.store.models import StationDay

    stmt = (select(MonitoringWell.mw_code, MonitoringWell.aquifer, MonitoringWell.township_code, MonitoringWell.lon,
                   MonitoringWell.lat, StationDay.day, StationDay.depth_to_water_m, StationDay.readings)
            .join(StationDay, StationDay.monitoring_well_id == MonitoringWell.id).order_by(StationDay.day))
    if aquifer:
        stmt = stmt.where(MonitoringWell.aquifer == aquifer)
    with store.session() as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame(rows, columns=["mw_code", "aquifer", "township_code", "lon", "lat", "day",
                                       "depth_to_water_m", "readings"])


def _f(v) -> float | None:
    return None if v is None or not np.isfinite(v) else round(float(v), 3)


def template_xlsx() -> bytes:
    """The survey template: Chinese headers, one example row, and a notes sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "水位统测"
    ws.append(list(TEMPLATE_COLUMNS))
    from gwmap.county import active

    lon, lat = active().centre  # an example position inside the county
    ws.append(["JC001", "2026-10-08", 9.85, "浅层", round(lon, 6), round(lat, 6), 42.89, 43.39, "测钟", "张三"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col in "ABCDEFGHIJ":
        ws.column_dimensions[col].width = 14
    notes = wb.create_sheet("填写说明")
    for line in (
        "每行一次测量。井编号须与监测井台账一致；新井请填写经度、纬度（WGS84/CGCS2000）。",
        "“埋深(m)”为自地面起算的地下水埋深，单位米；如填写的是水位（高程）或自固定点起算的埋深，上传时请选择。",
        "含水层填“浅层”或“深层”。日期格式 2026-10-08。",
        "不要合并单元格，不要在表格下方添加合计行。",
    ):
        notes.append([line])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ----------------------------------------------------------------- reading back
def list_surveys(store: Store) -> pd.DataFrame:
    """Current (not superseded) surveys with their reading counts, oldest first."""
    with store.session() as s:
        rows = s.execute(
            select(Survey.id, Survey.code, Survey.year, Survey.season, Survey.aquifer, Survey.version,
                   Survey.source_name, Survey.created_at, Survey.created_by, func.count(Measurement.id))
            .join(Measurement, Measurement.survey_id == Survey.id, isouter=True)
            .where(~Survey.superseded).group_by(Survey.id).order_by(Survey.year, Survey.season.desc(), Survey.aquifer)
        ).all()
    return pd.DataFrame(rows, columns=["id", "code", "year", "season", "aquifer", "version", "source_name",
                                       "created_at", "created_by", "readings"])


def survey_points(store: Store, survey_id: int, *, include_flagged: bool = True) -> gpd.GeoDataFrame:
    """One survey's readings as WGS84 points with ``depth_to_water_m``, ``head_m``, ``qc_flag``.

    Readings flagged implausible are always left out; other flags are kept
    unless ``include_flagged`` is False.
    """
    with store.session() as s:
        rows = s.execute(
            select(MonitoringWell.mw_code, MonitoringWell.township_code, MonitoringWell.lon, MonitoringWell.lat,
                   Measurement.measured_on, Measurement.depth_to_water_m, Measurement.head_m, Measurement.qc_flag)
            .join(Measurement, Measurement.monitoring_well_id == MonitoringWell.id)
            .where(Measurement.survey_id == int(survey_id))
        ).all()
    df = pd.DataFrame(rows, columns=["mw_code", "township_code", "lon", "lat", "measured_on", "depth_to_water_m",
                                     "head_m", "qc_flag"])
    df = df[df["qc_flag"] != "implausible"]
    if not include_flagged:
        df = df[df["qc_flag"] == ""]
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df["lon"], df["lat"]), crs=4326)


def well_series(store: Store, mw_code: str) -> pd.DataFrame:
    """All current readings of one monitoring well, oldest first."""
    with store.session() as s:
        rows = s.execute(
            select(Survey.code, Measurement.measured_on, Measurement.depth_to_water_m, Measurement.head_m,
                   Measurement.qc_flag)
            .join(Measurement, Measurement.survey_id == Survey.id)
            .join(MonitoringWell, Measurement.monitoring_well_id == MonitoringWell.id)
            .where(MonitoringWell.mw_code == mw_code, ~Survey.superseded).order_by(Measurement.measured_on)
        ).all()
    return pd.DataFrame(rows, columns=["survey", "measured_on", "depth_to_water_m", "head_m", "qc_flag"])


@dataclass(frozen=True)
class Trend:
    """Mann-Kendall trend test and Sen's slope (units of the value per year)."""

    n: int
    s: int
    z: float
    p_value: float
    slope_per_year: float
    trend: str  # "increasing", "decreasing" or "no trend" at the 5% level


def mann_kendall(dates, values, *, alpha: float = 0.05) -> Trend:
    """Mann-Kendall test (with the tie correction) and Sen's slope per year.

    For depth to water an *increasing* trend means the water table is falling.
    """
    t = pd.to_datetime(pd.Series(dates)).to_numpy()
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(v) & ~pd.isna(t)
    t, v = t[ok], v[ok]
    order = np.argsort(t)
    t, v = t[order], v[order]
    n = len(v)
    if n < 4:
        raise InputDataError("err.trend.too_few", f"{n} readings are too few for a trend.", n=n, need=4)
    i, j = np.triu_indices(n, k=1)
    s = int(np.sign(v[j] - v[i]).sum())
    _, counts = np.unique(v, return_counts=True)
    var = (n * (n - 1) * (2 * n + 5) - np.sum(counts * (counts - 1) * (2 * counts + 5))) / 18.0
    z = 0.0 if s == 0 else (s - np.sign(s)) / np.sqrt(var)
    p = float(2 * (1 - norm.cdf(abs(z))))
    years = (t - t[0]) / np.timedelta64(1, "D") / 365.25
    dt = years[j] - years[i]
    slope = float(np.median((v[j] - v[i])[dt > 0] / dt[dt > 0])) if np.any(dt > 0) else 0.0
    trend = "no trend" if p >= alpha else ("increasing" if z > 0 else "decreasing")
    return Trend(n, s, float(z), p, slope, trend)


def township_change(store: Store, survey_before: int, survey_after: int) -> pd.DataFrame:
    """Average change of depth to water by township, from wells measured in both surveys.

    Returns ``township_code``, ``wells``, ``mean_change_m`` (after minus before;
    negative means the water table rose), plus a ``county`` row.
    """
    a = survey_points(store, survey_before, include_flagged=False)
    b = survey_points(store, survey_after, include_flagged=False)
    both = a[["mw_code", "township_code", "depth_to_water_m"]].merge(
        b[["mw_code", "depth_to_water_m"]], on="mw_code", suffixes=("_before", "_after"))
    both["change_m"] = both["depth_to_water_m_after"] - both["depth_to_water_m_before"]
    out = both.groupby("township_code").agg(wells=("mw_code", "size"), mean_change_m=("change_m", "mean"))
    out = out.reset_index()
    county = pd.DataFrame({"township_code": ["county"], "wells": [len(both)],
                           "mean_change_m": [both["change_m"].mean() if len(both) else np.nan]})
    return pd.concat([out, county], ignore_index=True)


def save_mapping(store: Store, user: CurrentUser, source: str, mapping: SurveyMapping) -> None:
    """Remember the column mapping for a source, for its next upload."""
    from gwmap.store.models import ColumnMapping

    authorize(store, user, "surveys.import", target=source)
    source = source.strip()[:128] or "default"
    with store.session(user) as s:
        row = s.scalar(select(ColumnMapping).where(ColumnMapping.source == source))
        if row is None:
            s.add(ColumnMapping(source=source, mapping_json=mapping.to_json()))
        elif row.mapping_json != mapping.to_json():
            row.mapping_json = mapping.to_json()


def load_mapping(store: Store, source: str) -> SurveyMapping | None:
    """The mapping last used for ``source``, if any."""
    from gwmap.store.models import ColumnMapping

    with store.session() as s:
        row = s.scalar(select(ColumnMapping).where(ColumnMapping.source == (source.strip() or "default")))
        return SurveyMapping.from_json(row.mapping_json) if row else None


def survey_date(code: str) -> pd.Timestamp:
    """A nominal date for a survey round, for time axes: 1 April (spring) or 1 October (autumn).

    >>> survey_date("2024-autumn").date().isoformat()
    '2024-10-01'
    """
    year, season = code.split("-")
    return pd.Timestamp(int(year), 4 if season == "spring" else 10, 1)


def change_points(store: Store, survey_before: int, survey_after: int) -> gpd.GeoDataFrame:
    """Wells measured in both surveys with ``change_m`` (depth after minus before; negative = rose)."""
    a = survey_points(store, survey_before, include_flagged=False)
    b = survey_points(store, survey_after, include_flagged=False)
    both = b.merge(a[["mw_code", "depth_to_water_m"]], on="mw_code", suffixes=("", "_before"))
    both["change_m"] = both["depth_to_water_m"] - both["depth_to_water_m_before"]
    return gpd.GeoDataFrame(both, geometry="geometry", crs=4326)


def guess_round(dates: pd.Series) -> tuple[int, str]:
    """Year and season (spring before July, else autumn) from the most common month of the readings."""
    d = pd.to_datetime(pd.Series(dates), errors="coerce").dropna()
    if d.empty:
        today = clock.today()
        return today.year, "spring" if today.month < 7 else "autumn"
    ym = d.dt.to_period("M").mode().iloc[0]
    return int(ym.year), "spring" if ym.month < 7 else "autumn"
