"""A gauge's monthly rainfall: office files in, the departure and the rain-adjusted change out."""

import io
import json

import numpy as np
import openpyxl
import pandas as pd
import pytest

from gwmap.errors import GwmapError
from gwmap.rainfall import (
    adjusted_change,
    check_rainfall,
    departure,
    import_rainfall,
    rainfall_frame,
    read_rainfall,
)
from gwmap.store.users import system_user

OPERATOR = system_user("test", "test")
CN = "一二三四五六七八九十"


def _yearbook_xlsx() -> bytes:
    """A weather office's yearbook sheet: two title rows, 年份 then 一月…十二月 in 0.1 mm, a 全年 column, a footer."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["某县气象局逐月降水量统计表"])
    ws.append(["单位：0.1毫米", None, None, "填报日期：2026年11月"])
    months = [f"{CN[m - 1] if m <= 10 else '十' + CN[m - 11]}月" for m in range(1, 13)]
    ws.append(["年份", *[f"{h}(0.1mm)" for h in months], "全年"])
    for year in (2021, 2022, 2023):
        ws.append([year, *[(year - 2000) * 10 + m for m in range(1, 13)], None])
    ws.append(["制表人：张三"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_yearbook_sheet_in_tenths_of_a_millimetre_is_read_month_by_month():
    raw = _yearbook_xlsx()
    check = check_rainfall(read_rainfall(raw, "降水.xlsx"), raw=raw)
    assert check.problems == () and len(check.rows) == 36
    got = check.rows.set_index("month")["mm"]
    assert got["2021-01"] == pytest.approx(21.1) and got["2023-12"] == pytest.approx(24.2)  # 0.1 mm read as mm
    assert check.rows.set_index("month").loc["2022-07", "row"] == 5  # the sheet's own row, below two title rows


def test_a_gbk_csv_one_row_a_month_with_the_usual_mistakes_names_each():
    text = ("站名,月份,月降水量（毫米）\n"
            "甲站,2025年7月,183.5\n甲站,2025/8,\"1,260.0\"\n甲站,2025-09,-2\n甲站,2025-10,无\n"
            "甲站,2031-01,5\n甲站,2025年7月,90\n乙站,2025年7月,90\n")
    raw = text.encode("gbk")
    check = check_rainfall(read_rainfall(raw, "rain.csv"), raw=raw)
    codes = sorted((p.row, p.code) for p in check.problems)
    assert codes == [(3, "err.rain.large"), (4, "err.rain.negative"), (5, "err.rain.value"),
                     (6, "err.power.month_range"), (7, "err.rain.duplicate")]
    dup = next(p for p in check.problems if p.code == "err.rain.duplicate")
    assert dup.params["first"] == 2
    assert sorted(zip(check.rows["station"], check.rows["month"])) == [("乙站", "2025-07"), ("甲站", "2025-07")]


def test_a_file_without_a_rainfall_column_says_what_it_needs():
    raw = "日期,温度\n2025-07,30\n".encode()
    with pytest.raises(GwmapError) as exc:
        check_rainfall(read_rainfall(raw, "x.csv"), raw=raw)
    assert exc.value.code == "err.rain.no_column" and "温度" in exc.value.params["found"]


def _months(first_year: int, years: dict[int, float]) -> pd.DataFrame:
    """Every month of ``years`` (year -> the year's total), spread evenly (total / 12 a month)."""
    rows = [{"station": "s", "month": f"{y}-{m:02d}", "mm": total / 12} for y, total in years.items()
            for m in range(1, 13)]
    return pd.DataFrame(rows)


def test_departure_in_cheng_against_the_mean_of_the_same_windows():
    rain = _months(2018, {2018: 600, 2019: 600, 2020: 600, 2021: 600, 2022: 450})
    d = departure(rain, "2022-12")
    mean = (600 * 4 + 450) / 5  # the five calendar years (windows ending in December)
    assert d["mm"] == pytest.approx(450) and d["mean_mm"] == pytest.approx(mean) and d["years"] == 5
    assert d["pct"] == pytest.approx(450 / mean - 1) and d["cheng"] == pytest.approx(10 * (450 / mean - 1))
    assert departure(rain, "2023-12") is None  # its twelve months are not stored


def test_the_rain_part_is_removed_by_a_regression_over_earlier_years():
    totals = {2014 + i: t for i, t in enumerate([500, 650, 420, 700, 560, 610, 480, 540, 720, 590])}
    rain = _months(2014, totals)
    rng = np.random.default_rng(1)
    slope = 0.4  # m of rise per 100 mm of the twelve months before the (spring) round
    hist = pd.DataFrame({"code": [f"{y}-spring" for y in range(2016, 2023)]})
    window = lambda y: (totals[y - 1] * 8 + totals[y] * 4) / 12  # noqa: E731 - May to April (the round's month)
    hist["rise_m"] = [0.1 + slope * (window(y) - 560) / 100 + rng.normal(0, 0.02) for y in range(2016, 2023)]
    e = adjusted_change(hist, rain, round_code="2023-spring", observed_m=0.9)
    assert e.method == "regression" and e.years == 7
    x = np.array([window(y) for y in range(2016, 2023)]) / 100
    b, _a = np.polyfit(x, hist["rise_m"].to_numpy(), 1)
    assert e.slope_m_per_100mm == pytest.approx(b) and b == pytest.approx(slope, abs=0.05)
    d = e.departure
    assert d["mm"] == pytest.approx(window(2023))
    assert e.adjusted_m == pytest.approx(0.9 - b * (d["mm"] - d["mean_mm"]) / 100)
    assert e.adjusted_low_m < e.adjusted_m < e.adjusted_high_m
    short = adjusted_change(hist.head(3), rain, round_code="2023-spring", observed_m=0.9)
    assert short.method == "none" and np.isnan(short.adjusted_m)


def test_an_import_is_audited_and_a_correction_keeps_the_old_figure(demo_store):
    from gwmap.store import repo

    first = check_rainfall(pd.DataFrame({"年月": ["2025-07", "2025-08"], "降水量": ["180", "120"]}))
    assert import_rainfall(demo_store, OPERATOR, first, default_station="测试站") == {
        "added": 2, "updated": 0, "unchanged": 0}
    again = check_rainfall(pd.DataFrame({"年月": ["2025-07", "2025-08"], "降水量": ["181.5", "120"]}))
    assert import_rainfall(demo_store, OPERATOR, again, default_station="测试站") == {
        "added": 0, "updated": 1, "unchanged": 1}
    stored = rainfall_frame(demo_store, "测试站")
    assert stored["mm"].tolist() == [181.5, 120.0]
    history = repo.audit_frame(demo_store, table="rainfall_months")
    update = history[history["action"] == "update"].iloc[0]
    assert json.loads(update["before"])["mm"] == 180.0 and json.loads(update["after"])["mm"] == 181.5
    bad = check_rainfall(pd.DataFrame({"年月": ["2025-09"], "降水量": ["-1"]}))
    with pytest.raises(GwmapError):
        import_rainfall(demo_store, OPERATOR, bad)
    assert len(rainfall_frame(demo_store, "测试站")) == 2  # nothing of the bad file stored
