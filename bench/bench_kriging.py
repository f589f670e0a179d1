"""Kriging, variogram and cone speed against PyKrige, in one process; ratios printed.

Targets (issue 3):
- ordinary kriging of 2,000 wells onto 400x400 cells with 32 neighbours at least 2x faster than
  PyKrige's C backend (``n_closest_points=32``) with the same variogram, hold-out RMSE no worse
  than PyKrige's + 2%;
- variogram estimation and fit for 10,000 wells under 1 s;
- cone area and outline from a 400x400 surface under 100 ms;
- peak memory for 10,000 wells under 1 GB.

Run ``make bench`` or ``python bench/bench_kriging.py``.  The field is smooth with noise; the
hold-out is the known field at every grid cell (no well sits on a cell centre).
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.surface import Grid, SurfaceResult, Variogram, empirical_variogram, fit_variogram, krige  # noqa: E402


def field(x, y):
    return 10 + 3 * np.sin(x / 4000) + 2 * np.cos(y / 3000) + np.sin((x + y) / 2500)


def wells(n, seed=1):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(0, 40_000, n), rng.uniform(0, 40_000, n)
    return x, y, field(x, y) + rng.normal(0, 0.05, n)


def best_of(fn, repeat=3):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_kriging():
    from pykrige.ok import OrdinaryKriging

    x, y, z = wells(2000)
    gx, gy = np.linspace(50, 39_950, 400), np.linspace(39_950, 50, 400)
    truth = field(gx[None, :], gy[:, None])
    v = Variogram("spherical", psill=9.0, range_m=15_000.0, nugget=0.01)
    t_ours, (ours, _) = best_of(lambda: krige(x, y, z, gx, gy, v, neighbours=32))
    ok = OrdinaryKriging(x, y, z, variogram_model="spherical",
                         variogram_parameters={"sill": v.sill, "range": v.range_m, "nugget": v.nugget})
    t_theirs, (theirs, _) = best_of(lambda: ok.execute("grid", gx, gy[::-1], backend="C", n_closest_points=32), 2)
    theirs = np.asarray(theirs)[::-1]
    r_ours = float(np.sqrt(np.mean((ours - truth) ** 2)))
    r_theirs = float(np.sqrt(np.mean((theirs - truth) ** 2)))
    print("ordinary kriging, 2,000 wells -> 400x400 cells, 32 neighbours, same spherical variogram")
    print(f"  gwmap   {t_ours:6.2f} s   hold-out RMSE {r_ours:.4f}")
    print(f"  PyKrige {t_theirs:6.2f} s   hold-out RMSE {r_theirs:.4f}   (C backend, n_closest_points=32)")
    print(f"  speed-up {t_theirs / t_ours:.1f}x (target >= 2x); RMSE ratio {r_ours / r_theirs:.3f} (target <= 1.02)")


def bench_variogram():
    from pykrige.ok import OrdinaryKriging

    x, y, z = wells(10_000, seed=2)
    t_ours, fit = best_of(lambda: fit_variogram(empirical_variogram(x, y, z), points=(x, y, z)))
    t0 = time.perf_counter()
    OrdinaryKriging(x, y, z, variogram_model="spherical", nlags=15)
    t_theirs = time.perf_counter() - t0
    print("variogram estimation and fit, 10,000 wells (three models fitted, chosen by leave-one-out error on 2,000)")
    print(f"  gwmap   {t_ours:6.2f} s  -> {fit.variogram.model}, range {fit.variogram.range_m:,.0f} m (target < 1 s)")
    print(f"  PyKrige {t_theirs:6.2f} s  (OrdinaryKriging construction: all pairs, spherical only)")
    print(f"  speed-up {t_theirs / t_ours:.1f}x")


def bench_cone():
    from pyproj import CRS

    from gwmap.cone import cone_from_surface
    from gwmap.surface import CrossValidation

    g = Grid.covering(0, 0, 40_000, 40_000, 100)
    xx, yy = np.meshgrid(g.xs, g.ys)
    depth = 5 + 15 * np.exp(-(np.hypot(xx - 20_000, yy - 20_000) / 10_000) ** 2)
    surf = SurfaceResult(depth, None, np.zeros(depth.shape, bool), g, CRS.from_epsg(4548), "kriging", {},
                         CrossValidation.from_residuals("kriging", np.zeros(1)))
    t, cone = best_of(lambda: cone_from_surface(surf, kind="depth", threshold=12.0), 5)
    true = np.pi * (10_000 * np.sqrt(np.log(15 / 7))) ** 2 / 1e6
    print(f"cone from a {g.ny}x{g.nx} surface: {t * 1000:.0f} ms (target < 100 ms); "
          f"area {cone.area_km2:.1f} km2 vs analytic {true:.1f} km2 (GK plane vs equal-area)")


def bench_memory():
    code = ("import sys; sys.path.insert(0, {!r}); sys.path.insert(0, {!r});"
            "from bench_kriging import wells; from gwmap.surface import *; import numpy as np;"
            "x, y, z = wells(10_000, seed=3);"
            "v = fit_variogram(empirical_variogram(x, y, z), points=(x, y, z)).variogram;"
            "krige(x, y, z, np.linspace(50, 39950, 400), np.linspace(39950, 50, 400), v);"
            "cross_validate(x, y, z, method='kriging', variogram=v);"
            # VmHWM belongs to this process's own memory map (ru_maxrss would include the parent's)
            "print([ln.split()[1] for ln in open('/proc/self/status') if ln.startswith('VmHWM')][0])"
            ).format(str(ROOT), str(ROOT / "bench"))
    kb = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    print(f"peak memory, 10,000 wells (fit, krige 400x400, cross-validate): {kb / 1024:.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}; maxrss so far "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB\n")
    bench_kriging()
    bench_variogram()
    bench_cone()
    bench_memory()
