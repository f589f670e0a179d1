"""The well registry: Excel import of 5,000 rows checked whole, export in the same layout, filters, roll-up."""

import io
import time
from datetime import date

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from gwmap.errors import InputDataError, PermissionDenied
from gwmap.io.tables import read_table
from gwmap.registry import (
    COLUMNS,
    VERSION_HEADER,
    check_registry,
    filter_wells,
    import_registry,
    registry_xlsx,
    rollup,
    update_well,
)
from gwmap.store import repo
from gwmap.store.models import AuditEvent
from gwmap.store.users import CurrentUser

HYDRO = CurrentUser("hydro", "hydrologist")
TODAY = date(2026, 11, 28)


@pytest.fixture
def ctx(demo_store):
    _, tw, outline = repo.current_boundaries(demo_store)
    return dict(townships=tw, outline=outline, today=TODAY)


def _five_thousand(demo_store) -> pd.DataFrame:
    """The demo registry as exported (3,000 wells) plus 2,000 new ones, read back as the user's file."""
    wells = repo.wells_frame(demo_store)
    new = wells.sample(2000, replace=True, random_state=1).copy()
    new["well_code"] = [f"NEW{i:05d}" for i in range(2000)]
    data = registry_xlsx(pd.concat([wells, new], ignore_index=True))
    return read_table(data, "台账.xlsx")[0]


def test_export_has_the_template_layout_in_chinese(demo_store):
    wb = openpyxl.load_workbook(io.BytesIO(registry_xlsx(repo.wells_frame(demo_store).head(5))))
    ws = wb["取水井台账"]
    assert [c.value for c in ws[1]] == [h for _, h, _ in COLUMNS] + [VERSION_HEADER]
    assert ws.max_row == 6 and ws.cell(2, 19).value in {"在用", "停用", "封存备用", "已封填", "改建监测井"}


def test_export_neutralises_formulas(demo_store):
    wells = repo.wells_frame(demo_store).head(1).copy()
    wells.loc[wells.index[0], "owner"] = "=HYPERLINK(\"http://x\",\"y\")"
    ws = openpyxl.load_workbook(io.BytesIO(registry_xlsx(wells)))["取水井台账"]
    assert ws.cell(2, 5).value.startswith("'=") and ws.cell(2, 5).data_type == "s"


def test_5000_rows_with_errors_are_all_listed_then_land_whole(demo_store, ctx):
    df = _five_thousand(demo_store)
    broken = df.copy()
    broken.loc[10, "状态"] = "坏了"              # not a status (报废 is: out of use)
    broken.loc[20, "经度"] = "116.9"             # outside the county
    broken.loc[30, "井深(m)"] = "-5"             # impossible
    permitted = int(broken.index[broken["许可起始日期"].astype(str).str.len() > 0][50])
    broken.loc[permitted, "许可截止日期"] = "2001-01-01"  # before it starts
    broken.loc[4999, "机井编号"] = broken.loc[4000, "机井编号"]  # duplicate
    broken.loc[50, "机井编号"] = ""
    t0 = time.perf_counter()
    check = check_registry(broken, **ctx)
    elapsed = time.perf_counter() - t0
    found = {(p.row, p.code) for p in check.problems}
    assert found == {(12, "err.registry.choice"), (22, "err.survey.outside"), (32, "err.registry.range"),
                     (permitted + 2, "err.registry.dates"), (5001, "err.registry.duplicate"), (52, "err.registry.required")}
    assert elapsed < 30
    with pytest.raises(InputDataError):
        import_registry(demo_store, HYDRO, check)
    assert repo.counts(demo_store)["wells"] == 3000  # nothing changed
    fixed = check_registry(df, **ctx)
    assert fixed.clean and len(fixed.rows) == 5000
    counts = import_registry(demo_store, HYDRO, fixed)
    assert counts == {"added": 2000, "updated": 0, "unchanged": 3000}
    assert repo.counts(demo_store)["wells"] == 5000
    new = repo.wells_frame(demo_store).set_index("well_code").loc["NEW00000"]
    assert len(new.township_code) == 9  # filled in from the location


def test_reimport_updates_by_code_and_audits_each_change(demo_store, ctx):
    wells = repo.wells_frame(demo_store)
    df = read_table(registry_xlsx(wells), "t.xlsx")[0]
    df.loc[0, "取水权人"] = "新权人"
    df.loc[1, "状态"] = "停用"
    counts = import_registry(demo_store, HYDRO, check_registry(df, **ctx))
    assert counts == {"added": 0, "updated": 2, "unchanged": 2998}
    with demo_store.session() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "update",
                                                                         AuditEvent.actor == "hydro"))
    assert n == 2


def test_leader_cannot_import(demo_store, ctx):
    df = read_table(registry_xlsx(repo.wells_frame(demo_store).head(3)), "t.xlsx")[0]
    with pytest.raises(PermissionDenied):
        import_registry(demo_store, CurrentUser("boss", "leader"), check_registry(df, **ctx))


