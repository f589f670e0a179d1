"""The reclaimed-water system and the permit screening for 行政审批 (issue 14), on the demo's records."""

import json
import subprocess
import sys
from datetime import date

import geopandas as gpd
import pytest
import shapely

from gwmap import reclaimed
from gwmap.config import PROJECT_ROOT
from gwmap.demo import DEMO_RECLAIMED
from gwmap.demo_reclaimed import BAD_EFFLUENT, DEMO_PIPELINES, LIMITED

TODAY = date(2026, 11, 28)  # the demo's day


def test_the_utilisation_rate_is_used_over_treated_from_the_records(demo_store):
    years = reclaimed.utilisation(demo_store).set_index("period")
    for year, (treated, used) in DEMO_RECLAIMED.items():
        assert years.at[year, "treated_m3"] == pytest.approx(treated, abs=1)
        assert years.at[year, "used_m3"] == pytest.approx(used, abs=1)
        assert years.at[year, "rate"] == pytest.approx(used / treated, rel=1e-6)
    # 2023: 7.2 million m³ used against the plan's 7 million; 2025: 52% against 50%
    assert years.at[2023, "used_m3"] >= 7_000_000 and years.at[2025, "rate"] >= 0.5  # the plan's
    # by use, and by month (the months add up to their year)
    assert {"used_industry_m3", "used_greening_m3", "used_road_cleaning_m3", "used_ecological_m3"} <= set(years.columns)
    months = reclaimed.utilisation(demo_store, by="month").set_index("period")
    assert months.loc[[m for m in months.index if m.startswith("2025")], "used_m3"].sum() == \
        pytest.approx(years.at[2025, "used_m3"], rel=1e-9)
    assert len([m for m in months.index if m.startswith("2026")]) == 10 and years.at[2026, "months"] == 10
    m = months.loc["2025-07"]
    assert m.rate == pytest.approx(m.used_m3 / m.treated_m3)


def test_a_month_worse_than_class_v_is_flagged(demo_store):
    flags = reclaimed.effluent_flags(demo_store)
    assert list(zip(flags["code"], flags["month"], strict=True)) == [BAD_EFFLUENT]


def test_spare_capacity_is_capacity_less_the_last_twelve_months_load(demo_store):
    pipes = reclaimed.pipelines_frame(demo_store, today=TODAY).set_index("name")
    main = pipes.loc[DEMO_PIPELINES[0][0]]
    # the two enterprises on the park main: their m³ from 2025-11 to 2026-10, per day
    with demo_store.engine.connect() as conn:
        m3 = conn.exec_driver_sql(
            "SELECT SUM(u.m3) FROM reclaimed_uses u JOIN reclaimed_users r ON r.id = u.user_id "
            "JOIN reclaimed_pipelines p ON p.id = r.pipeline_id WHERE p.name = ? AND u.month BETWEEN ? AND ?",
            (DEMO_PIPELINES[0][0], "2025-11", "2026-10")).scalar()
    assert main.load_m3_d == pytest.approx(m3 / 365, rel=1e-9)
    assert main.spare_m3_d == pytest.approx(DEMO_PIPELINES[0][2] - m3 / 365, rel=1e-9)
    # its length, measured independently on UTM 50N: within 0.5%
    utm = gpd.GeoSeries([shapely.LineString(DEMO_PIPELINES[0][3])], crs=4326).to_crs(32650).length.iloc[0]
    assert main.length_m == pytest.approx(utm, rel=5e-3)


