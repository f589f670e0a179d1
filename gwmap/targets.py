"""The plan's targets (DOMAIN.md §1) and where the county stands: for the dashboard and the bulletin.

Every figure comes with its source (the records it was computed from), so a
leader can see where a number came from and the bulletin prints the same one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select

from gwmap import clock
from gwmap.store.db import Store
from gwmap.store.models import ReclaimedWater
from gwmap.store.repo import check_overwrite
from gwmap.store.users import CurrentUser, authorize

logger = logging.getLogger(__name__)

__all__ = ["RECLAIMED_USES", "Target", "plan_targets", "level_change", "enforcement_glance", "township_ranking",
           "set_reclaimed", "reclaimed_table", "reclaimed_figures", "TARGET_FIELDS", "set_targets", "seed_targets",
           "targets_frame", "set_up_county", "year_targets", "PlanStatus", "plan_cut_m3", "import_targets",
           "targets_template"]

RECLAIMED_USES = ("industry", "greening", "ecological")

#: The figures a year's plan row can set (blank: no target of that kind that year), and their check:
#: (kind, lowest, highest).  ``level_rise_m`` may be negative (a slower fall than before is a target too).
TARGET_FIELDS: dict[str, tuple[str, float, float]] = {
    "sealed_wells": ("int", 0, 1_000_000),
    "cut_m3": ("float", 0, 1e11),
    "reclaimed_used_m3": ("float", 0, 1e11),
    "reclaimed_rate": ("float", 0, 1),
    "deep_stopped": ("bool", 0, 1),
    "cone_area_km2": ("float", 0, 1e6),
    "level_rise_m": ("float", -50, 50),
}


def _target_value(name: str, value):  # noqa: ANN001
    """``value`` checked for the target ``name``; None for blank; one message naming the field otherwise."""
    import math

    from gwmap.errors import InputDataError

    if value is None or (isinstance(value, str) and not value.strip()):
        return None  # NaN is no blank: it is refused below (a sheet's empty cells come in as None)
    kind, lo, hi = TARGET_FIELDS[name]
    if kind == "bool":
        if isinstance(value, str):
            text = value.strip().lower()
            if text in {"1", "true", "yes", "是", "y"}:
                return True
            if text in {"0", "false", "no", "否", "n"}:
                return False
            raise InputDataError("err.targets.value", f"{name}: {value!r}", field=name, value=str(value),
                                 lo="是", hi="否")
        return bool(value)
    text = str(value).strip().replace(",", "").replace("，", "")
    pct = text.endswith("%")
    try:
        number = float(text.rstrip("%")) / (100 if pct else 1)
    except ValueError:
        raise InputDataError("err.targets.value", f"{name}: {value!r}", field=name, value=str(value),
                             lo=f"{lo:g}", hi=f"{hi:g}") from None
    if name == "reclaimed_rate" and 1 < number <= 100 and not pct:
        raise InputDataError("err.targets.rate", f"A rate of {number:g}.", value=f"{number:g}")
    if not math.isfinite(number) or not lo <= number <= hi or (kind == "int" and number != int(number)):
        raise InputDataError("err.targets.value", f"{name}: {value!r}", field=name, value=str(value),
                             lo=f"{lo:g}", hi=f"{hi:g}")
    return int(number) if kind == "int" else float(number)


def _checked_targets(year, source, values: dict) -> tuple[int, str, dict]:  # noqa: ANN001
    """A year's row checked whole: (year, source, the figures given); one message naming the field otherwise."""
    from gwmap.errors import InputDataError
    from gwmap.store.validate import clean_text_problem

    unknown = set(values) - set(TARGET_FIELDS)
    if unknown:
        raise InputDataError("err.targets.field", f"Unknown targets {sorted(unknown)}.", field=", ".join(sorted(unknown)))
    try:
        number = float(str(year).strip().removesuffix("年"))
        if number != int(number):
            raise ValueError
        year = int(number)
    except (TypeError, ValueError):
        raise InputDataError("err.targets.year", f"Year {year!r}.", value=str(year)) from None
    if not 2000 <= year <= 2100:
        raise InputDataError("err.targets.year", f"Year {year}.", value=str(year))
    source = "" if source is None or (isinstance(source, float) and source != source) else str(source).strip()
    if not source or clean_text_problem(source, multiline=False):
        raise InputDataError("err.targets.source", "Name the document the targets come from.", year=str(year))
    given = {k: _target_value(k, v) for k, v in values.items()}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        raise InputDataError("err.targets.none", "No target given.", year=str(year))
    return year, source, given


