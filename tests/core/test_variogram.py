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


def test_the_method_is_chosen_by_the_error_on_the_wells_left_out(short_range):
    from gwmap.surface import IDW_POWERS, choose_method

    d = short_range
    c = choose_method(d.x, d.y, d.z, max_loo=400)
    assert {f"idw:p{p:g}" for p in IDW_POWERS} <= set(c.loo_rmse)
    assert {f"kriging:{m}{how}" for m in ("spherical", "exponential", "gaussian") for how in ("", ":ols")} <= set(c.loo_rmse)
    again = (cross_validate(d.x, d.y, d.z, method="kriging", variogram=c.variogram, neighbours=c.neighbours).rmse
             if c.method == "kriging" else cross_validate(d.x, d.y, d.z, method="idw", power=c.power).rmse)
    assert again == pytest.approx(c.loo_rmse[c.label])  # the score it was chosen on, computed anew
    plain = [v for k, v in c.loo_rmse.items() if ":gaussian" not in k]
    assert c.loo_rmse[c.label] <= min(plain) * 1.0001 or ":gaussian" in c.label


def test_a_fit_on_a_bound_is_never_chosen_silently():
    from gwmap.surface import choose_method

    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 20_000, 150), rng.uniform(0, 20_000, 150)
    z = x / 1000 + rng.normal(0, 0.05, 150)  # a regional slope: no sill within the area
    c = choose_method(x, y, z)
    hmax = empirical_variogram(x, y, z).lags_m.max()
    assert any(c.fit.candidates[m].range_m >= 0.99 * 3 * hmax for m in c.fit.candidates)  # some fits hit the bound
    if c.method == "kriging":
        v = c.variogram
        on_bound = v.range_m >= 0.99 * 3 * hmax or v.nugget >= 0.95 * v.sill
        assert on_bound == any(w[0] in ("warn.variogram.range_long", "warn.variogram.nugget") for w in c.warnings)
        assert not on_bound  # a sound fit predicted about as well: the one on the bound was passed over
    else:
        assert [w[0] for w in c.warnings] == ["warn.variogram.idw_better"]
