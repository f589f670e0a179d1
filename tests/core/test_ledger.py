"""The abstraction ledger (issue 13): coefficients from physics and calibration, sources stated, totals."""

import json
import subprocess
import sys

import pytest
from sqlalchemy import select

from gwmap import abstraction, ledger
from gwmap.abstraction import import_upload, latest_power, read_upload
from gwmap.config import PROJECT_ROOT
from gwmap.store import Store, repo
from gwmap.store.users import system_user

HYDRO = system_user("hydro")
MONTHS = ["2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08"]


def test_the_coefficient_is_the_physics_of_lifting_water():
    # 1 kWh = 3.6 MJ lifts 367.1 m³ by one metre; at 45% and 20 m: 8.26 m³
    assert ledger.LIFT_PER_KWH == pytest.approx(367.1, abs=0.05)
    assert ledger.coefficient(0.45, 20.0) == pytest.approx(8.26, abs=0.005)
    # water 2 m nearer the surface: the same kWh lifts more water
    assert ledger.coefficient(0.45, 18.0) / ledger.coefficient(0.45, 20.0) == pytest.approx(20 / 18)


@pytest.fixture
def two_wells(demo_db_path):
    """Two electricity wells of one township and aquifer; A has a water meter too (its calibration)."""
    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    wells = repo.wells_frame(store)
    elec = wells[(wells.metering == "electricity") & (wells.power_meter_no != "") & (wells.status == "in_use")]
    metered_already = set(abstraction.kept_readings(store)["well_code"])  # the demo's own calibration wells
    groups = [g for _, g in elec.groupby(["township_code", "aquifer"])
              if len(g) >= 2 and not set(g.well_code) & metered_already]
    a, b = groups[0].iloc[:2].itertuples()
    kwh_a, kwh_b = [1000, 1200, 900, 600, 200, 100], [500, 700, 800, 300, 100, 50]
    power = "电表号,年月,用电量kWh\n" + "".join(
        f"{w.power_meter_no},{m},{k}\n" for w, ks in ((a, kwh_a), (b, kwh_b)) for m, k in zip(MONTHS, ks, strict=True))
    # A's meter read at each month's end: exactly 8.0 m³ per kWh
    total, lines = 10_000.0, [f"{a.well_code},2025-02-28,10000\n"]
    ends = ["2025-03-31", "2025-04-30", "2025-05-31", "2025-06-30", "2025-07-31", "2025-08-31"]
    for end, k in zip(ends, kwh_a, strict=True):
        total += 8.0 * k
        lines.append(f"{a.well_code},{end},{total}\n")
    meters = "机井编号,抄表日期,读数m3\n" + "".join(lines)
    for kind, text, name in (("power", power, "power.csv"), ("meter", meters, "meters.csv")):
        raw = text.encode("gbk")
        check = read_upload(store, raw, name, kind=kind)
        assert check.problems == ()
        import_upload(store, HYDRO, check, source_name=name, raw=raw, uploads_dir=demo_db_path / "uploads")
    return store, a, b, kwh_a, kwh_b


def test_a_calibrated_well_lends_its_efficiency_scaled_by_the_neighbours_lift(two_wells):
    store, a, b, _, _ = two_wells
    wells = repo.wells_frame(store)
    coef = ledger.coefficients(store, wells, latest_power(store)).set_index("well_code")
    assert coef.at[a.well_code, "source"] == "calibrated"
    assert coef.at[a.well_code, "coefficient"] == pytest.approx(8.0, rel=1e-9)
    assert coef.at[b.well_code, "source"] == "township"
    # the same pump-set efficiency, B's own lift: c_B = 8.0 · H_A / H_B
    assert coef.at[b.well_code, "coefficient"] == pytest.approx(
        8.0 * coef.at[a.well_code, "lift_m"] / coef.at[b.well_code, "lift_m"], rel=1e-9)
    assert coef.at[a.well_code, "efficiency"] == pytest.approx(8.0 * coef.at[a.well_code, "lift_m"] / 367.1, rel=1e-3)
    # the lift is the depth to water and 8 m more (drawdown, pipes, discharge: the README's figure, written here)
    assert (coef["lift_m"] == coef["depth_m"] + 8.0).all()


