"""Water levels as the assessments read them: a round against the same round a year before (同期对比).

The Ministry of Water Resources' monthly groundwater bulletin (地下水动态月报) and the provinces'
over-extraction assessments judge a county by the change of depth to water at the *same* wells between a
round and the same round a year before: the mean change, and the wells and the share of the area where
the water rose, held or fell (上升 / 稳定 / 下降, by default more than 0.5 m up, within ±0.5 m, more than
0.5 m down).  Here a positive change means the water **rose** (the depth to water got smaller), as those
bulletins print it.

The area shares come from a surface of the change: the wells' changes interpolated (inverse distance, the
method named in the result) onto a grid over the county, each cell classed like a well; a township's
shares are those of its own cells.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.errors import InputDataError
from gwmap.i18n import Term
from gwmap.store.db import Store
from gwmap.store.models import Survey

logger = logging.getLogger(__name__)

__all__ = ["BAND_M", "CLASSES", "LevelChange", "year_on_year", "same_round_before", "classify"]

#: Within this many metres of no change a well (or a cell) is stable (the bulletins' ±0.5 m).
BAND_M = 0.5
CLASSES = ("rising", "stable", "falling")
#: The change surface's cell (m): fine enough for township shares, quick over a county.
CELL_M = 250.0


def same_round_before(code: str) -> str:
    """The same round a year earlier.

    >>> same_round_before("2026-autumn")
    '2025-autumn'
    """
    year, season = code.split("-", 1)
    return f"{int(year) - 1}-{season}"


def default_comparison(codes: list[str]) -> tuple[str, str] | None:
    """The round a page shows first and the round it is compared with (None with fewer than two).

    The newest, against the same round a year before (as the assessments compare), else the newest before it.

    >>> default_comparison(["2025-spring", "2025-autumn", "2026-spring"])
    ('2026-spring', '2025-spring')
    >>> default_comparison(["2025-autumn", "2026-spring"])
    ('2026-spring', '2025-autumn')
    """
    if len(codes) < 2:
        return None
    now = codes[-1]
    before = [c for c in codes if c != now]
    was = same_round_before(now)
    return now, was if was in before else before[-1]


def classify(rise_m, band_m: float = BAND_M) -> np.ndarray:
    """``rising`` above ``band_m``, ``falling`` below ``-band_m``, else ``stable`` (NaN stays empty).

    >>> classify([0.8, 0.5, -0.2, -0.51]).tolist()
    ['rising', 'stable', 'stable', 'falling']
    """
    r = np.asarray(rise_m, dtype=float)
    out = np.where(r > band_m, "rising", np.where(r < -band_m, "falling", "stable")).astype(object)
    out[~np.isfinite(r)] = ""
    return out


@dataclass(frozen=True)
class LevelChange:
    """A round against an earlier one at the wells measured in both.

    ``wells``: ``mw_code``, ``township_code``, ``lon``, ``lat``, ``depth_before_m``, ``depth_m``, ``rise_m``
    (positive = the water rose), ``class``.  ``townships``: per township ``wells``, ``mean_change_m``, the
    wells per class and the area shares ``share_rising`` … (NaN where the surface does not reach).
    ``county``: the same for the county.
    """

    round: str
    compare: str
    aquifer: str
    band_m: float
    wells: pd.DataFrame = field(repr=False)
    townships: pd.DataFrame = field(repr=False)
    county: dict
    method: str
    surface: object = field(default=None, repr=False)  # SurfaceResult of rise_m, or None with under 3 wells
    #: how much of the county's mean rise the year's rainfall explains (:func:`gwmap.rainfall.effect_for`),
    #: None without rainfall covering the round's twelve months
    rainfall: object = None

    def as_json(self) -> dict:
        """The figures as the command line prints them (``levels --json``)."""
        def row(d) -> dict:
            return {"wells": int(d["wells"]), "mean_change_m": _r(d["mean_change_m"], 3),
                    **{c: int(d[c]) for c in CLASSES},
                    "area_share": {c: _r(d[f"share_{c}"], 4) for c in CLASSES}}

        from gwmap.rainfall import effect_json

        return {"round": self.round, "compare": self.compare, "aquifer": self.aquifer, "band_m": self.band_m,
                "method": self.method, **row(self.county), "rainfall": effect_json(self.rainfall),
                "townships": [{"code": r["township_code"], "name": r["name"], **row(r)}
                              for r in self.townships.to_dict("records")]}


def _r(v, digits: int):
    return None if v is None or not np.isfinite(v) else round(float(v), digits)


def _survey_id(store: Store, code: str, aquifer: str) -> int:
    with store.session() as s:
        sid = s.scalar(select(Survey.id).where(Survey.code == code, Survey.aquifer == aquifer, ~Survey.superseded))
        if sid is None:
            have = sorted(set(s.scalars(select(Survey.code).where(Survey.aquifer == aquifer, ~Survey.superseded))))
    if sid is None:
        raise InputDataError("err.levels.no_round", f"No {aquifer} survey {code}.", round=code,
                             aquifer=Term(f"vocab.aquifer.{aquifer}"),
                             have="、".join(have[-8:]) or "—")
    return int(sid)


def year_on_year(store: Store, round_code: str, *, compare: str | None = None, aquifer: str = "shallow",
                 band_m: float = BAND_M, townships: gpd.GeoDataFrame | None = None,
                 cell_m: float = CELL_M) -> LevelChange:
    """``round_code`` against ``compare`` (default the same round a year before) at the wells in both.

    Readings flagged in review are left out (as the cone and the surfaces leave them out).  ``townships``
    (code, name, geometry; default the current boundaries) give the per-township rows and the area.

    Raises
    ------
    InputDataError
        ``err.levels.no_round`` (a round not stored, naming those that are), ``err.levels.band``,
        ``err.levels.no_common`` (no well measured in both rounds).

    """
    from gwmap.surveys import survey_points

    if not (np.isfinite(band_m) and 0 <= band_m <= 10):
        raise InputDataError("err.levels.band", "The stable band must be 0-10 m.", band=band_m)
    compare = compare or same_round_before(round_code)
    after = survey_points(store, _survey_id(store, round_code, aquifer), include_flagged=False)
    before = survey_points(store, _survey_id(store, compare, aquifer), include_flagged=False)
    both = after.merge(before[["mw_code", "depth_to_water_m"]], on="mw_code", suffixes=("", "_before"))
    if both.empty:
        raise InputDataError("err.levels.no_common", "No well was measured in both rounds.", round=round_code,
                             compare=compare)
    wells = pd.DataFrame({"mw_code": both["mw_code"], "township_code": both["township_code"], "lon": both["lon"],
                          "lat": both["lat"], "depth_before_m": both["depth_to_water_m_before"],
                          "depth_m": both["depth_to_water_m"]})
    from gwmap.rainfall import effect_for

    out = _change(store, round_code, compare, aquifer, band_m, wells, townships, cell_m)
    rain = effect_for(store, round_code, aquifer, out.county["mean_change_m"]) if compare == same_round_before(
        round_code) else None  # the rain of one year explains a change over one year, not over any two rounds
    return replace(out, rainfall=rain)


def _change(store: Store, label: str, compare: str, aquifer: str, band_m: float, wells: pd.DataFrame,
            townships: gpd.GeoDataFrame | None, cell_m: float) -> LevelChange:
    """The figures of a change at fixed wells: classes, per township and county, the area shares.

    ``wells``: ``mw_code``, ``township_code``, ``lon``, ``lat``, ``depth_before_m``, ``depth_m``.
    """
    wells = wells.copy()
    wells["rise_m"] = wells["depth_before_m"] - wells["depth_m"]
    wells["class"] = classify(wells["rise_m"], band_m)
    if townships is None:
        from gwmap.store.repo import current_boundaries

        _, townships, _ = current_boundaries(store)
    surface, shares = _area_shares(wells, townships, band_m, cell_m)
    rows = []
    for code, name in zip(townships["code"], townships["name"], strict=True):
        mine = wells[wells["township_code"] == code]
        rows.append({"township_code": code, "name": name, **_well_figures(mine), **shares.get(code, _no_share())})
    county = {**_well_figures(wells), **shares.get("county", _no_share())}
    logger.info("levels %s vs %s (%s): %d wells, mean %+.2f m", label, compare, aquifer, len(wells),
                county["mean_change_m"])
    return LevelChange(label, compare, aquifer, float(band_m), wells.reset_index(drop=True),
                       pd.DataFrame(rows), county, "idw" if surface is not None else "none", surface)


def _well_figures(w: pd.DataFrame) -> dict:
    counts = w["class"].value_counts()
    return {"wells": len(w), "mean_change_m": float(w["rise_m"].mean()) if len(w) else float("nan"),
            **{c: int(counts.get(c, 0)) for c in CLASSES}}


def _no_share() -> dict:
    return {f"share_{c}": float("nan") for c in CLASSES}


def _area_shares(wells: pd.DataFrame, townships: gpd.GeoDataFrame, band_m: float,
                 cell_m: float) -> tuple[object, dict[str, dict]]:
    """The change surface over the townships and each class's share of each township's cells and the county's."""
    from rasterio.features import geometry_mask

    from gwmap.surface import interpolate

    if len(wells) < 3:
        return None, {}
    pts = gpd.GeoDataFrame(wells[["rise_m"]], geometry=gpd.points_from_xy(wells["lon"], wells["lat"]), crs=4326)
    surf = interpolate(pts, "rise_m", boundary=townships[["geometry"]], method="idw", cell_m=cell_m)
    cls = classify(surf.values.ravel(), band_m).reshape(surf.values.shape)
    plane = townships.to_crs(surf.crs)

    def share(mask: np.ndarray) -> dict:
        inside = mask & np.isfinite(surf.values)
        n = int(inside.sum())
        if n == 0:
            return _no_share()
        return {f"share_{c}": float((cls[inside] == c).sum()) / n for c in CLASSES}

    out = {}
    for code, geom in zip(plane["code"], plane.geometry, strict=True):
        out[code] = share(geometry_mask([geom], out_shape=surf.grid.shape, transform=surf.grid.transform, invert=True))
    out["county"] = share(np.isfinite(surf.values))
    return surf, out


