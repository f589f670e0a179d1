"""A county rain gauge's monthly rainfall: imported, set against its long-term mean, and weighed against a change.

How much of a year-on-year change in water level the year's rainfall explains.

Offices keep rainfall two ways, both read here: one row a month (站名 | 年月 | 降水量(mm)) or one row a year with
twelve month columns (年份 | 1月 | … | 12月 | 全年), as the hydrological yearbooks print it.  Figures in 0.1 mm (the
meteorological archives' unit) or cm are read by the header's unit.

**Departure** (降水距平): the rainfall of the twelve months up to a survey round's month against the mean of
every complete twelve-month window in the record ending in the same month, in per cent and in 成 (一成 = 10%,
as 偏多两成 is said).

**Rainfall-adjusted change**: over the county's history of year-on-year changes at the same wells (the same
round a year apart, :func:`gwmap.levels.year_on_year`), the mean rise is regressed on the rainfall of the twelve
months before each later round (ordinary least squares, rise = a + b·rain).  The part the year's rainfall
explains is b × (its rainfall − the long-term mean); the adjusted change is the observed change less that
part, with b's standard error carried to a 90% interval.  With fewer than :data:`MIN_YEARS` pairs the
regression is not made and only the departure is given.  (A pastas transfer-function model per monitoring well
would separate rain and pumping more finely for wells with monthly series; it is not used here.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap import clock
from gwmap.errors import InputDataError
from gwmap.io.checks import RowCheck, UploadCheck, header_key, header_stem, month_column, number_cells, text_cells
from gwmap.store import Store
from gwmap.store.models import RainfallMonth

__all__ = ["COLUMNS", "known_headers", "read_rainfall", "check_rainfall", "import_rainfall", "rainfall_frame",
           "departure", "adjusted_change", "level_history", "effect_for", "effect_json", "effect_lines",
           "RainfallEffect", "MIN_YEARS", "MAX_MONTH_MM"]

COLUMNS = {"station": ("站名", "雨量站", "站点", "测站", "station"), "month": ("年月", "月份", "时间", "month"),
           "mm": ("降水量", "降雨量", "月降水量", "月降雨量", "雨量", "rainfall_mm", "rainfall")}
#: The most rain a month at one gauge may hold (Shandong's wettest months are about 600 mm): beyond is a typo.
MAX_MONTH_MM = 1_200.0
#: Year-on-year pairs the regression needs before it is made.
MIN_YEARS = 5
_YEAR_COLS = ("年份", "年度", "年", "year")


def _unit(header: object) -> float:
    """The factor a rainfall header's unit puts on its numbers: 0.1 for 0.1毫米/0.1mm, 10 for cm/厘米, else 1."""
    text = str(header).lower().replace(" ", "")
    if re.search(r"0\.1(mm|毫米)", text):
        return 0.1
    if re.search(r"(cm|厘米)", text):
        return 10.0
    return 1.0


_CN_MONTHS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11,
              "十二": 12}


def _month_of_header(header: object) -> int | None:
    """The month a yearly table's column holds: 7月, 7月份, 七月, 7月降水量(mm), Jul; else None.

    >>> [_month_of_header(h) for h in ["7月", "十二月份", "3月降水量（mm）", "全年", "年份"]]
    [7, 12, 3, None, None]
    """
    stem = re.sub(r"[(（\[【].*?[)）\]】]", "", str(header)).strip()
    stem = re.sub(r"(降水量|降雨量|雨量)$", "", stem)
    m = re.fullmatch(r"(\d{1,2})\s*月份?", stem)
    if m:
        return int(m.group(1)) if 1 <= int(m.group(1)) <= 12 else None
    m = re.fullmatch(r"(十[一二]?|[一二三四五六七八九])月份?", stem)
    return _CN_MONTHS[m.group(1)] if m else None


def _sheet_rows(df: pd.DataFrame) -> np.ndarray:
    """Each row's number in the sheet (the office reader keeps it as the index when title rows sit above)."""
    return np.asarray(df.index, dtype=int) if "header_row" in df.attrs else np.arange(len(df)) + 2


