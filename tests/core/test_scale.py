"""Synthetic wells in bulk (``init --demo --scale-wells N``): in the county, in their township, reproducible."""

import geopandas as gpd
import pytest

from gwmap.errors import InputDataError
from gwmap.scale import add_synthetic_wells
from gwmap.store import repo
from gwmap.store.users import system_user

CLI = system_user("cli")


def test_synthetic_wells_lie_in_the_county_and_in_their_township(demo_store):
    assert add_synthetic_wells(demo_store, CLI, 3_000) == 3_000
    wells = repo.wells_frame(demo_store)
    made = wells[wells.well_code.str.contains("S")]
    assert len(wells) == 6_000 and len(made) == 3_000 and made.well_code.is_unique
    _, tw, outline = repo.current_boundaries(demo_store)
    pts = gpd.GeoDataFrame(made, geometry=gpd.points_from_xy(made.lon, made.lat), crs=4326)
    assert pts.within(outline).all()
    joined = gpd.sjoin(pts, tw[["code", "geometry"]], predicate="within")
    assert (joined["township_code"] == joined["code"]).all() and len(joined) == 3_000
    # every township gets wells in proportion to its area (within sampling noise)
    share = made.township_code.value_counts(normalize=True)
    area = tw.set_index("code").to_crs(6933).area
    assert (share - area / area.sum()).abs().max() < 0.02
    assert set(made["use"]) <= {"irrigation", "industry", "domestic", "public_supply", "other"}
    assert (made["use"] == "irrigation").mean() == pytest.approx(0.82, abs=0.03)


def test_the_same_count_again_adds_nothing_and_more_extends_the_same_set(demo_store):
    add_synthetic_wells(demo_store, CLI, 1_000)
    first = repo.wells_frame(demo_store).set_index("well_code")[["lon", "lat"]]
    assert add_synthetic_wells(demo_store, CLI, 1_000) == 0
    assert add_synthetic_wells(demo_store, CLI, 1_500) == 500
    again = repo.wells_frame(demo_store).set_index("well_code")[["lon", "lat"]]
    assert len(again) == 4_500 and again.loc[first.index].equals(first)
    # well i depends on the seed and i alone: 1,000 then 1,500 is the same set as 1,500 at once
    import numpy as np
    import shapely

    from gwmap.scale import _block

    _, tw, outline = repo.current_boundaries(demo_store)
    fresh = _block(np.random.default_rng([840_000, 0]), 0, outline, shapely.STRtree(tw.geometry.to_numpy()),
                   tw["code"].to_numpy())[:1_500]
    assert [(r["lon"], r["lat"]) for r in fresh] == list(again.loc[[r["well_code"] for r in fresh]].itertuples(
        index=False, name=None))


@pytest.mark.parametrize("n", [-1, 5_000_001])
def test_an_impossible_count_is_refused_before_anything_is_stored(demo_store, n):
    with pytest.raises(InputDataError) as exc:
        add_synthetic_wells(demo_store, CLI, n)
    assert exc.value.code == "err.scale.count"
    assert repo.counts(demo_store)["wells"] == 3_000