def test_high_water_use_within_reach_without_reclaimed_water_is_limited(demo_store):
    found = reclaimed.permit_verdicts(demo_store, today=TODAY)
    limited = [r["user"] for r in found if r["verdict"] == "limit"]
    assert sorted(limited) == sorted(LIMITED)
    # limits first, the permit expiring within 12 months first of them
    assert [r["user"] for r in found[:2]] == ["鲁西纸业（冠县）有限公司", "冠县宏达印染有限公司"]
    assert found[0]["expires_within_12_months"] and not found[1]["expires_within_12_months"]
    by = {r["user"]: r for r in found}
    paper = by["鲁西纸业（冠县）有限公司"]
    assert paper["reason"] == "could_take_reclaimed" and paper["pipeline"] == DEMO_PIPELINES[0][0]
    assert paper["spare_m3_d"] > 0 and not paper["uses_reclaimed"]
    # the distance, measured independently on UTM 50N
    line = gpd.GeoSeries([shapely.LineString(DEMO_PIPELINES[0][3])], crs=4326).to_crs(32650).iloc[0]
    pt = gpd.GeoSeries([shapely.Point(paper["lon"], paper["lat"])], crs=4326).to_crs(32650).iloc[0]
    assert paper["distance_to_network_m"] == pytest.approx(line.distance(pt), abs=5)
    # high water use that takes reclaimed water, or is out of reach, or is not high use: ok, with the reason
    assert (by["冠县热电有限公司"]["verdict"], by["冠县热电有限公司"]["reason"]) == ("ok", "takes_reclaimed")
    assert by["冠县热电有限公司"]["uses_reclaimed"]
    assert by["冠县金源有色金属有限公司"]["reason"] == "out_of_reach"
    assert by["冠县恒通化工有限公司"]["reason"] == "not_high_use"
    # a longer reach the approval office sets: the far dyeing works is within it now
    wide = {r["user"]: r for r in reclaimed.permit_verdicts(demo_store, reach_m=15_000, today=TODAY)}
    assert wide["东古城镇兴业印染厂"]["verdict"] == "limit"


def test_a_candidate_site_gets_the_same_answer(demo_store):
    near = reclaimed.site_verdict(demo_store, lon=115.50, lat=36.48, industry="paper", today=TODAY)
    assert near.verdict == "limit" and 900 < near.distance_to_network_m < 1200
    assert reclaimed.site_verdict(demo_store, lon=115.50, lat=36.48, industry="food", today=TODAY).verdict == "ok"
    far = reclaimed.site_verdict(demo_store, lon=115.30, lat=36.62, industry="paper", today=TODAY)
    assert (far.verdict, far.reason) == ("ok", "out_of_reach")