def _long(df: pd.DataFrame) -> pd.DataFrame | None:
    """A year-per-row table (年份 | 1月 … 12月) as one row a month (station, month, mm); None if not one."""
    months = {c: m for c in df.columns if (m := _month_of_header(c)) is not None}
    year_col = next((c for c in df.columns if header_key(re.sub(r"[(（].*$", "", str(c))) in _YEAR_COLS), None)
    if year_col is None or len(months) < 6:
        return None
    stations = {header_key(h) for h in COLUMNS["station"]}
    station_col = next((c for c in df.columns if header_key(c) in stations), None)
    rows = []
    for sheet_row, (_, rec) in zip(_sheet_rows(df), df.iterrows(), strict=True):
        year = str(text_cells(pd.Series([rec[year_col]])).iloc[0]).removesuffix("年").removesuffix(".0")
        for col, mon in sorted(months.items(), key=lambda kv: kv[1]):
            rows.append({"站名": rec[station_col] if station_col else "", "年月": f"{year}-{mon:02d}" if year else "",
                         "降水量": rec[col], "_unit": _unit(col), "_row": int(sheet_row), "_col": str(col)})
    return pd.DataFrame(rows, columns=["站名", "年月", "降水量", "_unit", "_row", "_col"])


def known_headers() -> set[str]:
    """The headers a rainfall sheet's header row may hold, as :func:`gwmap.io.checks.header_stem` reduces them.

    So :func:`gwmap.io.tables.read_table` finds the header below title rows.
    """
    names = [h for hs in COLUMNS.values() for h in hs] + list(_YEAR_COLS)
    names += [f"{m}月" for m in range(1, 13)] + [f"{m}月份" for m in range(1, 13)] + [f"{c}月" for c in _CN_MONTHS]
    return {header_stem(h) for h in names}


def read_rainfall(data: bytes, filename: str, *, encoding: str | None = None) -> pd.DataFrame:
    """A rainfall file (CSV in UTF-8 or GBK, or XLSX) as read, title rows above the header passed over."""
    from gwmap.io.tables import read_table

    df, _ = read_table(data, filename, encoding=encoding, known_headers=known_headers(), header_key=header_stem)
    return df


def _columns(df: pd.DataFrame) -> dict[str, str]:
    """Field -> the file's header, whatever unit the header carries in brackets (降水量(0.1mm) names ``mm``)."""
    stems = {header_stem(c): c for c in df.columns}
    found = {name: stems[header_stem(h)] for name, hs in COLUMNS.items() for h in reversed(hs) if header_stem(h) in stems}
    missing = [COLUMNS[n][0] for n in ("month", "mm") if n not in found]
    if missing:
        raise InputDataError("err.rain.no_column", "Columns missing.", columns="、".join(missing),
                             found="、".join(map(str, df.columns)) or "—")
    return found


