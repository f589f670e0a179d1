"""The abstraction ledger (取水一本账, issue 13): how much water each well drew, and how that is known.

Three sources, each figure saying which:

* ``metered``: a water meter's readings (m³), spread over the months between two readings;
* ``electricity``: the pump's kWh from the grid company times the well's coefficient (以电折水);
* ``quota``: wells with neither, a twelfth of the permitted volume per month (定额估算).

The coefficient comes from physics.  Lifting 1 m³ of water by H metres takes ρ·g·H joules, so one kWh
(3.6 MJ) lifts 3.6e6 / (1000 · 9.80665) = 367.1 m³ by one metre; a pump set of efficiency η lifting by H
gives ``m³/kWh = 367.1 · η / H``.  H is the depth to water (from the latest depth surface at the well)
plus drawdown, pipe losses and discharge head.  A well with its own calibration (a water meter and a
power meter over the same months) has its coefficient measured; its η = c · H / 367.1 is what the
others of its aquifer and township borrow, scaled by their own lift.  As water levels rise, H falls and
the same kWh means more water: the ledger shows the lift used for every well.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap.abstraction import kept_readings, latest_power
from gwmap.store.db import Store
from gwmap.store.models import PowerUpload, SurfaceRun, Survey

__all__ = ["LIFT_PER_KWH", "DEFAULT_EFFICIENCY", "EXTRA_LIFT_M", "coefficient", "depth_at_wells",
           "calibrations", "coefficients", "monthly_ledger", "year_summary", "SOURCES", "YearLedger", "year_ledger",
           "against_baseline", "year_ledger_xlsx", "data_years"]

#: m³ lifted one metre by one kWh of work: 3.6e6 J / (1000 kg/m³ · 9.80665 m/s²).
LIFT_PER_KWH = 3.6e6 / (1000 * 9.80665)
#: Wire-to-water efficiency of a rural submersible pump set when nothing better is known.
DEFAULT_EFFICIENCY = 0.45
#: Drawdown, pipe losses and discharge head added to the depth to water (m).
EXTRA_LIFT_M = 8.0
#: Depth to water when no surface covers a well (m): the county's shallow aquifer in the 2020s.
FALLBACK_DEPTH_M = {"shallow": 12.0, "deep": 45.0}
SOURCES = ("metered", "electricity", "quota")


def coefficient(efficiency: float, lift_m: float) -> float:
    """m³ per kWh for a pump set of ``efficiency`` lifting by ``lift_m`` metres.

    >>> round(coefficient(0.45, 20.0), 2)
    8.26
    """
    return LIFT_PER_KWH * efficiency / lift_m


@dataclass(frozen=True)
class _Depths:
    values: pd.Series  # depth to water (m) by well code
    survey: dict[str, str]  # aquifer -> survey code used


def depth_at_wells(store: Store, wells: pd.DataFrame) -> _Depths:
    """Depth to water at each well from the latest stored depth surface of its aquifer (NaN where none)."""
    from pyproj import Transformer

    from gwmap.runs import load_surface

    out = pd.Series(np.nan, index=wells["well_code"].to_numpy(), dtype=float)
    used = {}
    with store.session() as s:
        runs = s.execute(select(SurfaceRun, Survey.code, Survey.aquifer).join(Survey, Survey.id == SurfaceRun.survey_id)
                         .where(SurfaceRun.value == "depth_to_water_m", ~Survey.superseded)
                         .order_by(Survey.year.desc(), Survey.code.desc(), SurfaceRun.id.desc())).all()
    for aquifer in ("shallow", "deep"):
        pick = next(((run, code) for run, code, aq in runs if aq == aquifer and Path(run.raster_path).exists()), None)
        these = wells[wells["aquifer"] == aquifer]
        if pick is None or not len(these):
            continue
        surf = load_surface(pick[0])
        x, y = Transformer.from_crs(4326, surf.crs, always_xy=True).transform(these["lon"].to_numpy(),
                                                                             these["lat"].to_numpy())
        g = surf.grid  # north-up: row 0 is the northern edge
        col = np.rint((np.asarray(x) - g.x0) / g.cell_m).astype(int)
        row = np.rint((g.y0 - np.asarray(y)) / g.cell_m).astype(int)
        ok = (col >= 0) & (col < g.nx) & (row >= 0) & (row < g.ny)
        vals = np.full(len(these), np.nan)
        vals[ok] = surf.values[row[ok], col[ok]]
        out.loc[these["well_code"].to_numpy()] = vals
        used[aquifer] = pick[1]
    return _Depths(out, used)


def _metered_monthly(readings: pd.DataFrame) -> pd.DataFrame:
    """m³ per (well, month) from cumulative readings, each interval's volume spread evenly over its days.

    Vectorised: every day of every interval is one array element (a county's quarterly readings over five
    years are about two million days), summed by (well, month) with one ``bincount``; month labels are
    made once per distinct month, not per day.
    """
    if readings.empty:
        return pd.DataFrame(columns=["well_code", "month", "m3"])
    r = readings.sort_values(["well_code", "read_on"])
    day = pd.to_datetime(r["read_on"]).to_numpy().astype("datetime64[D]")
    val = r["reading_m3"].to_numpy(float)
    code, names = pd.factorize(r["well_code"].to_numpy())
    same = np.r_[False, code[1:] == code[:-1]]  # a reading with an earlier one of the same well
    start = day[:-1][same[1:]] + np.timedelta64(1, "D")
    end = day[1:][same[1:]]
    # a replaced meter: the interval ends on the old meter's last reading; the next starts from the new one's
    final = r["old_final_m3"].to_numpy(float) if "old_final_m3" in r.columns else np.full(len(r), np.nan)
    end_val = np.where(np.isnan(final), val, final)
    vol = (end_val[1:] - val[:-1])[same[1:]]
    wells = code[1:][same[1:]]
    ndays = (end - start).astype(int) + 1
    keep = ndays > 0
    start, vol, wells, ndays = start[keep], vol[keep], wells[keep], ndays[keep]
    if not len(ndays):
        return pd.DataFrame(columns=["well_code", "month", "m3"])
    idx = np.repeat(np.arange(len(ndays)), ndays)
    offset = np.arange(len(idx)) - np.repeat(np.cumsum(ndays) - ndays, ndays)
    month = (start[idx] + offset.astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
    m0 = int(month.min())
    span = int(month.max()) - m0 + 1
    key = wells[idx].astype(np.int64) * span + (month - m0)
    total = np.bincount(key, weights=(vol / ndays)[idx])
    hit = np.flatnonzero(np.bincount(key))
    labels = (np.arange(m0, m0 + span).astype("datetime64[M]")).astype(str)
    return pd.DataFrame({"well_code": np.asarray(names)[hit // span], "month": labels[hit % span],
                         "m3": total[hit]})


def calibrations(store: Store, wells: pd.DataFrame, power: pd.DataFrame,
                 metered: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wells with a water meter and a power meter: m³ and kWh over the same whole months, and their ratio.

    Only months fully covered by the readings count (the first reading's month is left out); a well needs
    three such months with kWh to count as calibrated.
    """
    cols = ["well_code", "months", "m3", "kwh", "coefficient"]
    metered = _metered_monthly(kept_readings(store)) if metered is None else metered
    if metered.empty or power.empty:
        return pd.DataFrame(columns=cols)
    m = metered.sort_values(["well_code", "month"])
    m = m[m["well_code"].duplicated()]  # each well's first month is only partly covered
    meters = wells.loc[wells["power_meter_no"] != "", ["well_code", "power_meter_no"]]
    m = m.merge(meters, on="well_code")
    kwh = power[power["meter_no"] != ""].groupby(["meter_no", "month"], as_index=False)["kwh"].sum()
    both = m.merge(kwh, left_on=["power_meter_no", "month"], right_on=["meter_no", "month"])
    out = both.groupby("well_code", as_index=False).agg(months=("month", "size"), m3=("m3", "sum"),
                                                        kwh=("kwh", "sum"))
    out = out[(out["months"] >= 3) & (out["m3"] > 0) & (out["kwh"] > 0)].copy()
    out["coefficient"] = out["m3"] / out["kwh"]
    return out[cols].reset_index(drop=True)