def test_the_command_line_prints_the_screening(demo_db_path):
    env = {"GWMAP_DATA_DIR": str(demo_db_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-m", "gwmap", "permits", "--json"], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert len(out) == 20
    assert {"user", "industry", "permit_no", "permit_m3", "expires", "distance_to_network_m", "uses_reclaimed",
            "verdict", "reason"} <= set(out[0])
    assert {r["user"] for r in out if r["verdict"] == "limit"} == set(LIMITED)
    for bad in ("0", "-5", "nan", "inf", "1e9"):
        r = subprocess.run([sys.executable, "-m", "gwmap", "permits", "--reach", bad], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True)
        assert r.returncode == 2 and "Traceback" not in r.stderr and "err.permits.reach" in r.stderr, bad


def test_the_targets_count_years_with_records_from_them_and_the_form_for_the_rest(demo_store):
    from gwmap.store.users import CurrentUser
    from gwmap.targets import plan_targets, reclaimed_figures, set_reclaimed

    figures = reclaimed_figures(demo_store).set_index("year")
    assert set(figures.loc[list(DEMO_RECLAIMED), "source"]) == {"records"}
    # a year without records is counted from the form
    hydro = CurrentUser("hydro", "hydrologist")
    set_reclaimed(demo_store, hydro, year=2021, use="industry", sewage_treated_m3=5e6, reclaimed_used_m3=1e6)
    figures = reclaimed_figures(demo_store).set_index("year")
    assert figures.at[2021, "source"] == "form" and figures.at[2021, "rate"] == pytest.approx(0.2)
    # the form's figures for a year with records do not override them
    set_reclaimed(demo_store, hydro, year=2026, use="industry", sewage_treated_m3=1e6, reclaimed_used_m3=9e5,
                  replace=True)
    from gwmap.targets import set_targets

    set_targets(demo_store, hydro, year=2026, reclaimed_used_m3=7e6, reclaimed_rate="50%", source="2026年度任务")
    t = {x.key: x for x in plan_targets(demo_store, today=TODAY).this_year}
    records = reclaimed.utilisation(demo_store).set_index("period").loc[2026]
    assert t["reclaimed_used_m3"].actual == pytest.approx(records.used_m3) == pytest.approx(7.3e6, abs=1)
    assert t["reclaimed_used_m3"].goal == 7e6 and t["reclaimed_used_m3"].met
    assert t["reclaimed_rate"].actual == pytest.approx(records.rate) and t["reclaimed_rate"].goal == 0.5
    assert list(t["reclaimed_used_m3"].source["source"]) == ["records"]


def test_the_one_map_draws_plants_by_volume_pipelines_and_users(demo_store):
    from gwmap.i18n import translator
    from gwmap.maps import build_onemap

    layers = reclaimed.map_layers(demo_store, today=TODAY)
    plants = layers["plants"].set_index("code")
    with demo_store.engine.connect() as conn:
        ws01 = conn.exec_driver_sql(
            "SELECT SUM(treated_m3) FROM plant_months m JOIN reclaimed_plants p ON p.id = m.plant_id "
            "WHERE p.code = 'WS01' AND m.month BETWEEN '2025-11' AND '2026-10'").scalar()
    assert plants.at["WS01", "treated_12m_m3"] == pytest.approx(ws01)
    assert len(layers["pipelines"]) == len(DEMO_PIPELINES) and len(layers["users"]) == 6
    from gwmap.store import repo

    _, tw, _ = repo.current_boundaries(demo_store)
    empty = repo.sealings_frame(demo_store).head(0)
    html = build_onemap(townships=tw, wells=repo.wells_frame(demo_store).head(0), sealings=empty,
                        leads=repo.leads_frame(demo_store).head(0).assign(overdue=False),
                        monitoring=repo.monitoring_wells_frame(demo_store).head(0), tr=translator("zh"),
                        reclaimed=layers).get_root().render()
    for name in (p[0] for p in DEMO_PIPELINES):  # each main once, in the lines' GeoJSON (escaped there)
        assert html.count(json.dumps(name)[1:-1]) == 1, name
    assert "冠县污水处理厂（一期）" in html and "城区园林绿化" in html  # plants and users, with their popups
    assert '"plants"' in html and '"reclaimed_users"' in html


def test_the_list_and_the_memo_for_the_approval_office(demo_store):
    import io

    import docx
    import openpyxl

    from gwmap.i18n import translator

    rows = reclaimed.permit_verdicts(demo_store, today=TODAY)
    wb = openpyxl.load_workbook(io.BytesIO(reclaimed.permits_xlsx(rows, tr=translator("zh"))))
    ws = wb.active
    table = list(ws.iter_rows(values_only=True))
    assert table[0][0] == "取水户" and len(table) == 21
    first = table[1]
    assert first[0] == "鲁西纸业（冠县）有限公司" and first[1] == "造纸" and first[5] == "是"
    assert first[6] == rows[0]["distance_to_network_m"] and first[10].startswith("限批")
    assert "700 m（在 2,000 m 内）" in first[11]
    assert ws["A2"].fill.fgColor.rgb.endswith("FDE0DC") and not ws["A4"].fill.fgColor.rgb.endswith("FDE0DC")
    memo = docx.Document(io.BytesIO(reclaimed.permits_memo_docx(rows, tr=translator("zh"), today=TODAY)))
    text = "\n".join(p.text for p in memo.paragraphs)
    assert "共 2 户" in text and "1. 鲁西纸业（冠县）有限公司（造纸）" in text and "2. 冠县宏达印染有限公司（印染）" in text
    assert "该许可证一年内到期" in text and "2026年11月28日" in text
    assert text.count("许可证一年内到期") == 1  # the paper mill's; the dyeing works' runs to 2028
    en = docx.Document(io.BytesIO(reclaimed.permits_memo_docx(rows, tr=translator("en"), lang="en", today=TODAY)))
    assert "found 2 high-water-use holders" in "\n".join(p.text for p in en.paragraphs)


def test_a_plants_report_is_checked_whole_then_added_or_corrected(demo_store):
    from gwmap.errors import InputDataError, PermissionDenied
    from gwmap.io.tables import read_table
    from gwmap.store.users import CurrentUser

    text = ("厂站编码,年月,污水处理量(m3),再生水供水量m3,出水水质类别\n"
            "WS01,2026年11月,620000,300000,Ⅳ类\n"           # a new month
            "WS03,2026-10,88000,,劣Ⅴ类\n"                    # a correction of a stored month, and bad effluent
            "WS09,2026-11,1000,0,IV\n"                       # no such plant
            "WS04,2026-13,1000,0,IV\n"                       # no such month
            "WS04,2026-11,-5,0,IV\n"                         # negative
            "WS04,2026-11,5e7,0,IV\n"                        # a typo of a volume
            "WS04,2026-11,1000,2000,IV\n"                    # more reclaimed than treated
            "WS04,2026-11,1000,0,六类\n"                      # no such class
            "WS01,2026-11,1,0,IV\n").encode("gbk")            # the same plant and month twice
    df, enc = read_table(text, "水厂月报.csv")
    assert enc == "GBK"
    plants = set(reclaimed.plants_frame(demo_store)["code"])
    check = reclaimed.check_plant_months(df, plants=plants, raw=text, today=TODAY)
    got = {(p.row, p.code) for p in check.problems}
    assert got == {(4, "err.rw.unknown_plant"), (5, "err.power.month"), (6, "err.power.kwh_negative"),
                   (7, "err.rw.volume_large"), (8, "err.rw.more_than_treated"), (9, "err.rw.effluent"),
                   (10, "err.rw.duplicate")}
    assert next(p for p in check.problems if p.code == "err.rw.duplicate").params == {"first": 2}
    hydro = CurrentUser("hydro", "hydrologist")
    with pytest.raises(InputDataError):  # nothing stored while any problem is left
        reclaimed.import_months(demo_store, hydro, check)
    clean = reclaimed.check_plant_months(df.iloc[:2], plants=plants, raw=text, today=TODAY)
    assert clean.problems == () and list(clean.rows["effluent_class"]) == ["IV", "V+"]
    with pytest.raises(PermissionDenied):
        reclaimed.import_months(demo_store, CurrentUser("boss", "leader"), clean)
    before = reclaimed.utilisation(demo_store, by="month").set_index("period")
    assert reclaimed.import_months(demo_store, hydro, clean) == {"added": 1, "updated": 1, "unchanged": 0}
    after = reclaimed.utilisation(demo_store, by="month").set_index("period")
    ws03_oct = demo_store.engine.connect().exec_driver_sql(
        "SELECT treated_m3 FROM plant_months m JOIN reclaimed_plants p ON p.id = m.plant_id "
        "WHERE p.code = 'WS03' AND month = '2026-10'").scalar()
    assert ws03_oct == 88000.0
    assert after.at["2026-11", "treated_m3"] == 620000.0 and "2026-11" not in before.index
    assert ("WS03", "2026-10") in set(zip(reclaimed.effluent_flags(demo_store)["code"],
                                          reclaimed.effluent_flags(demo_store)["month"], strict=True))
    # the correction is in the audit trail with the old figure
    with demo_store.engine.connect() as conn:
        audit = conn.exec_driver_sql("SELECT before FROM audit_events WHERE table_name = 'plant_months' "
                                     "AND action = 'update' ORDER BY id DESC LIMIT 1").scalar()
    assert '"effluent_class": "V"' in audit


def test_users_volumes_by_their_registered_names(demo_store):
    from gwmap.io.tables import read_table
    from gwmap.store.users import CurrentUser

    names = set(reclaimed.users_frame(demo_store)["name"])
    raw = "用户名称,年月,用水量m3\n城区园林绿化,2026-11,52000\n不存在的用户,2026-11,1000\n".encode()
    df, _ = read_table(raw, "用户月报.csv")
    check = reclaimed.check_user_volumes(df, users=names, raw=raw, today=TODAY)
    assert [(p.row, p.code) for p in check.problems] == [(3, "err.rw.unknown_user")]
    ok = reclaimed.check_user_volumes(df.iloc[:1], users=names, raw=raw, today=TODAY)
    assert reclaimed.import_months(demo_store, CurrentUser("hydro", "hydrologist"), ok)["added"] == 1
    months = reclaimed.utilisation(demo_store, by="month").set_index("period")
    assert months.at["2026-11", "used_greening_m3"] == 52000.0


def _lines_file(tmp_path, features, name="管网.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": geom} for props, geom in features]}, ensure_ascii=False),
        encoding="utf-8")
    return path.read_bytes()


