"""Station series at any frequency (loggers, monthly readings) and the quarter on a year before (超采区水位变化)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import text

from gwmap.errors import InputDataError
from gwmap.levels import parse_quarter, quarter_means, quarter_on_year
from gwmap.store import repo
from gwmap.store.users import system_user
from gwmap.surveys import SurveyMapping, check_survey, import_series, read_survey, station_days

OPERATOR = system_user("test", "test")


def _logger_csv(codes: list[str]) -> bytes:
    """A logger's export as a vendor writes it: GBK, 测站编码 / 采集时间 / 水位埋深(cm), every six hours."""
    lines = ["测站编码,采集时间,水位埋深(cm)"]
    for code in codes:
        for day in range(1, 4):
            for hour in (0, 6, 12, 18):
                lines.append(f"{code},2026-11-{day:02d} {hour:02d}:00:00,{1200 + 10 * day + hour}")
    lines.append(lines[1])  # the vendor's export repeats its first row
    lines.append(f"{codes[0]},2026-11-04 00:00:00,12a0")
    return "\n".join(lines).encode("gbk")


def _mapping() -> SurveyMapping:
    return SurveyMapping(well="测站编码", date="采集时间", value="水位埋深(cm)", value_kind="depth", unit="cm",
                         aquifer="shallow")


def test_a_logger_file_becomes_daily_means_and_names_what_is_wrong(demo_store, tmp_path):
    codes = list(repo.monitoring_wells_frame(demo_store).query("aquifer == 'shallow'")["mw_code"][:2])
    raw = _logger_csv(codes)
    check = check_survey(read_survey(raw, "logger.csv"), _mapping(), wells=repo.monitoring_wells_frame(demo_store),
                         raw=raw, series=True)
    codes_found = sorted((p.row, p.code) for p in check.problems)
    assert codes_found == [(26, "err.survey.duplicate"), (27, "err.survey.not_number")]  # no "twice a round" flags
    fixed = raw.replace(f"\n{codes[0]},2026-11-04 00:00:00,12a0".encode("gbk"), b"")
    fixed = fixed[: fixed.rfind(b"\n")]  # the repeated row taken out too
    check = check_survey(read_survey(fixed, "logger.csv"), _mapping(), wells=repo.monitoring_wells_frame(demo_store),
                         raw=fixed, series=True)
    assert check.clean and len(check.rows) == 24
    done = import_series(demo_store, OPERATOR, check, source_name="logger.csv", raw=fixed, uploads_dir=tmp_path)
    assert done == {"added": 6, "updated": 0, "unchanged": 0, "wells": 2, "readings": 24}
    days = station_days(demo_store).query("day >= @pd.Timestamp('2026-11-01').date()")
    day1 = days[(days["mw_code"] == codes[0]) & (days["day"].astype(str) == "2026-11-01")].iloc[0]
    assert day1["depth_to_water_m"] == pytest.approx(np.mean([12.10, 12.16, 12.22, 12.28]))  # cm read as m
    assert day1["readings"] == 4
    again = check_survey(read_survey(fixed.replace(b",1210", b",1250"), "logger.csv"), _mapping(),
                         wells=repo.monitoring_wells_frame(demo_store), raw=fixed + b" ", series=True)
    assert import_series(demo_store, OPERATOR, again, source_name="logger2.csv", raw=fixed + b" ",
                         uploads_dir=tmp_path)["updated"] == 2  # 1 November of both wells, audited
    audit = repo.audit_frame(demo_store, table="station_days")
    assert (audit["action"] == "update").sum() == 2


def test_a_quarter_has_a_mean_only_when_every_month_has_a_reading():
    days = pd.DataFrame({"mw_code": ["A"] * 4 + ["B"] * 2,
                         "day": pd.to_datetime(["2026-01-05", "2026-01-25", "2026-02-10", "2026-03-03",
                                                "2026-01-05", "2026-03-03"]).date,
                         "depth_to_water_m": [10.0, 12.0, 13.0, 16.0, 5.0, 6.0]})
    q = quarter_means(days)
    assert q.to_dict("records") == [{"mw_code": "A", "quarter": "2026Q1", "depth_m": pytest.approx((11 + 13 + 16) / 3)}]


def test_the_quarter_on_a_year_before_is_what_the_loggers_say(demo_store):
    with demo_store.engine.connect() as c:
        rows = pd.DataFrame(c.execute(text(
            "SELECT w.mw_code, strftime('%Y-%m', d.day) AS month, AVG(d.depth_to_water_m) AS depth "
            "FROM station_days d JOIN monitoring_wells w ON w.id = d.monitoring_well_id "
            "WHERE w.aquifer = 'shallow' AND d.day BETWEEN :a AND :b GROUP BY 1, 2"),
            {"a": "2025-07-01", "b": "2026-09-30"}).mappings().all())
    assert len(rows)
    by = rows.assign(q=np.where(rows["month"] < "2026", "before", "now"))
    by = by[by["month"].isin(["2025-07", "2025-08", "2025-09", "2026-07", "2026-08", "2026-09"])]
    means = by.groupby(["mw_code", "q"])["depth"].mean().unstack()
    rise = (means["before"] - means["now"]).dropna()
    lc = quarter_on_year(demo_store, "2026年第三季度")
    assert (lc.round, lc.compare) == ("2026Q3", "2025Q3")
    assert lc.county["wells"] == len(rise) and lc.county["mean_change_m"] == pytest.approx(rise.mean())
    assert lc.county["rising"] == int((rise > 0.5).sum()) and lc.county["falling"] == int((rise < -0.5).sum())
    assert sum(lc.county[f"share_{c}"] for c in ("rising", "stable", "falling")) == pytest.approx(1.0)


def test_a_quarter_written_wrong_or_without_a_series_is_refused(demo_store):
    with pytest.raises(InputDataError) as exc:
        parse_quarter("2026年第五季度")
    assert exc.value.code == "err.levels.quarter"
    with pytest.raises(InputDataError) as exc:
        quarter_on_year(demo_store, aquifer="deep")  # the demo's loggers are all shallow
    assert exc.value.code == "err.levels.no_series"


def test_the_command_line_prints_the_quarter_as_json(demo_db_path):
    from tests.conftest import cli

    out = cli(["levels", "--quarter", "--json"], demo_db_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["round"] > got["compare"] and got["round"].endswith(got["compare"][4:])
    assert got["wells"] == got["rising"] + got["stable"] + got["falling"]


def test_the_command_line_imports_a_monthly_series(demo_db_path, tmp_path):
    from tests.conftest import cli

    codes = list(repo.monitoring_wells_frame(_store(demo_db_path)).query("aquifer == 'deep'")["mw_code"][:3])
    lines = ["井编号,测量日期,埋深(m)"] + [f"{c},2025-{m:02d}-15,{30 + m / 10:.1f}" for c in codes for m in range(1, 13)]
    path = tmp_path / "逐月观测.csv"
    path.write_bytes("\n".join(lines).encode("gbk"))
    out = cli(["import-survey", str(path), "--aquifer", "deep", "--series", "--json"], demo_db_path)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    assert got["stored"]["added"] == 36 and got["wells"] == 3 and (got["first"], got["last"]) == ("2025-01-15",
                                                                                                  "2025-12-15")
    days = station_days(_store(demo_db_path), "deep")
    assert len(days) == 36 and days["depth_to_water_m"].max() == pytest.approx(31.2)


def _store(path):
    from gwmap.store import Store

    return Store(f"sqlite:///{path / 'gwmap.sqlite'}")
