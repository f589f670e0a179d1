"""Variogram fits: pair-count weights, the family chosen by leave-one-out error, fits that end on a bound,
and kriging error against PyKrige and GSTools each with its own fit (``bench/bench_variogram.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from gwmap.crs import area_crs
from gwmap.surface import EmpiricalVariogram, Variogram, cross_validate, empirical_variogram, fit_variogram, interpolate

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import bench_variogram as bv  # noqa: E402


def test_a_lag_of_few_pairs_barely_moves_the_fit():
    """The same wild lag moves the fit a little when it holds 3 pairs and a lot when it holds 30,000."""
    v = Variogram("spherical", psill=4.0, range_m=3000.0, nugget=0.5)
    h = np.linspace(200, 6000, 15)
    g = v.gamma(h)
    pairs = np.full(15, 3000)

    def fitted(wild_pairs):
        gg, pp = g.copy(), pairs.copy()
        gg[2], pp[2] = 12.0, wild_pairs  # a semivariance three times the sill at 1,000 m
        return fit_variogram(EmpiricalVariogram(h, gg, pp), "spherical").variogram

    few, many = fitted(3), fitted(30_000)
    assert few.sill == pytest.approx(v.sill, rel=0.05) and few.range_m == pytest.approx(3000, rel=0.1)
    assert abs(many.gamma(1000.0) - v.gamma(1000.0)) > 5 * abs(few.gamma(1000.0) - v.gamma(1000.0))


@pytest.fixture(scope="module")
def short_range():
    return bv.generated("short range", model="exponential", len_scale=600.0, seed=12)


def test_the_family_is_chosen_by_leave_one_out_error(short_range):
    d = short_range
    fit = fit_variogram(empirical_variogram(d.x, d.y, d.z), points=(d.x, d.y, d.z))
    assert fit.chosen_by == "loo" and set(fit.loo_rmse) == {"spherical", "exponential", "gaussian"}
    # the field is exponential; the spherical fit has a (slightly) smaller misfit but predicts left-out wells worse
    assert fit.variogram.model == "exponential"
    assert fit.misfit["spherical"] < fit.misfit["exponential"]
    assert fit.loo_rmse["exponential"] == min(fit.loo_rmse.values())
    for m, v in fit.candidates.items():  # the scores are the kriging cross-validation of each candidate
        assert fit.loo_rmse[m] == pytest.approx(cross_validate(d.x, d.y, d.z, method="kriging", variogram=v).rmse)
    assert fit.warnings == ()


def test_leave_one_out_on_a_sample_of_many_wells():
    rng = np.random.default_rng(4)
    x, y = rng.uniform(0, 40_000, 5000), rng.uniform(0, 40_000, 5000)
    z = 10 + 3 * np.sin(x / 4000) + rng.normal(0, 0.1, 5000)
    fit = fit_variogram(empirical_variogram(x, y, z), points=(x, y, z), max_loo=500)
    at = np.sort(np.random.default_rng(0).choice(5000, 500, replace=False))
    v = fit.candidates["spherical"]
    assert fit.loo_rmse["spherical"] == pytest.approx(
        cross_validate(x, y, z, method="kriging", variogram=v, at=at).rmse)
    assert cross_validate(x, y, z, method="kriging", variogram=v, at=at).n == 500


def test_a_range_longer_than_the_area_is_reported_with_a_suggestion():
    d = bv.generated("long range", model="gaussian", len_scale=40_000.0, variance=4.0, noise=0.01, seed=13)
    fit = fit_variogram(empirical_variogram(d.x, d.y, d.z), points=(d.x, d.y, d.z))
    assert [c for c, _ in fit.warnings] == ["warn.variogram.range_long"]
    assert fit.variogram.range_m == pytest.approx(3 * fit.empirical.lags_m.max(), rel=0.01)


def test_pure_noise_is_reported_as_a_nugget_and_reaches_the_surface():
    rng = np.random.default_rng(8)
    x, y = rng.uniform(-15_000, 15_000, 300), rng.uniform(-15_000, 15_000, 300)
    pts = gpd.GeoDataFrame({"depth_m": 10 + rng.normal(0, 1, 300)}, geometry=gpd.points_from_xy(x, y),
                           crs=area_crs()).to_crs(4326)
    s = interpolate(pts, "depth_m", method="kriging", cell_m=500)
    codes = [c for c, _ in s.warnings]
    assert "warn.variogram.nugget" in codes
    share = float(dict(s.warnings)["warn.variogram.nugget"]["share"])
    assert share >= 95


# ---------------------------------------------------------------- peers, each with its own fit
PEER_SETS = [("walker", None), ("large nugget", dict(model="exponential", len_scale=3000.0, noise=1.0, seed=11)),
             ("short range", dict(model="exponential", len_scale=600.0, seed=12)),
             ("long range", dict(model="gaussian", len_scale=40_000.0, variance=4.0, noise=0.01, seed=13))]


@pytest.mark.parametrize("name, spec", PEER_SETS, ids=[p[0] for p in PEER_SETS])
def test_kriging_error_within_2_percent_of_the_best_peer(name, spec):
    pytest.importorskip("pykrige")
    pytest.importorskip("gstools")
    if spec is None:
        d = bv.walker_lake()
        if d is None:
            pytest.skip("shared/reference/walker_lake not present")
    else:
        d = bv.generated(name, **spec)
    r = bv.compare(bv.thin(d, 2))
    print(f"{name}: gwmap {r['gwmap']:.4f} ({r['gwmap_model']}), best of PyKrige/GSTools {r['best_peer']:.4f}, "
          f"ratio {r['ratio']:.3f}")
    assert r["ratio"] <= 1.02
