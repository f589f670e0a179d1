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
    from gwmap.surface import IDW_POWERS, WINDOW, choose_method

    d = short_range
    c = choose_method(d.x, d.y, d.z, max_loo=400)
    assert {f"idw:p{p:g}" for p in IDW_POWERS} <= set(c.loo_rmse)
    assert {f"kriging:{m}{how}" for m in ("spherical", "exponential", "gaussian") for how in ("", ":ols")} <= set(c.loo_rmse)
    best = min(c.loo_rmse, key=c.loo_rmse.get)
    assert c.name == best
    # the members are exactly those within 5% of the best, and each score is its cross-validation computed anew
    assert set(c.members) == {n for n, e in c.loo_rmse.items() if e <= WINDOW * c.loo_rmse[best]}
    for name in c.members:
        m = c.candidates[name]
        again = (cross_validate(d.x, d.y, d.z, method="kriging", variogram=m.variogram, neighbours=m.neighbours).rmse
                 if m.method == "kriging" else cross_validate(d.x, d.y, d.z, method="idw", power=m.power).rmse)
        assert again == pytest.approx(c.loo_rmse[name])
    # the average's own leave-one-out error: the mean of the members' left-out predictions against the wells
    preds = []
    for name in c.members:
        m = c.candidates[name]
        r = cross_validate(d.x, d.y, d.z, method=m.method, variogram=m.variogram, power=m.power,
                           neighbours=m.neighbours if m.method == "kriging" else None).residuals
        preds.append(d.z + r)
    assert c.loo_average == pytest.approx(float(np.sqrt(np.mean((np.mean(preds, axis=0) - d.z) ** 2))))
    assert c.loo_average <= c.loo_rmse[best] * 1.01


def test_leave_one_out_with_every_well_matches_solving_each_system():
    """Dubrule's one-inverse shortcut gives what leaving each well out and solving its own system gives."""
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 5000, 40), rng.uniform(0, 5000, 40)
    z = np.sin(x / 900) + rng.normal(0, 0.2, 40)
    v = Variogram("spherical", psill=0.5, range_m=2500.0, nugget=0.05)
    fast = cross_validate(x, y, z, method="kriging", variogram=v, neighbours=39).residuals
    slow = []
    for i in range(40):
        keep = np.arange(40) != i
        xs, ys, zs = x[keep], y[keep], z[keep]
        h = np.hypot(xs[:, None] - xs[None, :], ys[:, None] - ys[None, :])
        a = np.ones((40, 40))
        a[:39, :39] = v.sill - np.where(h > 0, v.nugget + v.psill * (1.5 * np.clip(h / 2500, 0, 1)
                                                                      - 0.5 * np.clip(h / 2500, 0, 1) ** 3), 0)
        a[39, 39] = 0
        h0 = np.hypot(xs - x[i], ys - y[i])
        b = np.append(v.sill - (v.nugget + v.psill * (1.5 * np.clip(h0 / 2500, 0, 1) - 0.5 * np.clip(h0 / 2500, 0, 1) ** 3)), 1)
        w = np.linalg.solve(a, b)
        slow.append(w[:39] @ zs - z[i])
    assert fast == pytest.approx(np.array(slow), abs=1e-6)


def test_a_fit_on_a_bound_is_never_chosen_silently():
    from gwmap.surface import choose_method

    rng = np.random.default_rng(3)
    x, y = rng.uniform(0, 20_000, 150), rng.uniform(0, 20_000, 150)
    z = x / 1000 + rng.normal(0, 0.05, 150)  # a regional slope: no sill within the area
    c = choose_method(x, y, z)
    hmax = empirical_variogram(x, y, z).lags_m.max()
    assert any(c.fit.candidates[m].range_m >= 0.99 * 3 * hmax for m in c.fit.candidates)  # some fits hit the bound
    codes = [w[0] for w in c.warnings]
    for name in c.members:  # every member used on a bound says so
        v = c.candidates[name].variogram
        if v is not None and v.range_m >= 0.99 * 3 * hmax:
            assert "warn.variogram.range_long" in codes
        if v is not None and v.nugget >= 0.95 * v.sill:
            assert "warn.variogram.nugget" in codes
    assert ("warn.surface.averaged" in codes) == (len(c.members) > 1)


def test_a_surface_by_cross_validation_is_the_average_it_names():
    """method="auto": the surface is the mean of its members' surfaces, its RMSE the average's leave-one-out."""
    from gwmap.surface import choose_method, idw, krige

    d = bv.generated("short range", model="exponential", len_scale=600.0, n=150, seed=21)
    pts = gpd.GeoDataFrame({"depth_m": d.z}, geometry=gpd.points_from_xy(d.x + 500_000, d.y + 4_000_000),
                           crs="EPSG:4548")
    s = interpolate(pts, "depth_m", method="auto", cell_m=400)
    c = choose_method(d.x + 500_000, d.y + 4_000_000, d.z)
    assert s.params["method"] == "auto" and s.params["members"] == list(c.members)
    assert s.cv.rmse == pytest.approx(c.loo_average)
    xs, ys = s.grid.xs, s.grid.ys
    surfaces = []
    for name in c.members:
        m = c.candidates[name]
        surfaces.append(krige(d.x + 500_000, d.y + 4_000_000, d.z, xs, ys, m.variogram, neighbours=m.neighbours)[0]
                        if m.method == "kriging" else idw(d.x + 500_000, d.y + 4_000_000, d.z, xs, ys, power=m.power))
    assert np.nanmax(np.abs(s.values - np.mean(surfaces, axis=0))) < 1e-9
    assert ("warn.surface.averaged" in dict(s.warnings)) == (len(c.members) > 1)


@pytest.mark.parametrize("seed", [7, 18])
def test_when_idw_scores_best_the_message_says_whether_it_stands_alone_or_is_averaged(seed):
    """Two plateaus with a sharp step between them (a fault, a river): IDW can predict the wells left out best.
    Alone it is the surface ("the surface is IDW"); averaged with kriging fits within the window, it is not."""
    from gwmap.i18n import translate as t
    from gwmap.surface import choose_method

    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 20_000, 60), rng.uniform(0, 20_000, 60)
    z = np.where(x + 0.3 * y > 12_000, 10.0, 0.0) + rng.normal(0, 0.2, 60)
    c = choose_method(x, y, z)
    assert c.name.startswith("idw:")
    kriging_rmse = min(e for name, e in c.loo_rmse.items() if name.startswith("kriging:"))
    assert c.loo_rmse[c.name] < kriging_rmse
    said = dict(c.warnings)
    if any(name.startswith("kriging:") for name in c.members):  # seed 18
        assert "warn.variogram.idw_better" not in said and c.method == "average"
        text = t("warn.variogram.idw_best_averaged", "zh", **said["warn.variogram.idw_best_averaged"])
        assert "平均" in text and f"{kriging_rmse:.4g}" in text
    else:  # seed 7
        assert "warn.variogram.idw_best_averaged" not in said and c.method == "idw"
        assert "反距离加权" in t("warn.variogram.idw_better", "zh", **said["warn.variogram.idw_better"])
