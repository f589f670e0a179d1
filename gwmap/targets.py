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
           "set_reclaimed", "reclaimed_table", "reclaimed_figures"]

RECLAIMED_USES = ("industry", "greening", "ecological")


@dataclass(frozen=True)
class Target:
    """One target of the plan: the figure now, the goal, and whether it is met.

    ``key`` names it (the UI translates ``targets.<key>``); ``source`` is a
    small table of the records behind the figure.
    """

    key: str
    actual: float
    goal: float
    unit: str
    due: str
    met: bool
    higher_is_better: bool = True
    source: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def share(self) -> float:
        """Progress 0-1 towards the goal (for a goal of zero: 1 when reached)."""
        if self.goal == 0:
            return 1.0 if self.actual <= 0 else 0.0
        return float(max(0.0, min(1.0, self.actual / self.goal)))


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


#: The plan's cut of groundwater abstraction (压减地下水开采量 115万m³, DOMAIN.md §1).
PLAN_CUT_M3 = 1_150_000.0


def plan_targets(store: Store, *, today: date | None = None) -> list[Target]:
    """The plan's targets with today's figures (DOMAIN.md §1)."""
    from gwmap.sealing import progress

    today = today or clock.today()
    out: list[Target] = []
    prog = progress(store, as_of=today).set_index("year")
    if 2023 in prog.index:
        p = prog.loc[2023]
        src = prog.reset_index()[["year", "target_wells", "accepted", "target_cut_m3", "cut_m3"]]
        out.append(Target("wells_sealed_2023", float(p["accepted"]), float(p["target_wells"]), "wells", "2023",
                          p["accepted"] >= p["target_wells"], source=src))
        out.append(Target("cut_2023", float(p["cut_m3"]), PLAN_CUT_M3, "m3", "2023", p["cut_m3"] >= PLAN_CUT_M3,
                          source=src))
    deep = _deep_in_use_by_township(store, today)
    out.append(Target("deep_remaining", float(deep["permitted_m3_per_year"].sum()), 0.0, "m3", "2024-12-31",
                      int(deep["wells"].sum()) == 0, higher_is_better=False, source=deep))
    rw = reclaimed_figures(store)
    rw = rw[rw["year"] <= today.year]
    if len(rw):
        last = rw.iloc[-1]
        out.append(Target("reclaimed_used", float(last["reclaimed_used_m3"]), 7_000_000.0, "m3",
                          f"{int(last['year'])}", last["reclaimed_used_m3"] >= 7_000_000, source=rw))
        out.append(Target("reclaimed_rate", float(last["rate"]), 0.5, "share", "2025",
                          bool(last["rate"] >= 0.5), source=rw))
    for aq in (None, "shallow", "deep"):
        change, n, before, after = level_change(store, aquifer=aq, today=today)
        key = "level_change" + (f"_{aq}" if aq else "")
        src = pd.DataFrame({"before": [before], "after": [after], "wells": [n], "mean_change_m": [change]})
        out.append(Target(key, change, 0.0, "m", after, bool(np.isfinite(change) and change < 0),
                          higher_is_better=False, source=src))
    return out


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
    from gwmap.cases import ledger

    today = today or clock.today()
    led = ledger(store, as_of=today)
    closed = pd.to_datetime(pd.Series(led["closed_on"]), errors="coerce")
    return {
        "open": int((~led["stage"].isin(["closed", "dismissed"])).sum()),
        "overdue": int(led["overdue"].sum()),
        "closed_this_month": int(((closed.dt.year == today.year) & (closed.dt.month == today.month)).sum()),
    }


def township_ranking(store: Store, townships: pd.DataFrame, *, cone_split: pd.DataFrame | None = None,
                     today: date | None = None) -> pd.DataFrame:
    """Per township, in the style of the provincial monthly rankings.

    Columns: ``code``, ``name``, ``level_change_m`` (shallow, same season a year
    before; negative = rose), ``cone_share`` (0-1 of the township inside the
    cone), ``open_cases``, ``overdue_cases``, ``sealed``/``sealing_planned``,
    ``rank`` (1 = best, by level change), ``mark`` (``best``/``worst``/``""``).
    """
    from gwmap.cases import ledger
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
            change = tc.set_index("township_code")["mean_change_m"]
    out["level_change_m"] = out["code"].map(change)
    share = cone_split.set_index("code")["share"] if cone_split is not None and len(cone_split) else pd.Series(dtype=float)
    out["cone_share"] = out["code"].map(share).fillna(0.0)
    led = ledger(store, as_of=today)
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
    out["rank"] = out["level_change_m"].rank(method="min").astype("Int64")
    out["mark"] = ""
    if out["level_change_m"].notna().any():
        out.loc[out["level_change_m"].idxmin(), "mark"] = "best"
        out.loc[out["level_change_m"].idxmax(), "mark"] = "worst"
    return out.sort_values(["rank", "code"], na_position="last").reset_index(drop=True)