def test_the_ledger_states_each_figure_s_source_and_the_year_adds_up(two_wells):
    store, a, b, kwh_a, kwh_b = two_wells
    led = ledger.monthly_ledger(store, 2025)
    row_a = led[(led.well_code == a.well_code) & (led.month == "2025-04")].iloc[0]
    assert row_a.source == "metered" and row_a.m3 == pytest.approx(8.0 * 1200)
    row_b = led[(led.well_code == b.well_code) & (led.month == "2025-04")].iloc[0]
    assert row_b.source == "electricity" and row_b.kwh == 700 and row_b.m3 == pytest.approx(700 * row_b.coefficient)
    # a month with neither reading nor kWh is a twelfth of the permit, and says so
    quota = led[led.source == "quota"]
    assert len(quota) > 1000
    assert quota["m3"].to_numpy() == pytest.approx((quota["permitted_m3_per_year"] / 12).to_numpy())
    # B's months without a kWh record are estimated by quota, and say so
    assert set(led[led.well_code == b.well_code].source) == {"electricity", "quota"}
    summary = ledger.year_summary(store, 2025)
    assert summary["total_m3"] == pytest.approx(led["m3"].sum(), abs=0.1)
    assert summary["total_m3"] == pytest.approx(sum(summary["by_source"].values()), abs=1)
    assert sum(t["m3"] for t in summary["townships"]) == pytest.approx(summary["total_m3"], abs=1)
    a_months = led[(led.well_code == a.well_code) & led.month.isin(MONTHS[1:])]
    assert a_months["m3"].sum() == pytest.approx(8.0 * sum(kwh_a[1:]), abs=0.5)