def test_mains_are_imported_from_a_line_file(demo_store, tmp_path):
    from gwmap.errors import InputDataError
    from gwmap.store import repo
    from gwmap.store.users import CurrentUser

    _, _, outline = repo.current_boundaries(demo_store)
    park = DEMO_PIPELINES[0]
    raw = _lines_file(tmp_path, [
        ({"名称": park[0], "能力": "30000"},  # the park main, now larger and a little longer
         {"type": "LineString", "coordinates": [*park[3], [115.545, 36.470]]}),
        ({"名称": "清水镇新建支管", "能力": "3000"}, {"type": "LineString", "coordinates": [[115.53, 36.61],
                                                                                 [115.54, 36.62]]}),
        ({"名称": "坐标错误", "能力": "3000"}, {"type": "LineString", "coordinates": [[117.5, 36.6], [117.6, 36.7]]}),
        ({"名称": "无能力", "能力": "n/a"}, {"type": "LineString", "coordinates": [[115.50, 36.50], [115.51, 36.51]]}),
        ({"名称": "一个点"}, {"type": "Point", "coordinates": [115.5, 36.5]}),
    ])
    checked = reclaimed.check_pipelines(raw, "管网.geojson", name_field="名称", capacity_field="能力",
                                        default_capacity_m3_d=None, outline=outline)
    assert [(p.row, p.code) for p in checked.problems] == [(3, "err.rw.line_far"), (4, "err.rw.capacity")]
    hydro = CurrentUser("hydro", "hydrologist")
    with pytest.raises(InputDataError):
        reclaimed.import_pipelines(demo_store, hydro, checked)
    good = reclaimed.check_pipelines(raw, "管网.geojson", name_field="名称", capacity_field="能力",
                                     default_capacity_m3_d=None, outline=None)
    good = reclaimed.PipelineImport(good.lines.iloc[:2], (), good.fields)
    assert reclaimed.import_pipelines(demo_store, hydro, good) == {"added": 1, "updated": 1}
    pipes = reclaimed.pipelines_frame(demo_store, today=TODAY).set_index("name")
    assert pipes.at[park[0], "capacity_m3_d"] == 30000.0 and len(pipes) == len(DEMO_PIPELINES) + 1
    utm = gpd.GeoSeries([shapely.LineString([*park[3], (115.545, 36.470)])], crs=4326).to_crs(32650).length.iloc[0]
    assert pipes.at[park[0], "length_m"] == pytest.approx(utm, rel=5e-3)
    # a file of points is refused with what it holds
    with pytest.raises(InputDataError) as exc:
        reclaimed.check_pipelines(_lines_file(tmp_path, [({"名称": "点"}, {"type": "Point",
                                                                       "coordinates": [115.5, 36.5]})], "点.geojson"),
                                  "点.geojson", name_field="名称", capacity_field=None, default_capacity_m3_d=1000,
                                  outline=outline)
    assert exc.value.code == "err.rw.no_lines"