def _store_targets(s, adcode: str, year: int, source: str, given: dict, *, replace: bool) -> dict:  # noqa: ANN001
    from gwmap.store.models import PlanTarget

    row = s.scalar(select(PlanTarget).where(PlanTarget.county_adcode == adcode, PlanTarget.year == year))
    if row is not None:  # a figure the year has not got yet is added; one it has is replaced only on purpose
        check_overwrite(row, {k: v for k, v in given.items() if getattr(row, k) is not None}, replace=replace,
                        key=str(year))
    if row is None:
        row = PlanTarget(county_adcode=adcode, year=year, source=source, **given)
        s.add(row)
    else:
        for k, v in given.items():
            setattr(row, k, v)
        if row.source != source:
            row.source = source
    s.flush()
    return {"year": year, "source": row.source, **{k: getattr(row, k) for k in TARGET_FIELDS}}


def set_targets(store: Store, user: CurrentUser, *, year: int, source: str, replace: bool = False,
                county: str | None = None, **values) -> dict:
    """Enter one year's plan targets (admins and hydrologists; audited); returns the row as stored.

    Only the figures given are set; a figure already stored with another value is replaced only with
    ``replace`` (:class:`~gwmap.errors.ConflictError` lists both otherwise).  ``source`` names the
    document (文件名、文号) the figures come from.
    """
    from gwmap.county import active

    authorize(store, user, "targets.edit", target=f"targets {year}")
    year, source, given = _checked_targets(year, source, values)
    with store.session(user) as s:
        return _store_targets(s, county or active().adcode, year, source, given, replace=replace)


def set_up_county(store: Store, user: CurrentUser, adcode: str | None = None, *, name: str | None = None,
                  name_en: str | None = None):
    """The county's profile (:func:`gwmap.county.init_county`) and the targets its profile file ships with.

    Returns the profile and whether it was created now.
    """
    from gwmap.county import init_county

    p, created = init_county(store, user, adcode, name=name, name_en=name_en)
    seed_targets(store, user, p.adcode)
    return p, created


def seed_targets(store: Store, user: CurrentUser, adcode: str) -> int:
    """Store the targets shipped with the county's profile for years that have none; returns rows added."""
    from gwmap.county import default_targets

    have = set(targets_frame(store, county=adcode)["year"])
    added = 0
    for row in default_targets(adcode):
        year = int(row.pop("year"))
        if year in have:
            continue
        set_targets(store, user, year=year, county=adcode, **row)
        added += 1
    return added


def targets_frame(store: Store, *, county: str | None = None) -> pd.DataFrame:
    """Every year's targets of the county (default: the active profile's), oldest first."""
    from gwmap.county import active
    from gwmap.store.models import PlanTarget

    cols = ["year", *TARGET_FIELDS, "source"]
    with store.session() as s:
        rows = s.execute(select(PlanTarget.year, *(getattr(PlanTarget, k) for k in TARGET_FIELDS), PlanTarget.source)
                         .where(PlanTarget.county_adcode == (county or active().adcode))
                         .order_by(PlanTarget.year)).all()
    df = pd.DataFrame(rows, columns=cols)
    return df.astype({"year": int}) if len(df) else df