# ---------------------------------------------------------------- the quarter on a year before (超采区水位变化)
_QUARTER = re.compile(r"^\s*(\d{4})\s*(?:Q|q|年第?)\s*([1-4一二三四])\s*(?:季度)?\s*$")


def parse_quarter(text: str) -> str:
    """``2026Q3`` from 2026Q3, 2026q3, 2026年第3季度 or 2026年第三季度.

    >>> [parse_quarter(q) for q in ("2026Q3", "2026年第三季度", "2025 q1")]
    ['2026Q3', '2026Q3', '2025Q1']
    """
    m = _QUARTER.match(str(text))
    if not m:
        raise InputDataError("err.levels.quarter", "Write a quarter as 2026Q3.", value=str(text))
    n = m.group(2)
    return f"{m.group(1)}Q{'一二三四'.index(n) + 1 if n in '一二三四' else int(n)}"


def quarter_before(quarter: str) -> str:
    """The same quarter a year earlier: ``2025Q3`` for ``2026Q3``."""
    return f"{int(quarter[:4]) - 1}{quarter[4:]}"


def quarter_means(days: pd.DataFrame) -> pd.DataFrame:
    """Each well's quarterly mean depth to water from its station days: the mean of its three monthly means.

    Only where every month of the quarter has a reading (a quarter missing a month has no mean).

    ``days``: ``mw_code``, ``day``, ``depth_to_water_m``.  Returns ``mw_code``, ``quarter``, ``depth_m``.
    """
    d = days.dropna(subset=["depth_to_water_m"])
    if d.empty:
        return pd.DataFrame(columns=["mw_code", "quarter", "depth_m"])
    when = pd.to_datetime(d["day"])
    monthly = (d.assign(month=when.dt.to_period("M")).groupby(["mw_code", "month"])["depth_to_water_m"].mean()
               .reset_index())
    monthly["quarter"] = [f"{p.year}Q{p.quarter}" for p in monthly["month"]]
    q = monthly.groupby(["mw_code", "quarter"])["depth_to_water_m"].agg(["mean", "size"]).reset_index()
    q = q[q["size"] == 3]
    return pd.DataFrame({"mw_code": q["mw_code"], "quarter": q["quarter"], "depth_m": q["mean"]}).reset_index(drop=True)