def test_the_command_line_prints_the_year(two_wells, demo_db_path):
    env = {"GWMAP_DATA_DIR": str(demo_db_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "gwmap", "abstraction", "--year", "2025", "--json"], cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert set(out) >= {"total_m3", "townships", "by_source"} and set(out["by_source"]) == set(ledger.SOURCES)
    assert {"code", "name", "m3"} <= set(out["townships"][0])
    bad = subprocess.run([sys.executable, "-m", "gwmap", "abstraction", "--year", "99999"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    # against a baseline, with the Excel 台账 written
    xlsx = demo_db_path / "台账.xlsx"
    run = subprocess.run([sys.executable, "-m", "gwmap", "abstraction", "--year", "2025", "--baseline", "2024",
                          "--out", str(xlsx), "--json"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    both = json.loads(run.stdout)
    base = ledger.year_summary(Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}"), 2024)["total_m3"]
    assert both["baseline"]["m3"] == pytest.approx(base, abs=0.1)
    assert both["baseline"]["cut_m3"] == pytest.approx(base - both["total_m3"], abs=0.2)
    assert both["baseline"]["met"] == (both["baseline"]["cut_m3"] >= 1_150_000)
    import openpyxl

    assert openpyxl.load_workbook(xlsx).sheetnames == ["汇总", "按井", "按乡镇", "按月"]
    bad = subprocess.run([sys.executable, "-m", "gwmap", "abstraction", "--year", "2025", "--baseline", "1"],
                         cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_demo_records_recover_the_pump_sets_physics(demo_db_path):
    """The demo's planted truth: calibrated coefficients within the physics' range (η 0.25–0.65 at their lifts)."""
    from gwmap.demo import DEMO_LOADER
    from gwmap.demo_power import PLANTED, add_demo_power

    store = Store(f"sqlite:///{demo_db_path / 'gwmap.sqlite'}")
    made = add_demo_power(store, DEMO_LOADER)  # what init --demo adds
    assert made["calibrated_wells"] == 40
    assert len(latest_power(store)) > 50_000
    wells = repo.wells_frame(store)
    coef = ledger.coefficients(store, wells, latest_power(store))
    cal = coef[coef.source == "calibrated"]
    assert len(cal) == 40 and cal["efficiency"].between(0.2, 0.7).all()
    assert set(coef.source) <= {"calibrated", "township", "aquifer", "default"}
    assert {"over_permit", "expired_permit", "power_without_well", "unknown_meter"} <= set(PLANTED)


def test_screening_finds_every_planted_case_of_the_demo(power_db_path):
    """The demo plants one case of each reason; the screening names each, with its figures and data rows."""
    from gwmap.demo_power import PLANTED
    from gwmap.screening import screen

    store = Store(f"sqlite:///{power_db_path / 'gwmap.sqlite'}")  # the demo with what init --demo adds
    found = screen(store, year=2025)
    by_reason = {}
    for f in found:
        by_reason.setdefault(f["reason"], []).append(f)
    assert PLANTED["over_permit"] in {f["well_code"] for f in by_reason["over_permit"]}
    over = next(f for f in by_reason["over_permit"] if f["well_code"] == PLANTED["over_permit"])
    assert over["figures"]["share"] > 1.1 and over["figures"]["sources"] == ["electricity"]
    assert PLANTED["unknown_meter"] in {f["meter_no"] for f in by_reason["unknown_meter"]}
    assert PLANTED["power_without_well"] in {f["account"] for f in by_reason["power_without_well"]}
    far = next(f for f in by_reason["power_without_well"] if f["account"] == PLANTED["power_without_well"])
    assert far["figures"]["nearest_well_m"] > 200 and far["rows"] and far["rows"][0]["upload_id"] >= 1
    assert PLANTED["expired_permit"] in {f["well_code"] for f in by_reason["expired_permit"]}
    # the one sealed well whose meter still draws, and none of the ten others sealed that year or before
    assert [f["well_code"] for f in by_reason["power_after_sealing"]] == [PLANTED["power_after_sealing"]]
    for year in (2024, 2026):
        assert [f["well_code"] for f in screen(store, year=year) if f["reason"] == "power_after_sealing"] in (
            [PLANTED["power_after_sealing"]], [])
    # the monitoring well planted in the demo's surveys (its level falls while its neighbours recover)
    from gwmap.demo import PLANTED_LEVEL_ANOMALY

    assert [f["mw_code"] for f in by_reason["level_anomaly"]] == [PLANTED_LEVEL_ANOMALY]
    # nothing in the registry of leads changed: suggestions are a queue, not leads
    assert len(repo.leads_frame(store)) == 60
    # an honest well is not suggested: most electricity wells draw within their permit
    assert len(by_reason["over_permit"]) < 50


def test_the_year_ledger_by_well_adds_up_and_its_excel_says_the_same(power_db_path):
    """Per well: the year's m³ is the sum of its months and sources; the 台账 Excel holds the same figures."""
    import io

    import openpyxl

    from gwmap.i18n import translator

    store = Store(f"sqlite:///{power_db_path / 'gwmap.sqlite'}")
    led = ledger.year_ledger(store, 2025)
    w = led.wells.set_index("well_code")
    assert w["m3"].sum() == pytest.approx(led.total_m3, rel=1e-9)
    assert (w["m3"] - w[["m3_metered", "m3_electricity", "m3_quota"]].sum(axis=1)).abs().max() < 1e-6
    per_month = led.monthly.groupby("well_code")["m3"].sum()
    assert (w.loc[per_month.index, "m3"] - per_month).abs().max() < 1e-6
    # an electricity well: kWh × coefficient; its lift is the depth plus the extra lift; the source named
    e = w[(w["m3_electricity"] > 0) & (w["m3_metered"] == 0) & (w["m3_quota"] == 0)].iloc[0]
    assert e["m3"] == pytest.approx(e["kwh"] * e["coefficient"], rel=1e-9)
    assert e["lift_m"] == pytest.approx(max(e["depth_m"], 0) + 8.0)  # depth and 8 m (see above)
    assert e["coef_source"] in ("calibrated", "township", "aquifer", "default")
    permitted = w[w["permitted_m3_per_year"] > 0]
    assert (permitted["share"] - permitted["m3"] / permitted["permitted_m3_per_year"]).abs().max() < 1e-9
    assert led.townships["m3"].sum() == pytest.approx(led.total_m3, rel=1e-9)
    # against a baseline: the cut and the plan's target
    base = ledger.year_ledger(store, 2022)
    from gwmap.store.models import PlanTarget

    with store.session() as s:  # the plan's cut: the ledger year's target, or the latest year's before it
        goal = s.scalars(select(PlanTarget.cut_m3).where(PlanTarget.year <= led.year, PlanTarget.cut_m3.is_not(None))
                         .order_by(PlanTarget.year.desc())).first()
    cmp_ = ledger.against_baseline(led, base, target_cut_m3=goal)
    assert cmp_["cut_m3"] == pytest.approx(base.total_m3 - led.total_m3, abs=0.1)
    assert cmp_["target_cut_m3"] == goal and cmp_["met"] == (cmp_["cut_m3"] >= goal)
    assert ledger.against_baseline(led, base, target_cut_m3=None)["met"] is None  # no target: no verdict
    # the Excel
    wb = openpyxl.load_workbook(io.BytesIO(ledger.year_ledger_xlsx(led, tr=translator("zh"), names={}, baseline=cmp_)))
    assert wb.sheetnames == ["汇总", "按井", "按乡镇", "按月"]
    summary = {r[0]: r[1] for r in wb["汇总"].iter_rows(values_only=True) if r and r[0]}
    assert summary["年取水量"] == pytest.approx(led.total_m3, abs=0.1)
    assert summary["比基准年压减"] == pytest.approx(cmp_["cut_m3"], abs=0.1)
    rows = list(wb["按井"].iter_rows(values_only=True))
    head = rows[0]
    assert head[:2] == ("机井编号", "乡镇") and len(rows) - 1 == len(led.wells)
    by_code = {r[0]: r for r in rows[1:]}
    got = by_code[e.name]
    assert got[head.index("取水量 m³")] == pytest.approx(e["m3"], abs=0.1)
    assert got[head.index("折算系数 m³/kWh")] == pytest.approx(e["coefficient"], abs=0.001)
    assert got[head.index("提水扬程 m")] == pytest.approx(e["lift_m"], abs=0.001)
    months = list(wb["按月"].iter_rows(values_only=True))
    assert months[0][2:] == tuple(f"2025-{k:02d}" for k in range(1, 13))
    assert len(months) - 1 == led.monthly["well_code"].nunique()
    assert sum(v or 0 for r in months[1:] for v in r[2:]) == pytest.approx(led.total_m3, rel=1e-6)
    e_row = next(r for r in months[1:] if r[0] == e.name)
    assert sum(v or 0 for v in e_row[2:]) == pytest.approx(e["m3"], abs=1.3) and e_row[1] == "以电折水"