def year_targets(store: Store, year: int) -> dict | None:
    """The targets of ``year`` as a dict (blank kinds None), or None when that year has no row."""
    df = targets_frame(store)
    row = df[df["year"] == int(year)]
    if row.empty:
        return None
    rec = row.iloc[0].to_dict()
    return {k: (None if (v is None or (isinstance(v, float) and v != v)) else v) for k, v in rec.items()}


#: Column headings of the targets sheet (Chinese as offices write them; English accepted too).
TARGET_COLUMNS = {
    "year": ("年度", "year", "年份"),
    "sealed_wells": ("封井数(眼)", "sealed_wells", "封井数", "封井(眼)"),
    "cut_m3": ("压减地下水(万m³)", "cut_m3", "压减地下水(m³)", "压减量(万m³)"),
    "reclaimed_used_m3": ("再生水利用量(万m³)", "reclaimed_used_m3", "再生水利用量(m³)"),
    "reclaimed_rate": ("再生水利用率", "reclaimed_rate"),
    "deep_stopped": ("深层地下水全面压采", "deep_stopped"),
    "cone_area_km2": ("漏斗区面积不超过(km²)", "cone_area_km2", "漏斗区面积(km²)"),
    "level_rise_m": ("水位回升不少于(m)", "level_rise_m", "水位回升(m)"),
    "source": ("依据文件", "source", "来源"),
}


def _norm_heading(text: object) -> str:
    return str(text).strip().replace("（", "(").replace("）", ")").replace("m3", "m³").replace(" ", "").lower()


def import_targets(store: Store, user: CurrentUser, data: bytes, filename: str, *, replace: bool = False) -> list[dict]:
    """Targets from a sheet (XLSX or CSV, one row per year; volumes in 万m³ where the heading says so).

    Checked whole: every problem with its row, nothing stored unless all rows are clean.
    """
    from gwmap.errors import InputDataError
    from gwmap.io.tables import read_table

    df, _ = read_table(data, filename)
    heads = {_norm_heading(c): c for c in df.columns}
    cols, scale = {}, {}
    for key, names in TARGET_COLUMNS.items():
        for n in names:
            if _norm_heading(n) in heads:
                cols[key] = heads[_norm_heading(n)]
                scale[key] = 10_000.0 if "万" in n else 1.0
                break
    for need in ("year", "source"):
        if need not in cols:
            raise InputDataError("err.targets.column", f"No {need} column.", column=TARGET_COLUMNS[need][0],
                                 columns=", ".join(map(str, df.columns)))
    authorize(store, user, "targets.edit", target=f"targets from {filename}")
    checked, problems = [], []
    for i, rec in df.iterrows():
        vals = {}
        try:
            for key, col in cols.items():
                if key in ("year", "source"):
                    continue
                v = _target_value(key, None if pd.isna(rec[col]) else rec[col])
                vals[key] = v * scale[key] if (v is not None and key in ("cut_m3", "reclaimed_used_m3")) else v
            checked.append(_checked_targets(rec[cols["year"]], rec[cols["source"]], vals))
        except InputDataError as exc:
            problems.append((int(i) + 2, exc))
    if problems:
        line, exc = problems[0]
        raise InputDataError("err.targets.row", str(exc), row=str(line), count=str(len(problems)),
                             problem=translate_problem(exc))
    years = [y for y, _, _ in checked]
    if len(set(years)) < len(years):
        dup = sorted({y for y in years if years.count(y) > 1})
        raise InputDataError("err.targets.duplicate", f"Years twice: {dup}.", years=", ".join(map(str, dup)))
    from gwmap.county import active

    adcode = active().adcode
    with store.session(user) as s:  # one transaction: every year lands, or none
        return [_store_targets(s, adcode, y, src, given, replace=replace) for y, src, given in checked]


def translate_problem(exc) -> str:  # noqa: ANN001
    """A refusal as Chinese and English text, to nest inside another message."""
    from gwmap.i18n import translate

    return f"{translate(exc.code, 'zh', **exc.params)} / {translate(exc.code, 'en', **exc.params)}"


