"""Survey upload: every problem at once, one transaction, versions, trends, change by township."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from gwmap.errors import InputDataError, PermissionDenied
from gwmap.io.tables import read_table
from gwmap.store import repo
from gwmap.store.users import CurrentUser
from gwmap.surveys import (
    SurveyMapping,
    check_survey,
    guess_mapping,
    import_survey,
    list_surveys,
    mann_kendall,
    survey_points,
    template_xlsx,
    township_change,
    well_series,
)
from tests.conftest import DATA

HYDRO = CurrentUser("hydro", "hydrologist")
GOOD = DATA / "wells" / "survey_2026_autumn.csv"
BROKEN = DATA / "wells" / "survey_2026_autumn_broken.csv"
TODAY = date(2026, 11, 28)


def _mapping(df, **kw):
    g = guess_mapping(list(df.columns))
    return SurveyMapping(well=g["well"], date=g["date"], value=g["value"], value_kind="depth",
                         aquifer_column=g["aquifer"], lon=g["lon"], lat=g["lat"], **kw)


def _check(store, path, **kw):
    raw = path.read_bytes()
    df, _ = read_table(raw, path.name)
    _, _, outline = repo.current_boundaries(store)
    hist = pd.concat([survey_points(store, i) for i in list_surveys(store).query("year < 2026").id])
    return check_survey(df, _mapping(df, **kw), wells=repo.monitoring_wells_frame(store), outline=outline,
                        history=hist, raw=raw, today=TODAY), raw


def test_the_good_file_is_clean(demo_store):
    check, _ = _check(demo_store, GOOD)
    assert check.clean and len(check.rows) == check.n_input
    assert set(check.rows.aquifer) == {"shallow", "deep"}
    assert check.new_wells.empty


def test_the_broken_file_shows_every_problem_at_once(demo_store):
    check, _ = _check(demo_store, BROKEN)
    found = {(p.row, p.code) for p in check.problems}
    n = check.n_input
    assert {(5, "err.survey.not_number"), (9, "err.survey.not_number"), (13, "err.survey.date_range"),
            (17, "err.survey.impossible"), (21, "err.survey.unknown_well"), (n, "err.survey.duplicate"),
            (n + 1, "err.survey.outside")} <= found
    assert (25, "warn.survey.neighbours") in found and (25, "warn.survey.history") in found
    assert len(check.errors) == 7
    dup = next(p for p in check.problems if p.code == "err.survey.duplicate")
    assert dup.params["first"] == 32 and dup.value == "JC051"
    assert next(p for p in check.problems if p.row == 9).value == "9,8O"
    # the GBK file's Chinese headers were read right
    assert check.mapping.well == "井编号" and check.mapping.value == "埋深(m)"


def test_a_file_with_errors_is_refused_and_nothing_changes(demo_store, tmp_path):
    check, raw = _check(demo_store, BROKEN)
    before = list_surveys(demo_store)
    with pytest.raises(InputDataError) as err:
        import_survey(demo_store, HYDRO, check, year=2026, season="autumn", source_name=BROKEN.name, raw=raw,
                      uploads_dir=tmp_path / "up")
    assert err.value.code == "err.survey.has_errors" and err.value.params["count"] == 7
    pd.testing.assert_frame_equal(list_surveys(demo_store), before)
    assert not (tmp_path / "up").exists()


def test_import_makes_a_new_version_and_keeps_the_original(demo_store, tmp_path):
    check, raw = _check(demo_store, GOOD)
    ids = import_survey(demo_store, HYDRO, check, year=2026, season="autumn", source_name=GOOD.name, raw=raw,
                        uploads_dir=tmp_path / "up")
    cur = list_surveys(demo_store).set_index("id")
    assert len(ids) == 2 and set(cur.loc[ids, "version"]) == {2}
    assert cur.loc[ids, "readings"].sum() == check.n_input
    assert len(cur) == 32  # the old 2026-autumn versions are superseded, not deleted
    kept = list((tmp_path / "up").iterdir())
    assert len(kept) == 1 and kept[0].read_bytes() == raw and kept[0].name == f"{check.sha256}.csv"
    audit = repo.audit_frame(demo_store, limit=2000)
    assert ((audit.table_name == "surveys") & (audit.action == "update") & (audit.actor == "hydro")).sum() == 2


def test_new_wells_with_coordinates_can_be_added(demo_store, tmp_path):
    df = pd.DataFrame({"井编号": ["JC300", "JC001"], "测量日期": ["2026-10-03", "2026-10-03"], "埋深(m)": ["8.1", "7.0"],
                       "经度": ["115.45", ""], "纬度": ["36.55", ""]})
    mw = repo.monitoring_wells_frame(demo_store)
    check = check_survey(df, SurveyMapping(well="井编号", date="测量日期", value="埋深(m)", value_kind="depth",
                                           lon="经度", lat="纬度"), wells=mw, today=TODAY)
    assert check.clean and list(check.new_wells.mw_code) == ["JC300"]
    with pytest.raises(InputDataError) as err:
        import_survey(demo_store, HYDRO, check, year=2026, season="autumn", source_name="x.csv", raw=b"x",
                      uploads_dir=tmp_path / "up")
    assert err.value.code == "err.survey.new_wells"
    import_survey(demo_store, HYDRO, check, year=2026, season="autumn", source_name="x.csv", raw=b"x",
                  uploads_dir=tmp_path / "up", add_new_wells=True)
    assert "JC300" in set(repo.monitoring_wells_frame(demo_store).mw_code)


@pytest.mark.parametrize("unit, kind, raw_value, depth", [("cm", "depth", "850", 8.5), ("ft", "depth", "10", 3.048),
                                                          ("m", "head", "30.00", None)])
def test_units_and_head(demo_store, unit, kind, raw_value, depth):
    mw = repo.monitoring_wells_frame(demo_store)
    ground = float(mw.set_index("mw_code").at["JC001", "ground_elev_m"])
    df = pd.DataFrame({"w": ["JC001"], "d": ["2026-10-03"], "v": [raw_value]})
    check = check_survey(df, SurveyMapping(well="w", date="d", value="v", value_kind=kind, unit=unit), wells=mw,
                         today=TODAY)
    r = check.rows.iloc[0]
    if kind == "head":
        assert r.head_m == 30.0 and r.depth_to_water_m == pytest.approx(ground - 30.0)
    else:
        assert r.depth_to_water_m == pytest.approx(depth) and r.head_m == pytest.approx(ground - depth)


def test_depth_below_measuring_point(demo_store):
    mw = repo.monitoring_wells_frame(demo_store).set_index("mw_code")
    df = pd.DataFrame({"w": ["JC001"], "d": ["2026-10-03"], "v": ["10.0"]})
    check = check_survey(df, SurveyMapping(well="w", date="d", value="v", value_kind="depth_mp"),
                         wells=mw.reset_index(), today=TODAY)
    r = check.rows.iloc[0]
    assert r.head_m == pytest.approx(mw.at["JC001", "mp_elev_m"] - 10.0)
    assert r.depth_to_water_m == pytest.approx(10.0 - (mw.at["JC001", "mp_elev_m"] - mw.at["JC001", "ground_elev_m"]))


def test_value_kind_is_never_guessed():
    with pytest.raises(InputDataError) as err:
        SurveyMapping(well="w", date="d", value="v", value_kind="")
    assert err.value.code == "err.survey.value_kind"


def test_leader_cannot_import(demo_store, tmp_path):
    check, raw = _check(demo_store, GOOD)
    with pytest.raises(PermissionDenied):
        import_survey(demo_store, CurrentUser("boss", "leader"), check, year=2026, season="autumn",
                      source_name=GOOD.name, raw=raw, uploads_dir=tmp_path / "up")


def test_template_round_trip():
    df, enc = read_table(template_xlsx(), "template.xlsx")
    g = guess_mapping(list(df.columns))
    assert enc == "xlsx" and g["well"] == "井编号" and g["value"] == "埋深(m)" and g["lat"] == "纬度"


def test_mann_kendall_matches_pymannkendall():
    mk = pytest.importorskip("pymannkendall")
    rng = np.random.default_rng(4)
    dates = pd.date_range("2019-04-01", periods=16, freq="6MS")
    values = 8 + 0.4 * np.arange(16) / 2 + rng.normal(0, 0.3, 16)
    values[5] = values[6]  # a tie
    ours = mann_kendall(dates, values)
    theirs = mk.original_test(values)
    assert ours.s == theirs.s and ours.z == pytest.approx(theirs.z) and ours.p_value == pytest.approx(theirs.p)
    # Sen's slope per year: theirs is per step of six months
    assert ours.slope_per_year == pytest.approx(theirs.slope * 2, rel=0.02)
    assert ours.trend == "increasing"


def test_demo_well_near_the_centre_recovers_after_2022(demo_store):
    series = well_series(demo_store, "JC001")
    assert len(series) >= 14
    after = series[pd.to_datetime(series.measured_on) >= "2023-01-01"]
    assert mann_kendall(after.measured_on, after.depth_to_water_m).slope_per_year < 0


def test_township_change_uses_wells_measured_in_both(demo_store):
    s = list_surveys(demo_store)
    before = s.query("code == '2022-autumn' and aquifer == 'shallow'").id.iloc[0]
    after = s.query("code == '2026-autumn' and aquifer == 'shallow'").id.iloc[0]
    ch = township_change(demo_store, before, after).set_index("township_code")
    a, b = survey_points(demo_store, before, include_flagged=False), survey_points(demo_store, after,
                                                                                   include_flagged=False)
    assert ch.at["county", "wells"] == len(set(a.mw_code) & set(b.mw_code))
    assert ch.at["county", "mean_change_m"] < 0  # the water table rose after the sealings
    assert ch.at["371525107", "mean_change_m"] < ch.at["county", "mean_change_m"]  # most near the centre


def test_method_and_observer_are_stored(demo_store, tmp_path):
    from sqlalchemy import select

    from gwmap.store.models import Measurement

    check, raw = _check(demo_store, GOOD, method="测量方法", observer="测量人")
    ids = import_survey(demo_store, HYDRO, check, year=2026, season="autumn", source_name=GOOD.name, raw=raw,
                        uploads_dir=tmp_path / "up")
    with demo_store.session() as s:
        got = set(s.execute(select(Measurement.method, Measurement.observer)
                            .where(Measurement.survey_id.in_(ids))).all())
    assert got == {("测钟", "李工")}


def test_the_same_well_twice_in_a_round_and_a_flowing_well_are_flagged_not_refused(demo_store):
    from gwmap.surveys import SurveyMapping, check_survey

    wells = repo.monitoring_wells_frame(demo_store)
    a, b = wells.mw_code.iloc[0], wells.mw_code.iloc[1]
    df = pd.DataFrame({"井编号": [a, b, a], "测量日期": ["2026-10-04", "2026-10-05", "2026-10-20"],
                       "埋深(m)": ["12.5", "-1.2", "12.9"]})
    m = SurveyMapping(well="井编号", date="测量日期", value="埋深(m)", value_kind="depth")
    check = check_survey(df, m, wells=wells, today=date(2026, 11, 28))
    assert not check.errors
    flags = {(p.row, p.code): p.params for p in check.flags}
    assert flags[(2, "warn.survey.twice")] == {"well": a, "rows": "4"}
    assert flags[(4, "warn.survey.twice")] == {"well": a, "rows": "2"}
    assert (3, "warn.survey.flowing") in flags
    assert sorted(check.rows.row) == [2, 3, 4]  # kept until the user leaves one out


def test_a_long_time_series_uploaded_as_a_round_flags_every_repeat(demo_store):
    from gwmap.surveys import SurveyMapping, check_survey

    wells = repo.monitoring_wells_frame(demo_store)
    n = 40_000
    df = pd.DataFrame({"井编号": [wells.mw_code.iloc[i % 3] for i in range(n)],
                       "测量日期": [(date(2020, 1, 1) + pd.Timedelta(days=i // 3)).isoformat() for i in range(n)],
                       "埋深(m)": ["12.5"] * n})
    m = SurveyMapping(well="井编号", date="测量日期", value="埋深(m)", value_kind="depth")
    check = check_survey(df, m, wells=wells, today=date(2026, 11, 28))  # grouped once: seconds, not minutes
    twice = [p for p in check.flags if p.code == "warn.survey.twice"]
    assert len(twice) == n and twice[0].params["rows"] == "5, 8, 11, 14, 17, …"


def test_a_file_with_a_title_row_and_headers_of_its_own_keeps_its_columns():
    """Another county's GBK sheet: a one-cell title, headers gwmap does not know, a 合计 footer: the columns are
    the file's own (for the user to map), the title is passed over and the footer left out."""
    from gwmap.surveys import read_survey

    raw = ("馆陶县2026年秋季地下水位统测表\n站名,日期,水位埋深(厘米),备注\n王庄,2026.10.4,1250,\n"
           "李村,10月5日,abc,井口损坏\n合计,,,\n").encode("gbk")
    df = read_survey(raw, "邯郸水位.csv")
    assert list(df.columns) == ["站名", "日期", "水位埋深(厘米)", "备注"]
    assert list(df["站名"]) == ["王庄", "李村"] and list(df.index) == [3, 4]  # sheet rows
    assert df.attrs["title"] == "馆陶县2026年秋季地下水位统测表" and df.attrs["footer"] == "合计"
