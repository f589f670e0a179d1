"""Kriging and IDW: invariants, outside references (KT3D, Walker Lake, PyKrige), analytic fields."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from gwmap.crs import area_crs
from gwmap.errors import InputDataError
from gwmap.surface import Grid, Variogram, cross_validate, empirical_variogram, fit_variogram, idw, interpolate, krige
from tests.conftest import REFERENCE

KRIGING = REFERENCE / "kriging"
WALKER = REFERENCE / "walker_lake"
needs_kriging_ref = pytest.mark.skipif(not KRIGING.is_dir(), reason="shared/reference/kriging not present")
needs_walker = pytest.mark.skipif(not WALKER.is_dir(), reason="shared/reference/walker_lake not present")


def read_asc(path):
    """ESRI ASCII grid with a 2-line footer (as KT3D wrote it): values north row first, and the axes."""
    lines = path.read_text().splitlines()
    hdr = {ln.split()[0].upper(): float(ln.split()[1]) for ln in lines[:7]}
    vals = np.array([[float(v) for v in ln.split()] for ln in lines[7:-2]])
    gx = hdr["XLLCENTER"] + hdr["DX"] * np.arange(int(hdr["NCOLS"]))
    gy = (hdr["YLLCENTER"] + hdr["DY"] * np.arange(int(hdr["NROWS"])))[::-1]
    return vals, gx, gy


@needs_kriging_ref
@pytest.mark.parametrize("block", [1, 4, 7])
def test_ordinary_kriging_reproduces_kt3d(block):
    d = np.loadtxt(KRIGING / "test_data.txt")
    answer, gx, gy = read_asc(KRIGING / "test1_answer.asc")
    v = Variogram("exponential", psill=500.0, range_m=3000.0, nugget=0.0)
    est, std = krige(d[:, 0], d[:, 1], d[:, 2], gx, gy, v, block=block)
    assert np.abs(est - answer).max() < 1e-3
    assert np.isfinite(std).all() and (std > 0).all()


@needs_kriging_ref
def test_kriging_standard_deviation_matches_pykrige():
    pykrige = pytest.importorskip("pykrige.ok")
    d = np.loadtxt(KRIGING / "test_data.txt")
    _, gx, gy = read_asc(KRIGING / "test1_answer.asc")
    v = Variogram("exponential", psill=500.0, range_m=3000.0, nugget=0.0)
    _, std = krige(d[:, 0], d[:, 1], d[:, 2], gx, gy, v)
    ok = pykrige.OrdinaryKriging(d[:, 0], d[:, 1], d[:, 2], variogram_model="exponential",
                                 variogram_parameters=[500.0, 3000.0, 0.0])
    _, ss = ok.execute("grid", gx, gy[::-1])
    assert np.abs(np.sqrt(np.asarray(ss))[::-1] - std).max() < 1e-6


@pytest.fixture(scope="module")
def field():
    rng = np.random.default_rng(11)
    x, y = rng.uniform(0, 20_000, 400), rng.uniform(0, 20_000, 400)
    z = 10 + 3 * np.sin(x / 4000) + 2 * np.cos(y / 3000)
    return x, y, z


def test_kriging_honours_the_data_without_nugget(field):
    x, y, z = (a[:40] for a in field)
    v = Variogram("spherical", psill=10.0, range_m=15_000.0)
    for xi, yi, zi in zip(x[:5], y[:5], z[:5], strict=True):
        est, std = krige(x, y, z, [xi], [yi], v)
        assert est[0, 0] == pytest.approx(zi, abs=1e-6) and std[0, 0] < 1e-3


def test_block_neighbourhoods_barely_change_the_estimate(field):
    x, y, z = field
    v = Variogram("exponential", psill=8.0, range_m=20_000.0, nugget=0.01)
    gx, gy = np.arange(50, 20_000, 200.0), np.arange(19_950, 0, -200.0)
    per_cell, _ = krige(x, y, z, gx, gy, v, neighbours=32, block=1)
    blocked, _ = krige(x, y, z, gx, gy, v, neighbours=32, block=5)
    truth = 10 + 3 * np.sin(gx[None, :] / 4000) + 2 * np.cos(gy[:, None] / 3000)
    rmse = lambda e: float(np.sqrt(np.mean((e - truth) ** 2)))  # noqa: E731
    assert rmse(blocked) <= rmse(per_cell) * 1.02
    assert np.abs(blocked - per_cell).mean() < 0.25 * rmse(per_cell)  # and close everywhere


def test_idw_is_exact_at_wells_and_bounded(field):
    x, y, z = field
    est = idw(x, y, z, x[:3], y[:3])
    assert np.diag(est) == pytest.approx(z[:3])
    grid = idw(x, y, z, np.linspace(0, 20_000, 50), np.linspace(20_000, 0, 50))
    assert z.min() - 1e-9 <= np.nanmin(grid) and np.nanmax(grid) <= z.max() + 1e-9


def test_variogram_fit_finds_the_scale_of_the_field(field):
    x, y, z = field
    fit = fit_variogram(empirical_variogram(x, y, z))
    assert set(fit.misfit) == {"spherical", "exponential", "gaussian"}
    assert fit.variogram.nugget < 0.1 * fit.variogram.sill  # a smooth field has almost no nugget
    assert 2_000 < fit.variogram.range_m < 40_000


def test_large_well_sets_sample_pairs():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1e5, 5000), rng.uniform(0, 1e5, 5000)
    emp = empirical_variogram(x, y, rng.normal(size=5000), max_pairs=200_000)
    assert emp.sampled and emp.pairs.sum() < 200_000
    assert emp.gamma == pytest.approx(np.ones_like(emp.gamma), rel=0.1)  # white noise: gamma = variance


def test_cross_validation_scores(field):
    x, y, z = field
    v = fit_variogram(empirical_variogram(x, y, z)).variogram
    k, i = cross_validate(x, y, z, method="kriging", variogram=v), cross_validate(x, y, z, method="idw")
    assert k.rmse < i.rmse < 1.0 and abs(k.bias) < 0.05
    assert len(k.residuals) == 400 and k.mae <= k.rmse


def test_grid_is_north_up_and_snapped():
    g = Grid.covering(1010, 2020, 1990, 2960, 100)
    assert (g.nx, g.ny) == (10, 10) and g.ys[0] > g.ys[-1]
    assert g.transform @ (0, 0) == (1000.0, 3000.0)  # top-left corner of the top-left cell
    assert g.transform @ (0.5, 0.5) == (g.xs[0], g.ys[0])


@needs_walker
def test_walker_lake_no_worse_than_pykrige():
    pykrige = pytest.importorskip("pykrige.ok")
    lines = (WALKER / "walker.dat").read_text().splitlines()
    nv = int(lines[1].split()[0])
    data = np.array([[float(t) for t in ln.split()] for ln in lines[2 + nv:] if ln.strip()])
    x, y, v = data[:, 1], data[:, 2], data[:, 3]
    ex = pd.read_csv(WALKER / "Exhaustive_set.csv")
    gx, gy = np.arange(1, 261, dtype=float), np.arange(300, 0, -1, dtype=float)
    truth = ex.pivot(index="Y", columns="X", values="V").loc[gy, gx].to_numpy()
    rmse = lambda e: float(np.sqrt(np.mean((e - truth) ** 2)))  # noqa: E731
    fit = fit_variogram(empirical_variogram(x, y, v))
    ours, _ = krige(x, y, v, gx, gy, fit.variogram)
    ours_idw = idw(x, y, v, gx, gy)
    theirs = []
    for model in ("spherical", "exponential"):
        ok = pykrige.OrdinaryKriging(x, y, v, variogram_model=model, nlags=15)
        z, _ = ok.execute("grid", gx, gy[::-1], backend="C", n_closest_points=32)
        theirs.append(rmse(np.asarray(z)[::-1]))
    print(f"Walker Lake V, RMSE against the exhaustive grid: gwmap kriging {rmse(ours):.1f}, "
          f"gwmap IDW {rmse(ours_idw):.1f}, PyKrige spherical {theirs[0]:.1f}, exponential {theirs[1]:.1f}")
    assert rmse(ours) <= min(theirs)
    assert rmse(ours) < rmse(ours_idw)


@pytest.mark.parametrize("method", ["kriging", "idw"])
def test_surface_from_points_with_a_crs(method):
    rng = np.random.default_rng(5)
    x, y = rng.uniform(-15_000, 15_000, 200), rng.uniform(-15_000, 15_000, 200)
    pts = gpd.GeoDataFrame({"depth_m": 8 + x / 5000}, geometry=gpd.points_from_xy(x, y), crs=area_crs()).to_crs(4326)
    pts.loc[0, "depth_m"] = np.nan
    bnd = gpd.GeoSeries([box(-15_000, -15_000, 15_000, 15_000)], crs=area_crs())
    s = interpolate(pts, "depth_m", boundary=bnd, method=method, cell_m=250)
    assert s.crs.to_epsg() == 4548 and s.params["cell_m"] == 250 and s.params["n_wells"] == 199
    assert ("warn.surface.dropped", {"count": 1, "rows": "2"}) in s.warnings  # row 2: the first data row
    assert np.nanmin(s.values) == pytest.approx(5, abs=0.3) and np.nanmax(s.values) == pytest.approx(11, abs=0.3)
    assert 0 < s.extrapolated_share < 0.3
    assert (s.std is not None) == (method == "kriging")


def test_surface_refuses_points_without_crs():
    pts = gpd.GeoDataFrame({"v": [1.0, 2.0, 3.0]}, geometry=gpd.points_from_xy([0, 1, 2], [0, 1, 0]))
    with pytest.raises(InputDataError) as err:
        interpolate(pts, "v")
    assert err.value.code == "err.crs.missing"


def test_too_few_wells_for_kriging_fall_back_to_idw_with_a_warning():
    pts = gpd.GeoDataFrame({"v": [1.0, 2.0, 3.0, 4.0]}, geometry=gpd.points_from_xy(
        [115.4, 115.5, 115.6, 115.5], [36.5, 36.6, 36.5, 36.4]), crs=4326)
    s = interpolate(pts, "v", method="kriging", cell_m=500)
    assert s.method == "idw" and s.warnings[0][0] == "warn.surface.kriging_fallback"