def targets_template() -> bytes:
    """An Excel sheet with the targets' headings and one example row, for the targets page."""
    import io

    buf = io.BytesIO()
    pd.DataFrame([{TARGET_COLUMNS[k][0]: v for k, v in
                   {"year": 2026, "sealed_wells": 20, "cut_m3": 80, "reclaimed_used_m3": 750, "reclaimed_rate": 0.5,
                    "deep_stopped": "", "cone_area_km2": "", "level_rise_m": 0.2,
                    "source": "××县地下水超采综合治理方案（2026年度任务）"}.items()}]).to_excel(buf, index=False)
    return buf.getvalue()


@dataclass(frozen=True)
class Target:
    """One figure of the plan for one year: the figure then (or now), the goal, and whether it is met.

    ``key`` names the kind (the UI translates ``targets.<key>`` with ``year``); ``goal`` is None for a
    figure shown without a target (level change, deep abstraction left); ``document`` names the plan the
    goal comes from; ``source`` is a small table of the records behind the figure.
    """

    key: str
    year: int
    actual: float
    goal: float | None
    unit: str
    due: str
    met: bool | None
    higher_is_better: bool = True
    document: str = ""
    source: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def share(self) -> float:
        """Progress 0-1 towards the goal (for a goal of zero: 1 when reached)."""
        if self.goal is None or not np.isfinite(self.actual):
            return 0.0
        if not self.higher_is_better:
            return 1.0 if self.met else 0.0
        if self.goal == 0:
            return 1.0 if self.actual >= 0 else 0.0
        return float(max(0.0, min(1.0, self.actual / self.goal)))


@dataclass(frozen=True)
class PlanStatus:
    """The plan as it stands on ``today``: this year's targets, the earlier years', and the figures beside.

    ``this_year`` is empty when no target was entered for ``year`` (the page says so instead of showing
    an earlier year's); ``earlier`` holds each earlier year's targets with their results by that year's end.
    """

    year: int
    this_year: list[Target]
    earlier: dict[int, list[Target]]
    figures: list[Target]

    def __iter__(self):
        return iter(self.this_year + self.figures)


def set_reclaimed(store: Store, user: CurrentUser, *, year: int, use: str, sewage_treated_m3: float,
                  reclaimed_used_m3: float, replace: bool = False) -> None:
    """Enter or correct one year's reclaimed-water figures for one use (admins and hydrologists).

    Figures already entered for that year and use are replaced only with
    ``replace`` (:class:`~gwmap.errors.ConflictError` lists both otherwise).
    """
    from gwmap.errors import InputDataError

    authorize(store, user, "reclaimed.edit", target=f"reclaimed {year} {use}")
    if use not in RECLAIMED_USES:
        raise InputDataError("err.reclaimed.use", f"Unknown use {use!r}.", use=use)
    if sewage_treated_m3 < 0 or reclaimed_used_m3 < 0:
        raise InputDataError("err.reclaimed.negative", "Volumes cannot be negative.")
    with store.session(user) as s:
        row = s.scalar(select(ReclaimedWater).where(ReclaimedWater.year == year, ReclaimedWater.use == use))
        check_overwrite(row, {"sewage_treated_m3": float(sewage_treated_m3), "reclaimed_used_m3": float(reclaimed_used_m3)},
                        replace=replace, key=f"{year} {use}")
        if row is None:
            s.add(ReclaimedWater(year=year, use=use, sewage_treated_m3=sewage_treated_m3,
                                 reclaimed_used_m3=reclaimed_used_m3))
        else:
            row.sewage_treated_m3, row.reclaimed_used_m3 = float(sewage_treated_m3), float(reclaimed_used_m3)