def check_rainfall(df: pd.DataFrame, *, raw: bytes = b"", today: date | None = None) -> UploadCheck:
    """A gauge's monthly rainfall, one row a month or one row a year with twelve month columns.

    Each month must be real and not after this one, its rainfall a number from 0 to :data:`MAX_MONTH_MM`
    mm, and each station's month given once.  A blank month cell of a yearly table is a month not reported
    (left out, not counted as no rain).
    """
    today = today or clock.today()
    wide = _long(df)
    if wide is not None:
        wide = wide[text_cells(wide["降水量"]) != ""].reset_index(drop=True)
        if wide.empty:
            raise InputDataError("err.rain.empty", "No rainfall figures in the file.")
        source = wide
    else:
        source = df
    cols = _columns(source)
    rc = RowCheck(len(source), cols, COLUMNS)
    # findings name the sheet's own row (and, in a yearly table, the month's column)
    rc.rownum = wide["_row"].to_numpy(int) if wide is not None else _sheet_rows(df)
    station = text_cells(source[cols["station"]]) if "station" in cols else pd.Series("", index=source.index)
    month_raw, month = month_column(rc, source, cols, today)
    raw_mm = text_cells(source[cols["mm"]])
    factor = wide["_unit"] if wide is not None else pd.Series(_unit(cols["mm"]), index=source.index)
    mm = number_cells(source[cols["mm"]]) * factor
    column = wide["_col"] if wide is not None else None

    def add(mask, code: str, **params) -> None:  # noqa: ANN001
        if column is None:
            rc.add(mask, "mm", code, raw_mm, **params)
            return
        for col in sorted(set(column[np.asarray(mask, bool)])):  # each month column under its own header
            rc.cols["mm"] = col
            rc.add(np.asarray(mask, bool) & (column == col).to_numpy(), "mm", code, raw_mm, **params)

    add(mm.isna() | ~np.isfinite(mm.fillna(0)), "err.rain.value")
    add(mm < 0, "err.rain.negative")
    add(mm > MAX_MONTH_MM, "err.rain.large", most=f"{MAX_MONTH_MM:,.0f}")
    keys = pd.Series(list(zip(station, month, strict=True)), index=source.index)
    dup = (~rc.bad) & keys.duplicated(keep="first").to_numpy()
    firsts = {k: int(rc.rownum[i]) for i, k in reversed(list(enumerate(keys)))}
    for i in np.flatnonzero(dup):
        rc.add(np.arange(len(source)) == i, "month", "err.rain.duplicate", month_raw, first=firsts[keys.iloc[i]])
    return rc.result("rainfall", {"station": station, "month": month, "mm": mm.round(1)}, raw)


def import_rainfall(store: Store, user, check: UploadCheck, *, default_station: str = "") -> dict[str, int]:  # noqa: ANN001
    """Store a clean rainfall file in one transaction: new months added, stored ones corrected (audited).

    A row without a station is the county gauge's (``default_station``, else the county's name).
    """
    from gwmap.county import active
    from gwmap.store.users import authorize

    authorize(store, user, "surveys.import", target="rainfall_months")
    if check.problems or not len(check.rows):
        raise InputDataError("err.power.has_errors", "Fix the errors first.", count=len(check.problems))
    fallback = default_station or active().name
    rows = check.rows.assign(station=check.rows["station"].where(check.rows["station"] != "", fallback))
    added = updated = unchanged = 0
    with store.session(user) as s:
        have = {(r.station, r.month): r for r in s.scalars(select(RainfallMonth).where(
            RainfallMonth.station.in_(sorted(set(rows["station"])))))}
        for r in rows.itertuples():
            rec = have.get((r.station, r.month))
            if rec is None:
                s.add(RainfallMonth(station=r.station, month=r.month, mm=float(r.mm)))
                added += 1
            elif abs(rec.mm - float(r.mm)) > 1e-9:
                rec.mm = float(r.mm)
                updated += 1
            else:
                unchanged += 1
    return {"added": added, "updated": updated, "unchanged": unchanged}


def rainfall_frame(store: Store, station: str | None = None) -> pd.DataFrame:
    """Stored months (``station``, ``month``, ``mm``), oldest first; one station's, or the one with most months."""
    with store.session() as s:
        rows = s.execute(select(RainfallMonth.station, RainfallMonth.month, RainfallMonth.mm)
                         .order_by(RainfallMonth.station, RainfallMonth.month)).all()
    df = pd.DataFrame(rows, columns=["station", "month", "mm"])
    if df.empty:
        return df
    if station is None:
        station = df["station"].value_counts().index[0]
    return df[df["station"] == station].reset_index(drop=True)


def _window_sums(df: pd.DataFrame) -> pd.Series:
    """Rainfall of the twelve months up to each month (month ``YYYY-MM`` -> mm) where all twelve are stored."""
    if df.empty:
        return pd.Series(dtype=float)
    idx = pd.PeriodIndex(df["month"], freq="M")
    s = pd.Series(df["mm"].to_numpy(float), index=idx)
    full = s.reindex(pd.period_range(idx.min(), idx.max(), freq="M"))
    sums = full.rolling(12, min_periods=12).sum().dropna()
    return pd.Series(sums.to_numpy(), index=[str(p) for p in sums.index])