def coefficients(store: Store, wells: pd.DataFrame, power: pd.DataFrame,
                 metered: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every electricity-metered well's m³/kWh, its source, the lift and the efficiency behind it.

    ``source``: ``calibrated`` (its own paired kWh and m³), ``township`` (the median efficiency of calibrated
    wells of its aquifer and township), ``aquifer`` (of its aquifer county-wide), ``default`` (η = 0.45).
    """
    elec = wells[(wells["metering"] == "electricity") & (wells["power_meter_no"] != "")].copy()
    depths = depth_at_wells(store, elec)
    depth = elec["well_code"].map(depths.values)
    elec["depth_m"] = depth.fillna(elec["aquifer"].map(FALLBACK_DEPTH_M)).astype(float)
    elec["depth_source"] = np.where(depth.notna(), elec["aquifer"].map(lambda a: depths.survey.get(a, "")), "fallback")
    elec["lift_m"] = elec["depth_m"].clip(lower=0.0) + EXTRA_LIFT_M
    cal = calibrations(store, wells, power, metered).set_index("well_code")
    elec["calibrated"] = elec["well_code"].map(cal["coefficient"]) if len(cal) else np.nan
    elec["efficiency"] = elec["calibrated"] * elec["lift_m"] / LIFT_PER_KWH
    known = elec[elec["efficiency"].notna()]
    by_tw = known.groupby(["aquifer", "township_code"])["efficiency"].median().rename("eff_township")
    by_aq = known.groupby("aquifer")["efficiency"].median().rename("eff_aquifer")
    elec = elec.join(by_tw, on=["aquifer", "township_code"]).join(by_aq, on="aquifer")
    source = np.select([elec["efficiency"].notna(), elec["eff_township"].notna(), elec["eff_aquifer"].notna()],
                       ["calibrated", "township", "aquifer"], "default")
    elec["efficiency"] = (elec["efficiency"].fillna(elec["eff_township"]).fillna(elec["eff_aquifer"])
                          .fillna(DEFAULT_EFFICIENCY).astype(float))
    elec["source"] = source
    elec["coefficient"] = np.where(source == "calibrated", elec["calibrated"],
                                   LIFT_PER_KWH * elec["efficiency"] / elec["lift_m"])
    return elec[["well_code", "township_code", "aquifer", "power_meter_no", "depth_m", "depth_source", "lift_m",
                 "efficiency", "coefficient", "source"]].reset_index(drop=True)


def ledger_inputs(store: Store, wells: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What every year's ledger reads, read once: the power records, the metered months, the coefficients."""
    from gwmap.power_links import keyed

    wells, power = keyed(store, wells, latest_power(store))  # accounts (户号) confirmed as a well's count as its
    metered = _metered_monthly(kept_readings(store))
    return power, metered, coefficients(store, wells, power, metered)


def monthly_ledger(store: Store, year: int, *, wells: pd.DataFrame | None = None,
                   inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None) -> pd.DataFrame:
    """One row per (well, month) of ``year``: ``m3`` and its ``source``, with the kWh and coefficient used.

    A water meter's figure wins over the electricity's, which wins over the quota (a twelfth of the
    permitted volume, for wells in use with a permit and neither record).  Columns: ``well_code``,
    ``month``, ``m3``, ``source``, ``kwh``, ``coefficient``, ``township_code``, ``aquifer``, ``use``,
    ``permitted_m3_per_year``.
    """
    from gwmap.store.repo import wells_frame

    wells = wells_frame(store) if wells is None else wells
    wells = wells[~wells["archived"]] if "archived" in wells else wells
    months = [f"{year}-{m:02d}" for m in range(1, 13)]
    power, metered_all, coefs = inputs if inputs is not None else ledger_inputs(store, wells)
    from gwmap.power_links import keyed

    wells, _ = keyed(store, wells, power)  # a linked account's well carries its key
    coef = coefs.set_index("well_code")["coefficient"]
    kwh = (power[(power["meter_no"] != "") & power["month"].isin(months)]
           .groupby(["meter_no", "month"], as_index=False)["kwh"].sum())
    metered = metered_all[metered_all["month"].isin(months)]
    grid = wells[["well_code", "power_meter_no", "status", "permitted_m3_per_year"]].merge(
        pd.DataFrame({"month": months}), how="cross")
    grid = grid.merge(metered, on=["well_code", "month"], how="left")
    grid = grid.merge(kwh, left_on=["power_meter_no", "month"], right_on=["meter_no", "month"], how="left")
    grid["coefficient"] = grid["well_code"].map(coef)
    has_meter = grid["m3"].notna()
    has_power = ~has_meter & grid["kwh"].notna() & grid["coefficient"].notna()
    quota = ~has_meter & ~has_power & (grid["status"] == "in_use") & grid["permitted_m3_per_year"].notna()
    grid["source"] = np.select([has_meter, has_power, quota], ["metered", "electricity", "quota"], "")
    grid["m3"] = np.select([has_meter, has_power, quota],
                           [grid["m3"], grid["kwh"] * grid["coefficient"], grid["permitted_m3_per_year"] / 12],
                           np.nan)
    grid.loc[~has_power, ["kwh", "coefficient"]] = np.nan
    out = grid.loc[grid["source"] != "", ["well_code", "month", "m3", "source", "kwh", "coefficient"]]
    info = wells.set_index("well_code")[["township_code", "aquifer", "use", "permitted_m3_per_year"]]
    return out.join(info, on="well_code").reset_index(drop=True)


def year_summary(store: Store, year: int) -> dict:
    """``total_m3``, ``townships: [{code, name, m3}]`` and ``by_source`` for ``year``."""
    from gwmap.errors import NotFound
    from gwmap.store.repo import current_boundaries

    led = monthly_ledger(store, year)
    try:
        names = dict(zip(*current_boundaries(store)[1][["code", "name"]].to_numpy().T, strict=True))
    except NotFound:
        names = {}
    by_tw = led.groupby("township_code")["m3"].sum().sort_index()
    return {
        "year": year, "total_m3": round(float(led["m3"].sum()), 1),
        "townships": [{"code": c, "name": names.get(c, ""), "m3": round(float(v), 1)} for c, v in by_tw.items()],
        "by_source": {s: round(float(led.loc[led["source"] == s, "m3"].sum()), 1) for s in SOURCES},
    }


@dataclass(frozen=True)
class YearLedger:
    """A year's ledger as the page and the Excel show it.

    ``monthly``: :func:`monthly_ledger`.  ``wells``: one row per well with the year's ``m3``, the m³ from each
    source, the months of each, the kWh, the coefficient with its ``coef_source``, ``lift_m``, ``depth_m``,
    ``depth_source`` and ``efficiency``, the permitted volume and ``share`` of it (NaN without a permit).
    ``townships``: m³ per township and source.
    """

    year: int
    monthly: pd.DataFrame
    wells: pd.DataFrame
    townships: pd.DataFrame

    @property
    def total_m3(self) -> float:
        return float(self.monthly["m3"].sum())

    def by_source(self) -> dict[str, float]:
        return {s: float(self.monthly.loc[self.monthly["source"] == s, "m3"].sum()) for s in SOURCES}


def year_ledger(store: Store, year: int, *, wells: pd.DataFrame | None = None,
                inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None = None) -> YearLedger:
    """The ledger of ``year`` by well and by township, with each well's coefficient, lift and sources.

    ``wells`` and ``inputs`` (:func:`ledger_inputs`) may be passed when several years are made at once.
    """
    from gwmap.store.repo import wells_frame

    wells = wells_frame(store) if wells is None else wells
    inputs = ledger_inputs(store, wells) if inputs is None else inputs
    monthly = monthly_ledger(store, year, wells=wells, inputs=inputs)
    coef = inputs[2]
    by = monthly.groupby(["well_code", "source"])
    per = by["m3"].sum().unstack().reindex(columns=list(SOURCES)).fillna(0.0)
    months = by.size().unstack().reindex(columns=list(SOURCES)).fillna(0).astype(int)
    table = wells[["well_code", "township_code", "village", "aquifer", "use", "status", "metering", "lon", "lat",
                   "power_meter_no", "permit_no", "permitted_m3_per_year"]].copy() if "village" in wells else \
        wells[["well_code", "township_code", "aquifer", "use", "status", "metering", "lon", "lat", "power_meter_no",
               "permit_no", "permitted_m3_per_year"]].copy()
    table = table.join(per.add_prefix("m3_"), on="well_code").join(months.add_prefix("months_"), on="well_code")
    for src in SOURCES:
        table[f"m3_{src}"] = table[f"m3_{src}"].fillna(0.0)
        table[f"months_{src}"] = table[f"months_{src}"].fillna(0).astype(int)
    table["m3"] = table[[f"m3_{s}" for s in SOURCES]].sum(axis=1)
    table["kwh"] = table["well_code"].map(monthly.groupby("well_code")["kwh"].sum(min_count=1))
    c = coef.set_index("well_code")
    for col, name in (("coefficient", "coefficient"), ("source", "coef_source"), ("lift_m", "lift_m"),
                      ("depth_m", "depth_m"), ("depth_source", "depth_source"), ("efficiency", "efficiency")):
        table[name] = table["well_code"].map(c[col]) if len(c) else np.nan
    permitted = table["permitted_m3_per_year"]
    table["share"] = np.where(permitted > 0, table["m3"] / permitted.where(permitted > 0), np.nan)
    table = table.sort_values("m3", ascending=False).reset_index(drop=True)
    tw = monthly.groupby(["township_code", "source"])["m3"].sum().unstack().reindex(
        columns=list(SOURCES)).fillna(0.0)
    tw["m3"] = tw.sum(axis=1)
    tw["wells"] = monthly.groupby("township_code")["well_code"].nunique()
    return YearLedger(year, monthly, table, tw.reset_index())


def data_years(store: Store) -> list[int]:
    """Years with power or meter records, oldest first."""
    from sqlalchemy import func

    with store.session() as s:
        lo, hi = s.execute(select(func.min(PowerUpload.first_month), func.max(PowerUpload.last_month))).one()
    if not lo or not hi:
        return []
    return list(range(int(lo[:4]), int(hi[:4]) + 1))


def last_whole_year(years: list[int], today: date) -> int:
    """The year a ledger opens on: the last of ``years`` before ``today``'s (the newest when there is none).

    >>> last_whole_year([2024, 2025, 2026], date(2026, 12, 8)), last_whole_year([2026], date(2026, 12, 8))
    (2025, 2026)
    """
    return max((y for y in years if y < today.year), default=years[-1])


def against_baseline(now: YearLedger, base: YearLedger, *, target_cut_m3: float | None) -> dict:
    """The county's abstraction of ``now`` against a baseline year, and the cut against the plan's.

    ``cut_m3`` is baseline minus now (positive: less water drawn); ``target_cut_m3`` is the plan's cut
    (:func:`gwmap.targets.plan_cut_m3`; None: no target entered, ``met`` None).  The sources are given for
    both years, because a cut read from a year counted by quota and a year counted by meters is partly a
    change of method.
    """
    cut = base.total_m3 - now.total_m3
    goal = None if target_cut_m3 is None else float(target_cut_m3)
    return {"year": now.year, "baseline_year": base.year, "year_m3": round(now.total_m3, 1),
            "baseline_m3": round(base.total_m3, 1), "cut_m3": round(cut, 1), "target_cut_m3": goal,
            "met": None if goal is None else bool(cut >= goal), "by_source": {k: round(v, 1) for k, v in now.by_source().items()},
            "baseline_by_source": {k: round(v, 1) for k, v in base.by_source().items()}}


def year_ledger_xlsx(led: YearLedger, *, tr, names: dict[str, str], baseline: dict | None = None) -> bytes:
    """The 取水一本账 as Excel: summary, wells (coefficient, lift, sources), townships and months.

    Headed in the user's language; figures as numbers, the way the county's tables are kept.
    """
    import io

    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = tr("abs.xlsx.summary")
    bold = Font(bold=True)
    ws.append([tr("abs.xlsx.title", year=led.year)])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([tr("abs.total"), round(led.total_m3, 1), "m³"])
    for src, v in led.by_source().items():
        ws.append([tr(f"abs.source.{src}"), round(v, 1), "m³"])
    for aq, v in led.monthly.groupby("aquifer")["m3"].sum().items():
        ws.append([tr(f"vocab.aquifer.{aq}"), round(float(v), 1), "m³"])
    if baseline:
        ws.append([tr("abs.baseline_total", year=baseline["baseline_year"]), baseline["baseline_m3"], "m³"])
        ws.append([tr("abs.cut"), baseline["cut_m3"], "m³"])
        ws.append([tr("abs.plan_cut"), baseline["target_cut_m3"], "m³"])
    ws.append([])
    ws.append([tr("abs.method_note")])
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 18

    def sheet(title, header, rows):
        sh = wb.create_sheet(title)
        sh.append(header)
        for cell in sh[1]:
            cell.font = bold
        for r in rows:
            sh.append([None if (isinstance(v, float) and not np.isfinite(v)) else v for v in r])
        sh.freeze_panes = "B2"
        for i in range(len(header)):
            sh.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width = 14
        return sh

    w = led.wells
    cols = [("well_code", "field.well_code"), ("township_code", "field.township"), ("aquifer", "field.aquifer"),
            ("use", "field.use"), ("status", "field.status"), ("m3", "abs.col.m3"),
            ("m3_metered", "abs.col.m3_metered"), ("m3_electricity", "abs.col.m3_electricity"),
            ("m3_quota", "abs.col.m3_quota"), ("kwh", "abs.col.kwh"), ("coefficient", "abs.col.coefficient"),
            ("coef_source", "abs.col.coef_source"), ("lift_m", "abs.col.lift_m"), ("depth_m", "abs.col.depth_m"),
            ("depth_source", "abs.col.depth_source"), ("efficiency", "abs.col.efficiency"),
            ("permit_no", "field.permit_no"), ("permitted_m3_per_year", "abs.col.permitted"),
            ("share", "abs.col.share"), ("lon", "field.lon"), ("lat", "field.lat")]

    def shown(col, v):
        if col == "township_code":
            return names.get(v, v)
        if col in ("aquifer", "use", "status") and isinstance(v, str) and v:
            return tr(f"vocab.{col}.{v}")
        if col == "coef_source" and isinstance(v, str) and v:
            return tr(f"abs.coef_source.{v}")
        if col in ("m3", "m3_metered", "m3_electricity", "m3_quota", "kwh"):
            return None if pd.isna(v) else round(float(v), 1)
        if col in ("coefficient", "lift_m", "depth_m", "efficiency", "share"):
            return None if pd.isna(v) else round(float(v), 3)
        return None if (not isinstance(v, str) and pd.isna(v)) else v

    sheet(tr("abs.xlsx.wells"), [tr(k) for _, k in cols],
          ([shown(c, v) for (c, _), v in zip(cols, row, strict=True)] for row in w[[c for c, _ in cols]].itertuples(index=False)))
    t = led.townships
    sheet(tr("abs.xlsx.townships"), [tr("field.township"), tr("abs.col.wells"), tr("abs.col.m3"),
                                     tr("abs.col.m3_metered"), tr("abs.col.m3_electricity"), tr("abs.col.m3_quota")],
          ([names.get(r.township_code, r.township_code), int(r.wells), round(r.m3, 1), round(r.metered, 1),
            round(r.electricity, 1), round(r.quota, 1)] for r in t.itertuples()))
    # months as columns, one row per well (the way a 台账 is kept, and within Excel's 1,048,576 rows at any scale)
    m = led.monthly
    grid = m.pivot_table(index="well_code", columns="month", values="m3", aggfunc="sum")
    months = [f"{led.year}-{k:02d}" for k in range(1, 13)]
    grid = grid.reindex(columns=months)
    sources = m.groupby("well_code")["source"].agg(lambda v: tr("list.sep").join(
        tr(f"abs.source.{x}") for x in SOURCES if x in set(v)))
    sheet(tr("abs.xlsx.months"), [tr("field.well_code"), tr("abs.col.source"), *months],
          ([code, sources.get(code, ""), *[None if pd.isna(v) else round(float(v), 1) for v in row]]
           for code, row in zip(grid.index, grid.to_numpy(), strict=True)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