def reclaimed_table(store: Store) -> pd.DataFrame:
    """Per year: sewage treated, reclaimed used (m³), utilisation rate (used / treated)."""
    with store.session() as s:
        rows = s.execute(select(ReclaimedWater.year, ReclaimedWater.use, ReclaimedWater.sewage_treated_m3,
                                ReclaimedWater.reclaimed_used_m3)).all()
    df = pd.DataFrame(rows, columns=["year", "use", "sewage_treated_m3", "reclaimed_used_m3"])
    out = df.groupby("year")[["sewage_treated_m3", "reclaimed_used_m3"]].sum().reset_index()
    out["rate"] = out["reclaimed_used_m3"] / out["sewage_treated_m3"].where(out["sewage_treated_m3"] > 0)
    return out


def reclaimed_figures(store: Store) -> pd.DataFrame:
    """Per year: sewage treated, reclaimed water used, rate, and where they come from (``source``).

    The plants' and users' monthly records where a year has plant records (issue 14); the yearly form's
    figures for years without them.
    """
    from gwmap.reclaimed import utilisation

    form = reclaimed_table(store).assign(source="form")
    rec = utilisation(store, by="year")
    rec = rec[rec["months"] > 0]
    rec = pd.DataFrame({"year": rec["period"].astype(int), "sewage_treated_m3": rec["treated_m3"],
                        "reclaimed_used_m3": rec["used_m3"], "rate": rec["rate"], "source": "records"})
    out = pd.concat([rec, form[~form["year"].isin(rec["year"])]], ignore_index=True)
    return out.sort_values("year").reset_index(drop=True)


def _surveys_until(store: Store, today: date | None):
    """The current surveys measured by ``today`` (all of them when None), oldest first."""
    from gwmap.surveys import list_surveys, survey_date

    s = list_surveys(store)
    if today is None or s.empty:
        return s
    return s[[survey_date(c).date() <= today for c in s["code"]]].reset_index(drop=True)


def level_change(store: Store, *, aquifer: str | None = None, today: date | None = None) -> tuple[float, int, str, str]:
    """Mean change of depth to water, latest survey (by ``today``) against the same season a year before.

    Returns (mean change in m, wells measured in both, earlier code, later code);
    negative means the water table rose.  ``aquifer`` None averages both.
    """
    from gwmap.surveys import change_points

    s = _surveys_until(store, today)
    changes = []
    codes = ("", "")
    for aq in ([aquifer] if aquifer else ["shallow", "deep"]):
        sub = s[s["aquifer"] == aq]
        if sub.empty:
            continue
        last = sub.iloc[-1]
        prev = sub[(sub["season"] == last["season"]) & (sub["year"] == last["year"] - 1)]
        if prev.empty:
            continue
        changes.append(change_points(store, int(prev["id"].iloc[0]), int(last["id"])))
        codes = (prev["code"].iloc[0], last["code"])
    if not changes:
        return float("nan"), 0, *codes
    both = pd.concat(changes)
    return float(both["change_m"].mean()), len(both), *codes


#: Units and direction of each kind of target.
_KIND_UNIT = {"sealed_wells": ("wells", True), "cut_m3": ("m3", True), "reclaimed_used_m3": ("m3", True),
              "reclaimed_rate": ("share", True), "deep_stopped": ("m3", False), "cone_area_km2": ("km2", False),
              "level_rise_m": ("m", True)}


