"""The plan's targets and the township ranking, checked against the store they are computed from."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from gwmap.errors import InputDataError, PermissionDenied
from gwmap.store import repo
from gwmap.store.users import CurrentUser
from gwmap.surveys import change_points, list_surveys
from gwmap.targets import enforcement_glance, level_change, plan_targets, reclaimed_table, set_reclaimed, township_ranking

TODAY = date(2026, 11, 28)


def test_targets_match_the_records(demo_store):
    status = plan_targets(demo_store, today=TODAY)
    seal = repo.sealings_frame(demo_store)
    done_2023 = seal[(seal.plan_year == 2023) & (seal.stage == "accepted") & seal.reenabled_on.isna()]
    y2023 = {x.key: x for x in status.earlier[2023]}  # the plan's 2023 figures, judged at the end of 2023
    assert y2023["sealed_wells"].actual == len(done_2023) == 14 and y2023["sealed_wells"].met
    assert y2023["cut_m3"].actual == done_2023.cut_m3_per_year.sum() == 1_188_000
    assert y2023["cut_m3"].goal == 1_150_000 and y2023["cut_m3"].met
    assert y2023["reclaimed_used_m3"].goal == 7_000_000 and "2023" in y2023["reclaimed_used_m3"].document
    # this year's targets are this year's: 2026's sealing plan, never 2023's figures
    now = {x.key: x for x in status.this_year}
    assert set(now) == {"sealed_wells", "cut_m3"} and now["sealed_wells"].year == 2026
    assert now["sealed_wells"].goal == len(seal[seal.plan_year == 2026])
    assert list(status.earlier) == [2025, 2024, 2023]  # the years before, newest first
    t = {x.key: x for x in status.figures}
    wells = repo.wells_frame(demo_store)
    deep = wells[(wells.aquifer == "deep") & (wells.status == "in_use")]
    assert t["deep_remaining"].actual == pytest.approx(deep.permitted_m3_per_year.sum())
    source = t["deep_remaining"].source  # by township, summed in the store
    assert not t["deep_remaining"].met and source["wells"].sum() == len(deep)
    assert dict(zip(source.township_code, source.wells)) == deep.groupby("township_code").size().to_dict()
    assert t["level_rise_shallow"].actual > 0 and t["level_rise_shallow"].goal is None  # the water table rose
    y2025 = {x.key: x for x in status.earlier[2025]}
    assert y2025["reclaimed_rate"].actual == pytest.approx(6.8 / 13.0, rel=1e-6) and y2025["reclaimed_rate"].met
    assert y2025["level_rise_m"].goal == 0.0


def test_a_year_without_targets_says_so(demo_store):
    status = plan_targets(demo_store, today=date(2027, 2, 1))  # nothing entered for 2027 yet
    assert status.this_year == [] and status.year == 2027 and 2026 in status.earlier
    assert [x.key for x in status.figures][:1] == ["deep_remaining"]


def test_targets_are_checked_audited_and_kept_per_year(demo_store):
    from sqlalchemy import select

    from gwmap.errors import ConflictError
    from gwmap.store.models import AuditEvent
    from gwmap.targets import set_targets, targets_frame

    hydro = CurrentUser("hydro", "hydrologist")
    for bad, code in (({"sealed_wells": -1}, "err.targets.value"), ({"reclaimed_rate": 50}, "err.targets.rate"),
                      ({"cut_m3": float("nan")}, "err.targets.value"), ({}, "err.targets.none")):
        with pytest.raises(InputDataError) as err:
            set_targets(demo_store, hydro, year=2027, source="某方案", **bad)
        assert err.value.code == code
    with pytest.raises(InputDataError) as err:
        set_targets(demo_store, hydro, year=2027, sealed_wells=3, source="  ")
    assert err.value.code == "err.targets.source"
    assert 2027 not in set(targets_frame(demo_store)["year"])
    set_targets(demo_store, hydro, year=2027, sealed_wells=30, cut_m3=800_000, source="2027年度计划")
    with pytest.raises(ConflictError):  # a second entry does not silently replace the first
        set_targets(demo_store, hydro, year=2027, sealed_wells=10, source="2027年度计划")
    set_targets(demo_store, hydro, year=2027, reclaimed_rate="55%", source="2027年度计划")  # another figure: added
    row = targets_frame(demo_store).set_index("year").loc[2027]
    with demo_store.session() as s:
        from gwmap.store.models import PlanTarget

        row_id = s.scalar(select(PlanTarget.id).where(PlanTarget.year == 2027))
    assert (row.sealed_wells, row.cut_m3, row.reclaimed_rate) == (30, 800_000, 0.55)
    with demo_store.session() as s:
        actors = s.scalars(select(AuditEvent.actor).where(AuditEvent.table_name == "plan_targets",
                                                          AuditEvent.record_id == str(row_id))).all()
    assert actors == ["hydro", "hydro"]  # the entry and the added rate, each in the trail
    with pytest.raises(PermissionDenied):
        set_targets(demo_store, CurrentUser("boss", "leader"), year=2027, sealed_wells=1, source="x")


def test_level_change_uses_wells_measured_in_both(demo_store):
    s = list_surveys(demo_store)
    a = s[(s.code == "2025-autumn") & (s.aquifer == "shallow")].id.iloc[0]
    b = s[(s.code == "2026-autumn") & (s.aquifer == "shallow")].id.iloc[0]
    ch = change_points(demo_store, a, b)
    mean, n, before, after = level_change(demo_store, aquifer="shallow")
    assert (before, after, n) == ("2025-autumn", "2026-autumn", len(ch)) and mean == pytest.approx(ch.change_m.mean())


def test_reclaimed_form_is_checked_and_audited(demo_store):
    from gwmap.errors import ConflictError

    hydro = CurrentUser("hydro", "hydrologist")
    before = reclaimed_table(demo_store).set_index("year").loc[2026]
    with pytest.raises(ConflictError) as err:  # 2026 has figures: a second entry does not silently replace them
        set_reclaimed(demo_store, hydro, year=2026, use="industry", sewage_treated_m3=8e6, reclaimed_used_m3=5e6)
    assert [c[0] for c in err.value.conflicts] == ["sewage_treated_m3", "reclaimed_used_m3"]
    assert reclaimed_table(demo_store).set_index("year").loc[2026].reclaimed_used_m3 == before.reclaimed_used_m3
    set_reclaimed(demo_store, hydro, year=2026, use="industry", sewage_treated_m3=8e6, reclaimed_used_m3=5e6,
                  replace=True)
    row = reclaimed_table(demo_store).set_index("year").loc[2026]
    assert row.reclaimed_used_m3 == pytest.approx(5e6 + 7.3e6 * 0.45, rel=1e-6)
    with pytest.raises(InputDataError):
        set_reclaimed(demo_store, hydro, year=2026, use="industry", sewage_treated_m3=-1, reclaimed_used_m3=0)
    with pytest.raises(PermissionDenied):
        set_reclaimed(demo_store, CurrentUser("boss", "leader"), year=2026, use="industry", sewage_treated_m3=1,
                      reclaimed_used_m3=1)


def test_enforcement_glance(demo_store):
    g = enforcement_glance(demo_store, today=TODAY)
    leads = repo.leads_frame(demo_store)
    # counted from the steps' history as of the demo's day, it agrees with the stages the leads hold now
    late = (leads.stage == "rectifying") & (pd.to_datetime(leads.rectify_deadline) < pd.Timestamp(TODAY))
    assert g["overdue"] == int(late.sum()) == 7
    assert g["open"] == int((~leads.stage.isin(["closed", "dismissed"])).sum())


def test_ranking_marks_best_and_worst(demo_store):
    _, tw, _ = repo.current_boundaries(demo_store)
    r = township_ranking(demo_store, tw, today=TODAY)
    assert len(r) == 18 and r.open_cases.sum() == enforcement_glance(demo_store, today=TODAY)["open"]
    assert (r.mark == "best").sum() == 1 and (r.mark == "worst").sum() == 1
    best = r[r.mark == "best"].iloc[0]
    assert best.level_rise_m == np.nanmax(r.level_rise_m) and best["rank"] == 1  # the largest rise
    assert r[r.mark == "worst"].iloc[0].level_rise_m == np.nanmin(r.level_rise_m)
    # one figure per question: the ranking's rise is the year-on-year change the dashboard shows above it
    from gwmap.levels import year_on_year

    yoy = year_on_year(demo_store, "2026-autumn", townships=tw).townships.set_index("township_code")["mean_change_m"]
    assert r.set_index("code")["level_rise_m"].dropna().to_dict() == pytest.approx(yoy.dropna().to_dict())
    assert r.sealed.sum() == (repo.sealings_frame(demo_store).stage == "accepted").sum()


def test_deep_wells_in_use_on_a_past_day_count_those_sealed_later(demo_store):
    """The store's count as of a day agrees with the records read by hand: sealed later = still in use then."""
    from gwmap.targets import _deep_in_use_by_township

    day = date(2023, 1, 1)
    wells = repo.wells_frame(demo_store)
    seal = repo.sealings_frame(demo_store)
    accepted = pd.to_datetime(seal["accepted_on"])
    sealed_later = set(seal.loc[accepted.notna() & (accepted > pd.Timestamp(day)), "well_code"])
    then = wells[(wells.aquifer == "deep") & ((wells.status == "in_use") | wells.well_code.isin(sealed_later))]
    got = _deep_in_use_by_township(demo_store, day)
    assert got["wells"].sum() == len(then)
    assert got["permitted_m3_per_year"].sum() == pytest.approx(then["permitted_m3_per_year"].sum())
    now = _deep_in_use_by_township(demo_store, TODAY)
    assert got["wells"].sum() > now["wells"].sum()  # deep wells were sealed since 2023