def test_mains_without_any_capacity_are_refused_by_line_not_by_a_crash(demo_store, tmp_path):
    raw = _lines_file(tmp_path, [({"名称": "支管"}, {"type": "LineString", "coordinates": [[115.5, 36.5], [115.51, 36.5]]})])
    checked = reclaimed.check_pipelines(raw, "管网.geojson", name_field="名称", capacity_field=None,
                                        default_capacity_m3_d=None, outline=None)
    assert [(p.row, p.code, p.value) for p in checked.problems] == [(1, "err.rw.capacity", "")]


def test_the_approval_offices_list_of_permit_holders(demo_store):
    from gwmap.io.tables import read_table
    from gwmap.store import repo
    from gwmap.store.users import CurrentUser

    _, _, outline = repo.current_boundaries(demo_store)
    text = ("取水户名称,行业,取水许可证号,许可水量m3/年,有效期至,经度,纬度\n"
            "鲁西纸业（冠县）有限公司,造纸,取水(冠)字[2022]第004号,400000,2027-03-31,115.505,36.477\n"  # updated
            "冠县新建印染厂,印染,取水(冠)字[2026]第030号,120000,2031-06-30,115.515,36.476\n"  # new, near the main
            "某厂,纺织,取水(冠)字[2026]第031号,1000,2030-01-01,115.5,36.5\n"  # no such industry word
            "某厂二,造纸,取水(冠)字[2026]第032号,一万,2030-01-01,115.5,36.5\n"  # not a number
            "某厂三,造纸,取水(冠)字[2026]第033号,1000,2030-13-45,115.5,36.5\n"  # no such date
            "某厂四,造纸,取水(冠)字[2026]第034号,1000,2030-01-01,117.5,36.5\n"  # outside the county
            "冠县新建印染厂,印染,取水(冠)字[2026]第030号,120000,2031-06-30,115.515,36.476\n").encode("gbk")
    df, _ = read_table(text, "取水户.csv")
    check = reclaimed.check_water_users(df, outline=outline, raw=text)
    assert [(p.row, p.code) for p in check.problems] == [
        (4, "err.rw.industry"), (5, "err.rw.permit_m3"), (6, "err.rw.expires"), (7, "err.power.outside"),
        (8, "err.rw.duplicate_permit")]
    ok = reclaimed.check_water_users(df.iloc[:2], outline=outline, raw=text)
    assert reclaimed.import_water_users(demo_store, CurrentUser("hydro", "hydrologist"), ok) == {
        "added": 1, "updated": 1, "unchanged": 0}
    found = {r["user"]: r for r in reclaimed.permit_verdicts(demo_store, today=TODAY)}
    assert found["冠县新建印染厂"]["verdict"] == "limit" and found["鲁西纸业（冠县）有限公司"]["permit_m3"] == 400000