def plan_targets(store: Store, *, today: date | None = None, cone_series: pd.DataFrame | None = None) -> PlanStatus:
    """The county's plan targets (its ``plan_targets`` rows) judged on ``today``, and the figures beside them.

    This year's targets with today's figures; each earlier year's with the figures at that year's end.
    ``cone_series`` (the dashboard's cone by survey: ``year``, ``date``, ``area_km2``) judges cone targets;
    without it a cone target shows no figure.
    """
    today = today or clock.today()
    rows = targets_frame(store)
    rows = rows[rows["year"] <= today.year] if len(rows) else rows
    judged: dict[int, list[Target]] = {}
    memo: dict = {}  # each record read once: several targets of a year judge the same sealings or reclaimed water
    for rec in rows.to_dict("records"):
        year = int(rec["year"])
        end = today if year == today.year else date(year, 12, 31)
        judged[year] = [_judge(store, kind, year, rec[kind], end, rec["source"], cone_series, memo)
                        for kind in TARGET_FIELDS if rec[kind] is not None and not (isinstance(rec[kind], float)
                                                                                    and rec[kind] != rec[kind])]
    this_year = judged.pop(today.year, [])
    figures = []
    deep = _deep_in_use_by_township(store, today)
    if not any(x.key == "deep_stopped" for x in this_year):
        figures.append(Target("deep_remaining", today.year, float(deep["permitted_m3_per_year"].sum()), None, "m3",
                              today.isoformat(), None, higher_is_better=False, source=deep))
    for aq in (None, "shallow", "deep"):  # as the bulletins print it: positive = the water rose
        change, n, before, after = memo.get(("level", today)) if aq is None and ("level", today) in memo else \
            level_change(store, aquifer=aq, today=today)
        rise = -change if np.isfinite(change) else float("nan")
        src = pd.DataFrame({"before": [before], "after": [after], "wells": [n], "mean_rise_m": [rise]})
        figures.append(Target("level_rise" + (f"_{aq}" if aq else ""), today.year, rise, None, "m", after, None,
                              source=src))
    return PlanStatus(today.year, this_year, dict(sorted(judged.items(), reverse=True)), figures)


def _judge(store: Store, kind: str, year: int, goal, end: date, document: str,  # noqa: ANN001
           cone_series: pd.DataFrame | None, memo: dict | None = None) -> Target:
    """One target of ``year`` against the records up to ``end`` (``memo``: answers shared by one judging)."""
    from gwmap.sealing import progress as sealing_progress

    memo = {} if memo is None else memo

    def progress(store: Store, *, as_of: date) -> pd.DataFrame:
        if ("progress", as_of) not in memo:
            memo["progress", as_of] = sealing_progress(store, as_of=as_of)
        return memo["progress", as_of]

    def reclaimed(store: Store) -> pd.DataFrame:
        if "reclaimed" not in memo:
            memo["reclaimed"] = reclaimed_figures(store)
        return memo["reclaimed"]

    unit, higher = _KIND_UNIT[kind]
    due = str(year)
    if kind in ("sealed_wells", "cut_m3"):
        prog = progress(store, as_of=end)
        row = prog[prog["year"] == year]
        actual = float(row["accepted" if kind == "sealed_wells" else "cut_m3"].iloc[0]) if len(row) else 0.0
        src = prog[prog["year"] == year][["year", "target_wells", "accepted", "target_cut_m3", "cut_m3"]]
        return Target(kind, year, actual, float(goal), unit, due, actual >= float(goal), document=document, source=src)
    if kind in ("reclaimed_used_m3", "reclaimed_rate"):
        rw = reclaimed(store)
        row = rw[rw["year"] == year]
        col = "reclaimed_used_m3" if kind == "reclaimed_used_m3" else "rate"
        actual = float(row[col].iloc[0]) if len(row) and pd.notna(row[col].iloc[0]) else float("nan")
        return Target(kind, year, actual, float(goal), unit, due, bool(np.isfinite(actual) and actual >= float(goal)),
                      document=document, source=row)
    if kind == "deep_stopped":
        deep = _deep_in_use_by_township(store, end)
        left = float(deep["permitted_m3_per_year"].sum())
        return Target(kind, year, left, 0.0, unit, f"{year}-12-31", int(deep["wells"].sum()) == 0,
                      higher_is_better=False, document=document, source=deep)
    if kind == "cone_area_km2":
        series = cone_series if cone_series is not None else pd.DataFrame(columns=["year", "date", "area_km2", "code"])
        sub = series[(series["year"] == year) & (pd.to_datetime(series["date"]).dt.date <= end)] if len(series) else series
        actual = float(sub["area_km2"].iloc[-1]) if len(sub) else float("nan")
        return Target(kind, year, actual, float(goal), unit, sub["code"].iloc[-1] if len(sub) else due,
                      bool(np.isfinite(actual) and actual <= float(goal)), higher_is_better=False, document=document,
                      source=sub[["code", "area_km2"]] if len(sub) else pd.DataFrame())
    # level_rise_m: the county's mean rise, the year's latest survey against the same season a year before
    if ("level", end) not in memo:
        memo["level", end] = level_change(store, today=end)
    change, n, before, after = memo["level", end]
    rise = -change if np.isfinite(change) else float("nan")
    src = pd.DataFrame({"before": [before], "after": [after], "wells": [n], "mean_rise_m": [rise]})
    return Target(kind, year, rise, float(goal), unit, after or due, bool(np.isfinite(rise) and rise >= float(goal)),
                  document=document, source=src)


