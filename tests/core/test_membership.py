"""Membership follows the boundaries: after a real import every point counts in the township it lies in."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from gwmap import boundaries
from gwmap.crs import area_crs
from gwmap.membership import township_of
from gwmap.store import repo
from gwmap.store.users import system_user
from tests.conftest import DATA, ODD_VERSIONS, odd_townships

ADMIN = system_user("admin1")


def _grid_townships(n=4) -> bytes:
    """New lines and new codes: the demo county cut into an n×n grid of 'townships' (GeoJSON bytes)."""
    county = gpd.read_file(DATA / "boundaries" / "county.geojson").to_crs(area_crs())
    outline = county.geometry.iloc[0]
    x0, y0, x1, y1 = outline.bounds
    cells = []
    for i in range(n):
        for j in range(n):
            cell = box(x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * j / n, x0 + (x1 - x0) * (i + 1) / n,
                       y0 + (y1 - y0) * (j + 1) / n).intersection(outline)
            if cell.area > 5e6:  # corners that hold only a sliver of the county join their neighbour
                cells.append(cell)
    # give slivers to the nearest kept cell, so the set still tiles the county
    rest = outline.difference(shapely.union_all(cells))
    for part in getattr(rest, "geoms", [rest]):
        if not part.is_empty:
            k = int(np.argmin([c.distance(part) for c in cells]))
            cells[k] = cells[k].union(part)
    gdf = gpd.GeoDataFrame({"XZQDM": [f"G{k:02d}" for k in range(len(cells))],
                            "XZQMC": [f"新乡镇{k}" for k in range(len(cells))]}, geometry=cells, crs=area_crs())
    return json.dumps(json.loads(gdf.to_crs(4326).to_json())).encode()


def test_after_a_real_import_every_well_lead_and_monitoring_well_counts_where_it_lies(demo_store):
    data = _grid_townships()
    info, notes, change = boundaries.import_boundary_file(demo_store, ADMIN, data, "网格乡镇.geojson", crs=None,
                                                    name_field="XZQMC", code_field="XZQDM")
    _, tw, _ = repo.current_boundaries(demo_store)
    assert set(tw.code) == set(change.table.code) and all(c.startswith("G") for c in tw.code)
    for layer, frame in (("wells", repo.wells_frame(demo_store)), ("leads", repo.leads_frame(demo_store)),
                         ("monitoring_wells", repo.monitoring_wells_frame(demo_store))):
        where = township_of(tw, frame.lon, frame.lat)  # independent point-in-polygon on the stored version
        assert (frame.township_code.to_numpy() == where).all(), layer
        counts = frame.township_code.value_counts()
        reported = change.table.set_index("code")[f"{layer}_after"]
        assert all(int(counts.get(c, 0)) == int(n) for c, n in reported.items()), layer
        assert change.changed[layer] == len(frame) and change.outside[layer] == int((where == "").sum())
    # the one-map filter and the ranking see the new townships (no zeros from stale codes)
    from gwmap.registry import summarize
    from gwmap.targets import township_ranking

    layers = {"wells": repo.wells_frame(demo_store), "leads": repo.leads_frame(demo_store)}
    busiest = change.table.sort_values("wells_after").code.iloc[-1]
    assert summarize(layers["wells"], layers["leads"], township_code=busiest)["wells"] == \
        int(change.table.set_index("code").at[busiest, "wells_after"]) > 0
    ranking = township_ranking(demo_store, tw)
    leads = layers["leads"]
    open_where = leads[~leads.stage.isin(["closed", "dismissed"])].township_code.value_counts()
    assert set(ranking.code) == set(tw.code)
    assert ranking.set_index("code").open_cases.sum() == open_where[open_where.index != ""].sum() > 0


def test_the_change_is_shown_before_anything_is_stored(demo_store):
    from gwmap.boundaries import prepare_boundaries
    from gwmap.io.boundaries import read_boundary_file

    read = read_boundary_file(_grid_townships(), "网格乡镇.geojson")
    prepared = prepare_boundaries(read.gdf, name_field="XZQMC", code_field="XZQDM")
    before = repo.wells_frame(demo_store).township_code.value_counts()
    change = boundaries.preview_membership(demo_store, prepared)
    assert change.changed["wells"] == 3000 and repo.current_boundaries(demo_store)[0].id == 1
    assert (repo.wells_frame(demo_store).township_code.value_counts() == before).all()  # nothing stored
    out = change.to_json()
    assert {"code", "name", "area_km2", "wells", "leads", "monitoring_wells"} <= set(out["townships"][0])


def test_a_registry_row_whose_township_code_disagrees_with_its_position_is_placed_by_position(demo_store):
    from gwmap.io.tables import read_table
    from gwmap.registry import check_registry, registry_xlsx

    _, tw, outline = repo.current_boundaries(demo_store)
    wells = repo.wells_frame(demo_store).head(4).copy()
    right = wells.township_code.iloc[0]
    wrong = next(c for c in tw.code if c != right)
    wells.loc[wells.index[0], "township_code"] = wrong
    df, _ = read_table(registry_xlsx(wells), "台账.xlsx")
    check = check_registry(df, townships=tw, outline=outline)
    assert check.clean and check.township_notices == ((2, wrong, right),)
    assert check.rows[0]["township_code"] == right


def test_a_gcj02_file_without_a_declared_crs_gets_the_suggestion(demo_store):
    from gwmap.crs import wgs84_to_gcj02

    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")[["code", "name", "geometry"]]
    shifted = tw.assign(geometry=shapely.transform(tw.geometry.to_numpy(),
                                                   lambda c: np.column_stack(wgs84_to_gcj02(c[:, 0], c[:, 1]))))
    before = repo.wells_frame(demo_store).set_index("well_code").township_code
    data = shifted.to_json().encode()  # a phone-map export: GCJ-02 numbers, no CRS said
    info, notes, change = boundaries.import_boundary_file(demo_store, ADMIN, data, "高德导出.geojson", crs=None,
                                                    name_field="name", code_field="code")
    hint = dict(notes).get("warn.boundary.maybe_gcj02")
    assert hint is not None and 300 <= float(hint["offset_m"].replace(",", "")) <= 700
    assert float(hint["after_m"].replace(",", "")) < 50  # centroids compared: a few metres to tens
    # declared as GCJ-02 it lands where the old version was: no suggestion, nobody changes township
    info, notes, change = boundaries.import_boundary_file(demo_store, ADMIN, data, "高德导出.geojson", crs="gcj02",
                                                    name_field="name", code_field="code")
    assert "warn.boundary.maybe_gcj02" not in dict(notes)
    after = repo.wells_frame(demo_store).set_index("well_code").township_code
    assert (after != before.reindex(after.index)).sum() <= 2  # back where they were (a well on a line at most)


@pytest.mark.parametrize("kind", ODD_VERSIONS)
def test_per_township_figures_hold_on_an_odd_stored_version(demo_store, kind):
    """Every well counts in one township of the version (or in none), and the ranking lists each township once."""
    import geopandas as gpd

    from gwmap.boundaries import PreparedBoundaries, save_boundaries
    from gwmap.crs import area_crs
    from gwmap.registry import rollup_sql
    from gwmap.targets import township_ranking

    tw = odd_townships(kind)
    outline = shapely.union_all(tw.geometry.to_numpy())
    area = float(gpd.GeoSeries([outline], crs=4326).to_crs(area_crs()).area.iloc[0] / 1e6)
    save_boundaries(demo_store, ADMIN, PreparedBoundaries(tw, outline, area), source_name=f"odd: {kind}")
    _, stored, _ = repo.current_boundaries(demo_store)
    wells = repo.wells_frame(demo_store)
    inside = gpd.sjoin(gpd.GeoDataFrame(wells, geometry=gpd.points_from_xy(wells.lon, wells.lat), crs=4326),
                       stored[["code", "geometry"]], predicate="within")
    expected = inside.groupby("code").size()
    roll = rollup_sql(demo_store).set_index("township_code")
    got = roll["wells"].reindex(expected.index).fillna(0).astype(int)
    assert got.to_dict() == expected.to_dict()
    ranking = township_ranking(demo_store, stored)
    assert sorted(ranking["code"]) == sorted(stored["code"])