def series_quarters(store: Store, aquifer: str = "shallow") -> list[str]:
    """The quarters with a complete mean at some well of ``aquifer`` that also has one a year before, oldest first."""
    from gwmap.surveys import station_days

    return _comparable(quarter_means(station_days(store, aquifer)))


def _comparable(q: pd.DataFrame) -> list[str]:
    have = set(zip(q["mw_code"], q["quarter"], strict=True))
    return sorted({qq for w, qq in have if (w, quarter_before(qq)) in have})


def quarter_on_year(store: Store, quarter: str | None = None, *, aquifer: str = "shallow", band_m: float = BAND_M,
                    townships: gpd.GeoDataFrame | None = None, cell_m: float = CELL_M) -> LevelChange:
    """``quarter``'s mean level against the same quarter a year before, at the wells with both (水资管〔2020〕173号).

    From the station series (:func:`gwmap.surveys.import_series`): each well's quarter mean is the mean of its
    three monthly means.  Default: the newest quarter that has a year-before to compare with.

    Raises
    ------
    InputDataError
        ``err.levels.no_series`` (no station series of the aquifer), ``err.levels.quarter``,
        ``err.levels.band``, ``err.levels.no_common``.

    """
    from gwmap.surveys import station_days

    if not (np.isfinite(band_m) and 0 <= band_m <= 10):
        raise InputDataError("err.levels.band", "The stable band must be 0-10 m.", band=band_m)
    days = station_days(store, aquifer)
    if days.empty:
        raise InputDataError("err.levels.no_series", f"No {aquifer} station series.",
                             aquifer=Term(f"vocab.aquifer.{aquifer}"))
    q = quarter_means(days)
    if quarter is None:
        pairs = _comparable(q)
        if not pairs:
            raise InputDataError("err.levels.no_common", "No quarter has a year before.", round="—", compare="—")
        quarter = pairs[-1]
    quarter = parse_quarter(quarter)
    was = quarter_before(quarter)
    now_q, before_q = q[q["quarter"] == quarter], q[q["quarter"] == was]
    both = now_q.merge(before_q[["mw_code", "depth_m"]], on="mw_code", suffixes=("", "_before"))
    if both.empty:
        raise InputDataError("err.levels.no_common", "No well has both quarters.", round=quarter, compare=was)
    where = days.drop_duplicates("mw_code").set_index("mw_code").reindex(both["mw_code"])
    wells = pd.DataFrame({"mw_code": both["mw_code"], "township_code": where["township_code"].to_numpy(),
                          "lon": where["lon"].to_numpy(), "lat": where["lat"].to_numpy(),
                          "depth_before_m": both["depth_m_before"], "depth_m": both["depth_m"]})
    return _change(store, quarter, was, aquifer, band_m, wells, townships, cell_m)