def plan_cut_m3(store: Store, year: int) -> float | None:
    """The abstraction cut the plan sets for ``year`` or, failing that, the latest year before it (m³)."""
    rows = targets_frame(store)
    if rows.empty:
        return None
    rows = rows[(rows["year"] <= year) & rows["cut_m3"].notna()]
    return float(rows["cut_m3"].iloc[-1]) if len(rows) else None


def _deep_in_use_by_township(store: Store, day: date) -> pd.DataFrame:
    """Deep wells in use at the end of ``day``, by township: ``township_code``, ``wells``, ``permitted_m3_per_year``.

    One ``GROUP BY`` in the store (the registry may hold 840,000 wells); the status on ``day``
    corrects today's by the sealing records (a well accepted as sealed after that day was still in use;
    one re-enabled after it was still sealed), with the few wells
    sealed or re-enabled after that day named in the query.
    """
    from sqlalchemy import false, func, select

    from gwmap.store.models import Well
    from gwmap.store.repo import sealings_frame

    seal = sealings_frame(store)
    later_sealed, later_back = set(), set()
    if not seal.empty:
        accepted, reenabled = pd.to_datetime(seal["accepted_on"]), pd.to_datetime(seal["reenabled_on"])
        stamp = pd.Timestamp(day)
        later_sealed = set(seal.loc[accepted.notna() & (accepted > stamp) & reenabled.isna(), "well_code"])
        later_back = set(seal.loc[reenabled.notna() & (reenabled > stamp) & accepted.notna() & (accepted <= stamp),
                                  "well_code"])
    deep = (Well.archived == false(), Well.aquifer == "deep")  # "= 0": SQLite searches ix_wells_aquifer_status
    with store.session() as s:
        # today's deep wells in use, from the covering index; then the few wells whose status on ``day``
        # differs from today's, corrected one by one
        now = pd.DataFrame(s.execute(
            select(Well.township_code, func.count(), func.coalesce(func.sum(Well.permitted_m3_per_year), 0.0))
            .where(*deep, Well.status == "in_use").group_by(Well.township_code)).all(),
            columns=["township_code", "wells", "permitted_m3_per_year"])
        odd = pd.DataFrame(s.execute(
            select(Well.well_code, Well.township_code, Well.status, Well.permitted_m3_per_year)
            .where(*deep, Well.well_code.in_(sorted(later_sealed | later_back)))).all(),
            columns=["well_code", "township_code", "status", "m3"]) if later_sealed | later_back else None
    if odd is not None and len(odd):
        was = [((st_ == "in_use" and code not in later_back) or code in later_sealed)
               for code, st_ in zip(odd["well_code"], odd["status"], strict=True)]
        odd["delta"] = np.array(was, dtype=int) - (odd["status"] == "in_use").astype(int)
        odd["m3"] = odd["m3"].fillna(0.0) * odd["delta"]
        fix = odd.groupby("township_code")[["delta", "m3"]].sum()
        now = now.set_index("township_code").reindex(now["township_code"].tolist()
                                                     + [c for c in fix.index if c not in set(now["township_code"])])
        now = now.fillna(0.0)
        now.loc[fix.index, "wells"] += fix["delta"]
        now.loc[fix.index, "permitted_m3_per_year"] += fix["m3"]
        now = now.reset_index()
        now = now[now["wells"] > 0]
    now["wells"] = now["wells"].astype(int)
    now["permitted_m3_per_year"] = now["permitted_m3_per_year"].astype(float)
    return now.sort_values("township_code").reset_index(drop=True)