def test_the_register_of_plants_and_of_users(demo_store):
    from gwmap.io.tables import read_table
    from gwmap.store import repo
    from gwmap.store.users import CurrentUser

    _, _, outline = repo.current_boundaries(demo_store)
    hydro = CurrentUser("hydro", "hydrologist")
    text = ("厂站编码,名称,类型,处理规模t/d,经度,纬度\n"
            "WS05,清水镇污水处理厂,乡镇污水处理厂,3000,115.532,36.619\n"
            "WS03,柳林镇污水处理厂,乡镇污水处理厂,8000,115.690,36.648\n"   # expanded
            "WS06,某厂,水厂,3000,115.5,36.5\n"                              # no such kind
            "WS07,某厂二,县污水处理厂,-1,115.5,36.5\n").encode("gbk")         # no capacity
    df, _ = read_table(text, "水厂.csv")
    check = reclaimed.check_register(df, kind="plants", store=demo_store, outline=outline, raw=text)
    assert [(p.row, p.code) for p in check.problems] == [(4, "err.rw.plant_kind"), (5, "err.rw.plant_capacity")]
    ok = reclaimed.check_register(df.iloc[:2], kind="plants", store=demo_store, outline=outline, raw=text)
    assert reclaimed.import_register(demo_store, hydro, ok) == {"added": 1, "updated": 1, "unchanged": 0}
    plants = reclaimed.plants_frame(demo_store).set_index("code")
    assert plants.at["WS03", "capacity_t_d"] == 8000 and plants.at["WS05", "kind"] == "township"
    users = ("用户名称,用途,管线名称,取水许可证号,经度,纬度\n"
             "冠县宏达印染有限公司,工业企业,开发区再生水主管,取水(冠)字[2023]第002号,115.521,36.456\n"
             "某用户,洗车,开发区再生水主管,,115.5,36.5\n"                     # no such use
             "某用户二,城市绿化,不存在的管线,,115.5,36.5\n").encode("gbk")      # no such main
    df, _ = read_table(users, "用户.csv")
    check = reclaimed.check_register(df, kind="users", store=demo_store, outline=outline, raw=users)
    assert [(p.row, p.code) for p in check.problems] == [(3, "err.rw.use"), (4, "err.rw.unknown_pipeline")]
    ok = reclaimed.check_register(df.iloc[:1], kind="users", store=demo_store, outline=outline, raw=users)
    assert reclaimed.import_register(demo_store, hydro, ok)["added"] == 1
    # the dyeing works takes reclaimed water now: it is no longer to be limited
    found = {r["user"]: r for r in reclaimed.permit_verdicts(demo_store, today=TODAY)}
    assert found["冠县宏达印染有限公司"]["verdict"] == "ok" and found["冠县宏达印染有限公司"]["uses_reclaimed"]