def test_filters(demo_store):
    wells = repo.wells_frame(demo_store)
    owner = wells.owner.iloc[5]
    assert owner in set(filter_wells(wells, text=owner[:3], today=TODAY).owner)
    deep_ind = filter_wells(wells, use="industry", aquifer="deep", today=TODAY)
    assert len(deep_ind) == ((wells.use == "industry") & (wells.aquifer == "deep")).sum()
    expiring = filter_wells(wells, permit="expiring", today=TODAY)
    assert all(TODAY <= pd.Timestamp(d).date() <= date(2027, 2, 26) for d in expiring.permit_valid_to)
    none = filter_wells(wells, permit="none", today=TODAY)
    assert (none.permit_no == "").all()


def test_rollup_adds_up(demo_store):
    wells = repo.wells_frame(demo_store)
    r = rollup(wells, today=TODAY)
    assert len(r) == 18 and r.wells.sum() == 3000
    assert r.filter(like="status_").sum(axis=1).tolist() == r.wells.tolist()
    assert r.filter(like="use_").sum(axis=1).tolist() == r.wells.tolist()
    assert r.permitted_m3_per_year.sum() == pytest.approx(wells.permitted_m3_per_year.sum())


def test_a_stale_form_cannot_revert_a_newer_save(demo_store):
    """Two people open the same well; the second save is refused with both values, nothing reverted."""
    from gwmap.errors import ConflictError
    from gwmap.store.users import system_user

    w = repo.wells_frame(demo_store).set_index("well_code").loc["371525107J0001"]
    shown = int(w["row_version"])
    update_well(demo_store, HYDRO, "371525107J0001", expected_version=shown, status="filled")
    with pytest.raises(ConflictError) as err:  # the older form, still showing the old status
        update_well(demo_store, system_user("admin"), "371525107J0001", expected_version=shown,
                    status=w["status"], owner="新户主")
    assert err.value.params["actor"] == "hydro"
    assert ("status", "filled", w["status"]) in err.value.conflicts
    now = repo.wells_frame(demo_store).set_index("well_code").loc["371525107J0001"]
    assert now["status"] == "filled" and now["owner"] == w["owner"] and int(now["row_version"]) == shown + 1


def test_a_registry_saved_by_excel_as_gbk_keeps_its_volume_column(demo_store, ctx):
    """Excel's GBK CSV turns 年许可水量(m³) into 年许可水量(m?) (³ is not in GBK): still the volume column."""
    wells = repo.wells_frame(demo_store).head(50)
    table = read_table(registry_xlsx(wells), "a.xlsx")[0]
    csv = table.to_csv(index=False).encode("gbk", errors="replace")
    assert "年许可水量(m?)".encode("gbk") in csv
    df, enc = read_table(csv, "台账.csv")
    check = check_registry(df, **ctx)
    assert enc == "GBK" and check.clean and check.ignored_columns == ()
    got = {r["well_code"]: r["permitted_m3_per_year"] for r in check.rows}
    want = wells.set_index("well_code")["permitted_m3_per_year"]
    assert sum(v is not None for v in got.values()) == int(want.notna().sum()) > 0
    assert all(got[c] == pytest.approx(v) for c, v in want.dropna().items())
    # a required column that goes missing is an error naming it
    with pytest.raises(InputDataError) as err:
        check_registry(df.drop(columns=["经度"]), **ctx)
    assert "经度" in err.value.params["column"]


def test_an_export_imported_again_changes_nothing_and_edits_made_meanwhile_are_conflicts(demo_store, ctx):
    from gwmap.errors import ConflictError
    from gwmap.registry import preview_import

    code = "371525107J0001"
    update_well(demo_store, HYDRO, code, owner="=HYPERLINK(\"http://x\",\"y\")")  # formula-like, neutralised on export
    exported = registry_xlsx(repo.wells_frame(demo_store))
    df, _ = read_table(exported, "台账.xlsx")
    check = check_registry(df, **ctx)
    assert check.clean and check.ignored_columns == ()
    p = preview_import(demo_store, check)
    assert (len(p.added), len(p.changed), p.unchanged, p.conflicts) == (0, 0, 3000, [])
    assert import_registry(demo_store, HYDRO, check) == {"added": 0, "updated": 0, "unchanged": 3000}
    assert repo.wells_frame(demo_store).set_index("well_code").at[code, "owner"].startswith("=HYPERLINK")
    # someone edits a well in the app; the file (exported before) changes the same well
    update_well(demo_store, HYDRO, code, status="filled")
    df.loc[df["机井编号"] == code, "取水权人"] = "新户主"
    check = check_registry(df, **ctx)
    p = preview_import(demo_store, check)
    assert p.changed == {code: ["owner", "status"]}
    assert (f"{code} / status", "filled", "in_use") in p.conflicts
    with pytest.raises(ConflictError) as err:
        import_registry(demo_store, HYDRO, check)
    assert err.value.params["count"] == 2
    now = repo.wells_frame(demo_store).set_index("well_code").loc[code]
    assert now["status"] == "filled" and now["owner"].startswith("=HYPERLINK")