def enforcement_glance(store: Store, *, today: date | None = None) -> dict[str, int]:
    """Leads open and overdue at the end of ``today``, and the closures (销号) in its month up to then.

    Counted from the steps' history, so a past day's figures do not change with later work.
    """
    from gwmap.cases import work_ledger

    today = today or clock.today()
    led = work_ledger(store, as_of=today)
    closed = pd.to_datetime(pd.Series(led["closed_on"]), errors="coerce")
    return {
        "open": int((~led["stage"].isin(["closed", "dismissed"])).sum()),
        "overdue": int(led["overdue"].sum()),
        "closed_this_month": int(((closed.dt.year == today.year) & (closed.dt.month == today.month)).sum()),
    }


def township_ranking(store: Store, townships: pd.DataFrame, *, cone_split: pd.DataFrame | None = None,
                     today: date | None = None) -> pd.DataFrame:
    """Per township, in the style of the provincial monthly rankings.

    Columns: ``code``, ``name``, ``level_rise_m`` (shallow, same season a year
    before, at the same wells; positive = the water rose), ``cone_share`` (0-1 of
    the township inside the cone), ``open_cases``, ``overdue_cases``,
    ``sealed``/``sealing_planned``, ``rank`` (1 = best: the largest rise),
    ``mark`` (``best``/``worst``/``""``).
    """
    from gwmap.cases import work_ledger
    from gwmap.store.repo import sealings_frame
    from gwmap.surveys import township_change

    today = today or clock.today()
    out = townships[["code", "name"]].copy().reset_index(drop=True)
    s = _surveys_until(store, today)
    sub = s[s["aquifer"] == "shallow"]
    change = pd.Series(dtype=float)
    if len(sub):
        last = sub.iloc[-1]
        prev = sub[(sub["season"] == last["season"]) & (sub["year"] == last["year"] - 1)]
        if len(prev):
            tc = township_change(store, int(prev["id"].iloc[0]), int(last["id"]))
            change = -tc.set_index("township_code")["mean_change_m"]
    out["level_rise_m"] = out["code"].map(change)
    share = cone_split.set_index("code")["share"] if cone_split is not None and len(cone_split) else pd.Series(dtype=float)
    out["cone_share"] = out["code"].map(share).fillna(0.0)
    led = work_ledger(store, as_of=today)
    open_ = led[~led["stage"].isin(["closed", "dismissed"])].groupby("township_code").size()
    overdue = led[led["overdue"]].groupby("township_code").size()
    out["open_cases"] = out["code"].map(open_).fillna(0).astype(int)
    out["overdue_cases"] = out["code"].map(overdue).fillna(0).astype(int)
    seal = sealings_frame(store)
    seal = seal[seal["plan_year"] <= today.year]
    accepted = pd.to_datetime(seal["accepted_on"])
    seal = seal.assign(stage=np.where((seal["stage"] == "accepted") & accepted.notna() & (accepted > pd.Timestamp(today)),
                                      "works_done", seal["stage"]))
    out["sealing_planned"] = out["code"].map(seal.groupby("township_code").size()).fillna(0).astype(int)
    out["sealed"] = out["code"].map(seal[seal["stage"] == "accepted"].groupby("township_code").size()).fillna(0).astype(int)
    out["rank"] = out["level_rise_m"].rank(method="min", ascending=False).astype("Int64")
    out["mark"] = ""
    if out["level_rise_m"].notna().any():
        out.loc[out["level_rise_m"].idxmax(), "mark"] = "best"
        out.loc[out["level_rise_m"].idxmin(), "mark"] = "worst"
    return out.sort_values(["rank", "code"], na_position="last").reset_index(drop=True)