def departure(df: pd.DataFrame, month: str) -> dict | None:
    """The twelve months up to ``month`` (``YYYY-MM``) against the mean of the record's same windows.

    The windows ending in the same calendar month make the mean.  Returns ``mm``, ``mean_mm``, ``years``
    (windows in the mean), ``pct`` and ``cheng`` (成); None when the twelve months are not all stored or fewer
    than three windows make the mean.
    """
    sums = _window_sums(df)
    if month not in sums.index:
        return None
    same = sums[[m[5:] == month[5:] for m in sums.index]]
    if len(same) < 3:
        return None
    mean = float(same.mean())
    mm = float(sums[month])
    pct = (mm - mean) / mean if mean > 0 else float("nan")
    return {"month": month, "mm": mm, "mean_mm": mean, "years": int(len(same)), "first": str(same.index[0]),
            "pct": pct, "cheng": pct * 10}


@dataclass(frozen=True)
class RainfallEffect:
    """How much of a year-on-year change the year's rainfall explains (see the module's docstring)."""

    observed_m: float  #: the mean rise at the same wells (positive = the water rose)
    departure: dict  #: :func:`departure` of the later round
    method: str  #: ``regression`` or ``none`` (too short a history: only the departure is said)
    years: int  #: year-on-year pairs in the regression
    slope_m_per_100mm: float = float("nan")  #: b, metres of rise per 100 mm more rain in the twelve months
    slope_se: float = float("nan")
    r2: float = float("nan")
    rain_part_m: float = float("nan")  #: b × (the year's rain − the mean)
    adjusted_m: float = float("nan")  #: observed − rain part: the change in a year of average rain
    adjusted_low_m: float = float("nan")  #: 90% interval of the adjusted change (from b's standard error)
    adjusted_high_m: float = float("nan")


def _round_month(code: str) -> str:
    from gwmap.surveys import survey_date

    d = survey_date(code)
    return f"{d.year:04d}-{d.month:02d}"


def adjusted_change(history: pd.DataFrame, rain: pd.DataFrame, *, round_code: str, observed_m: float) -> RainfallEffect | None:
    """The rainfall part of ``observed_m`` (the rise at ``round_code`` on a year before), from ``history``.

    ``history``: one row per year-on-year pair with ``code`` (the later round) and ``rise_m``; ``rain``: the
    gauge's months (:func:`rainfall_frame`).  None when the round's twelve months of rain are not all stored.
    """
    dep = departure(rain, _round_month(round_code))
    if dep is None:
        return None
    sums = _window_sums(rain)
    pairs = [(float(r.rise_m), float(sums[m])) for r in history.itertuples()
             if (m := _round_month(r.code)) in sums.index and np.isfinite(r.rise_m)]
    if len(pairs) < MIN_YEARS:
        return RainfallEffect(observed_m, dep, "none", len(pairs))
    y = np.array([p[0] for p in pairs])
    x = np.array([p[1] for p in pairs]) / 100.0  # per 100 mm
    n = len(x)
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    if sxx <= 0:
        return RainfallEffect(observed_m, dep, "none", n)
    b = float(((x - xm) * (y - y.mean())).sum() / sxx)
    a = float(y.mean() - b * xm)
    resid = y - (a + b * x)
    dof = n - 2
    s2 = float((resid ** 2).sum() / dof) if dof > 0 else float("nan")
    se = float(np.sqrt(s2 / sxx)) if dof > 0 else float("nan")
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((resid ** 2).sum()) / ss_tot if ss_tot > 0 else float("nan")
    from scipy import stats

    t = float(stats.t.ppf(0.95, dof)) if dof > 0 else float("nan")
    dx = (dep["mm"] - dep["mean_mm"]) / 100.0
    part = b * dx
    adjusted = observed_m - part
    half = abs(dx) * se * t
    return RainfallEffect(observed_m, dep, "regression", n, b, se, r2, part, adjusted, adjusted - half, adjusted + half)