# ---------------------------------------------------------------- the store does the work (issue 11)
QUERIES = [dict(), dict(use="industry"), dict(text="j00"), dict(text="王"), dict(permit="expiring"),
           dict(permit="none", aquifer="deep"), dict(township="371525107", status="in_use"),
           dict(text="50%_"), dict(permit="expired", use="irrigation")]


@pytest.mark.parametrize("q", QUERIES)
def test_sql_filters_match_the_frame_filters(demo_store, q):
    """The store's filters, counts and sums give what the frame filters gave (which the earlier tests pin)."""
    from gwmap.registry import WellQuery, filter_wells, query_wells, registry_totals
    from gwmap.scale import add_synthetic_wells
    from gwmap.store.users import system_user

    add_synthetic_wells(demo_store, system_user("cli"), 2_000)
    day = date(2026, 11, 28)
    want = filter_wells(repo.wells_frame(demo_store), today=day, **q).sort_values("well_code")
    total = registry_totals(demo_store, WellQuery(**q), today=day)
    assert total["wells"] == len(want)
    assert total["permitted_m3_per_year"] == pytest.approx(want["permitted_m3_per_year"].sum())
    assert total["expiring"] == int((want["permit_state"] == "expiring").sum())
    page, n = query_wells(demo_store, WellQuery(**q), page=2, per_page=50, today=day)
    assert n == len(want)
    assert list(page["well_code"]) == list(want["well_code"].iloc[50:100])
    assert list(page["permit_state"]) == list(want["permit_state"].iloc[50:100])


def test_rollup_in_sql_equals_the_frame_rollup(demo_store):
    from gwmap.registry import rollup, rollup_sql

    day = date(2026, 11, 28)
    frame = rollup(repo.wells_frame(demo_store), today=day).sort_values("township_code").reset_index(drop=True)
    sql = rollup_sql(demo_store, today=day)
    assert list(sql.columns) == list(frame.columns)
    pd.testing.assert_frame_equal(sql, frame, check_dtype=False)


def test_export_streams_the_filtered_wells_as_the_template_layout(demo_store):
    """The streamed export holds exactly the filtered wells, cell for cell as the frame export wrote them."""
    import openpyxl

    from gwmap.registry import WellQuery, export_wells, filter_wells, registry_xlsx

    seen = []
    book = export_wells(demo_store, WellQuery(use="industry"), progress=seen.append, chunk=50)
    got = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(book)).active.iter_rows()]
    want_frame = filter_wells(repo.wells_frame(demo_store), use="industry")
    want = [[c.value for c in r] for r in openpyxl.load_workbook(io.BytesIO(registry_xlsx(want_frame))).active.iter_rows()]
    assert len(got) == len(want_frame) + 1 and got[0] == want[0]
    assert [[v if v not in (None, "") else None for v in r] for r in got] == \
        [[v if v not in (None, "") else None for v in r] for r in want]
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == -(-len(want_frame) // 50)


def test_map_views_count_and_grid_in_the_store_on_every_backend(store):
    """A view's wells, their count and their grid cells, as the store gives them, match the wells read by hand."""
    import numpy as np

    from gwmap.demo import load_demo
    from gwmap.registry import map_summary, map_wells, well_grid
    from tests.conftest import DATA

    load_demo(store, DATA)
    wells = repo.wells_frame(store)
    box = (115.40, 36.40, 115.55, 36.55)
    inside = wells[wells.lon.between(box[0], box[2]) & wells.lat.between(box[1], box[3])]
    got, n = map_wells(store, bounds=box)
    assert n == len(inside) and sorted(got.well_code) == sorted(inside.well_code)
    assert map_wells(store, bounds=box, limit=len(inside) - 1) == (None, len(inside))  # too many: the count only
    assert map_summary(store) == {"wells": 3_000, "sealed": int(wells.status.isin(
        ["sealed_standby", "filled", "converted_monitoring"]).sum())}
    cells, step = well_grid(store, bounds=box, cells=20)
    assert cells["wells"].sum() == len(inside)
    step_y = step * np.cos(np.radians((box[1] + box[3]) / 2))
    ix = np.floor((inside.lon - box[0]) / step).astype(int)
    iy = np.floor((inside.lat - box[1]) / step_y).astype(int)
    by_hand = pd.Series(1, index=pd.MultiIndex.from_arrays([ix, iy])).groupby(level=[0, 1]).sum()
    ours = pd.Series(cells["wells"].to_numpy(), index=pd.MultiIndex.from_arrays([
        np.round((cells.west - box[0]) / step).astype(int), np.round((cells.south - box[1]) / step_y).astype(int)]))
    assert ours.sort_index().to_dict() == by_hand.sort_index().to_dict()