def level_history(store: Store, round_code: str, aquifer: str) -> pd.DataFrame:
    """Every earlier year-on-year pair of the same round (spring with spring, autumn with autumn).

    Rows before ``round_code``: ``code`` (the later round), ``rise_m`` (the mean rise at the wells measured in
    both) and ``wells``.
    """
    from gwmap.surveys import change_points, list_surveys

    s = list_surveys(store)
    s = s[s["aquifer"] == aquifer]
    season = round_code.split("-", 1)[1]
    by_year = {int(r.year): int(r.id) for r in s.itertuples() if r.season == season}
    rows = []
    for year in sorted(by_year):
        code = f"{year}-{season}"
        if code >= round_code or year - 1 not in by_year:
            continue
        ch = change_points(store, by_year[year - 1], by_year[year])
        if len(ch):
            rows.append({"code": code, "rise_m": float(-ch["change_m"].mean()), "wells": len(ch)})
    return pd.DataFrame(rows, columns=["code", "rise_m", "wells"])


def effect_for(store: Store, round_code: str, aquifer: str, observed_m: float) -> RainfallEffect | None:
    """:func:`adjusted_change` of a round's observed mean rise, from the stored rain and the earlier rounds.

    The regression is fitted on the years before ``round_code`` only, so the year judged does not judge itself.
    None without rainfall covering the round's twelve months.
    """
    rain = rainfall_frame(store)
    if rain.empty:
        return None
    return adjusted_change(level_history(store, round_code, aquifer), rain, round_code=round_code,
                           observed_m=observed_m)


def effect_json(e: RainfallEffect | None) -> dict | None:
    """The effect as the command line prints it (``levels --json``), numbers rounded, NaN as null."""
    if e is None:
        return None

    def r(v, digits: int):  # noqa: ANN001, ANN202
        return None if v is None or not np.isfinite(v) else round(float(v), digits)

    d = e.departure
    return {"method": e.method, "years": e.years, "rain_mm": r(d["mm"], 1), "mean_mm": r(d["mean_mm"], 1),
            "departure_pct": r(d["pct"] * 100, 1), "departure_cheng": r(d["cheng"], 1), "mean_years": d["years"],
            "slope_m_per_100mm": r(e.slope_m_per_100mm, 3), "slope_se": r(e.slope_se, 3), "r2": r(e.r2, 3),
            "rain_part_m": r(e.rain_part_m, 3), "adjusted_m": r(e.adjusted_m, 3),
            "adjusted_90": [r(e.adjusted_low_m, 3), r(e.adjusted_high_m, 3)]}


def effect_lines(e: RainfallEffect | None, tr, *, month_label=None) -> list[str]:  # noqa: ANN001
    """The rainfall beside a change, as the dashboard and the bulletin say it (``tr``: the reader's language).

    The departure (in 成 and %), then the rainfall-adjusted change with its interval, the method, and what it
    means for the question a leader asks (the county's work, or a wet year?).
    """
    if e is None:
        return [tr("rain.none")]
    d = e.departure
    pct = d["pct"]
    way = "rain.more" if pct > 0.005 else "rain.less" if pct < -0.005 else "rain.normal"
    lines = [tr("rain.departure").format(month=month_label(d["month"]) if month_label else d["month"],
                                         mm=f"{d['mm']:,.0f}", mean=f"{d['mean_mm']:,.0f}", years=d["years"],
                                         way=tr(way), cheng=f"{abs(d['cheng']):.1f}", pct=f"{pct:+.0%}")]
    if e.method != "regression":
        return [*lines, tr("rain.too_short").format(years=e.years, need=MIN_YEARS)]
    lines.append(tr("rain.adjusted").format(observed=f"{e.observed_m:+.2f}", adjusted=f"{e.adjusted_m:+.2f}",
                                            low=f"{e.adjusted_low_m:+.2f}", high=f"{e.adjusted_high_m:+.2f}",
                                            part=f"{e.rain_part_m:+.2f}"))
    if e.adjusted_low_m > 0:
        verdict = "rain.verdict.rise_holds"
    elif e.adjusted_high_m < 0:
        verdict = "rain.verdict.fall_holds"
    else:
        verdict = "rain.verdict.unclear"
    lines.append(tr(verdict))
    lines.append(tr("rain.method").format(years=e.years, slope=f"{e.slope_m_per_100mm:+.2f}",
                                          se=f"{e.slope_se:.2f}", r2=f"{e.r2:.2f}"))
    return lines
