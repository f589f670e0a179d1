"""Route quality and speed against the best peers, in the same process (issue 10).

Run ``make bench`` or ``python bench/bench_routing.py [--quick]``.  It prints ratios:

* one team, random stops (100, 300, 1,000; fixed seeds) on 30 km × 30 km: gwmap's tour (1.8 s) against
  LKH-3 (elkai), fast-tsp called directly and OR-Tools' guided local search (what gwmap used before), all
  as length / LKH's length.  Target: gwmap ≤ 1.01 in ≤ 2 s.
* 300 stops, 4 teams, a day long enough for all: gwmap against k-means + LKH on each cluster, the longest
  day and the total distance.  Target: longest day ≤ 1.15 × the mean day.
* 300 stops, 4 teams, 8 h, 15 min a stop, random urgency: what is kept (by urgency) and the days.
* 5,000 stops, 4 teams, 8 h: the wall time from coordinates to routes.  Target: ≤ 30 s.
* TSPLIB (``../shared/reference/tsp``): gap to the published optimum and to LKH.

elkai wraps LKH, whose licence allows research use only; it is a benchmark dependency, never gwmap's.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.dispatch import time_limit_for  # noqa: E402
from gwmap.routing import euclidean_matrix, solve  # noqa: E402

TSP = ROOT.parent / "shared" / "reference" / "tsp"
OPTIMA = {"eil51": 426, "berlin52": 7542, "st70": 675}


def tour_length(m: np.ndarray, tour: list[int]) -> int:
    t = np.asarray(tour)
    return int(m[t, np.roll(t, -1)].sum())


def lkh(m: np.ndarray, runs: int = 3) -> tuple[int, float]:
    import elkai

    t0 = time.perf_counter()
    tour = elkai.DistanceMatrix(m.tolist()).solve_tsp(runs=runs)[:-1]
    return tour_length(m, tour), time.perf_counter() - t0


def fast_tsp_direct(m: np.ndarray, seconds: float) -> int:
    import fast_tsp

    scale = int(np.ceil(m.max() / 65_535)) if m.max() > 65_535 else 1
    tour = fast_tsp.find_tour(np.rint(m / scale).astype(np.int64), seconds, max_threads=2)
    return tour_length(m, tour)


def ortools_tour(m: np.ndarray, seconds: float) -> int:
    """OR-Tools as gwmap called it before issue 10: savings, then guided local search."""
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    mgr = pywrapcp.RoutingIndexManager(len(m), 1, 0)
    model = pywrapcp.RoutingModel(mgr)
    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(m.tolist()))
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.SAVINGS
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    sol = model.SolveWithParameters(params)
    idx, tour = model.Start(0), []
    while not model.IsEnd(idx):
        tour.append(mgr.IndexToNode(idx))
        idx = sol.Value(model.NextVar(idx))
    return tour_length(m, tour)


def single_tours(sizes: list[int]) -> None:
    print("One team, random stops on 30 km × 30 km: length / LKH's length (target gwmap ≤ 1.010 in ≤ 2 s)")
    print(f"{'stops':>6} {'LKH m':>9} {'LKH s':>6} | {'gwmap':>6} {'s':>5} | {'fast-tsp':>8} | {'OR-Tools':>8}")
    print(f"{'':>6} {'':>9} {'':>6} | {'':>6} {'':>5} | {'(1.8 s)':>8} | {'(1.8 s)':>8}")
    for n in sizes:
        m = euclidean_matrix(np.random.default_rng(n).uniform(0, 30_000, (n, 2)), rounding="nint")
        ref, ref_s = lkh(m, runs=3 if n <= 300 else 1)
        t0 = time.perf_counter()
        plan = solve(m, time_limit_s=1.8)
        dt = time.perf_counter() - t0
        print(f"{n:>6} {ref:>9,} {ref_s:>6.1f} | {plan.length_m / ref:>6.4f} {dt:>5.2f} | "
              f"{fast_tsp_direct(m, 1.8) / ref:>8.4f} | {ortools_tour(m, 1.8) / ref:>8.4f}")


def _days(m_s: np.ndarray, routes: list[list[int]], service_s: int) -> np.ndarray:
    out = []
    for r in routes:
        p = np.asarray([0, *r, 0])
        out.append(m_s[p[:-1], p[1:]].sum() + service_s * len(r))
    return np.asarray(out, dtype=float) / 3600


def kmeans_lkh(xy: np.ndarray, m: np.ndarray, teams: int) -> list[list[int]]:
    """The baseline a GIS analyst would build: k-means clusters of the stops, LKH on each with the start."""
    from scipy.cluster.vq import kmeans2

    _, label = kmeans2(xy[1:], teams, seed=1, minit="++")
    routes = []
    for k in range(teams):
        sub = [0, *(np.flatnonzero(label == k) + 1)]
        import elkai

        tour = elkai.DistanceMatrix(m[np.ix_(sub, sub)].tolist()).solve_tsp(runs=3)[:-1]
        i = tour.index(0)
        routes.append([sub[j] for j in (tour[i:] + tour[:i])[1:]])
    return routes


def teams_long_day(seeds: int) -> None:
    print("\n300 stops, 4 teams, a day long enough for all (10 min a stop, 30 km/h, detour 1.3), "
          f"{seeds} random layouts: gwmap against k-means + LKH on each cluster (target: longest/mean ≤ 1.15)")
    ratios = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        xy = np.vstack([[20_000, 20_000], rng.uniform(0, 40_000, (300, 2))])
        m = euclidean_matrix(xy, detour=1.3)
        m_s = np.rint(m / (30 / 3.6)).astype(np.int64)
        t0 = time.perf_counter()
        base = kmeans_lkh(xy, m, 4)
        base_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        plan = solve(m, teams=4, day_min=24 * 60, speed_kmh=30, service_min=10, time_limit_s=3)
        ours_s = time.perf_counter() - t0
        db, dg = _days(m_s, base, 600), _days(m_s, [r.stops for r in plan.routes], 600)
        kb, kg = sum(tour_length(m, [0, *r]) for r in base) / 1000, plan.length_m / 1000
        ratios.append((dg.max() / db.max(), kg / kb))
        print(f"  layout {seed}: k-means+LKH longest {db.max():5.2f} h (÷ mean {db.max() / db.mean():.3f}), {kb:6.1f} km,"
              f" {base_s:.1f} s | gwmap longest {dg.max():5.2f} h (÷ mean {dg.max() / dg.mean():.3f}), {kg:6.1f} km,"
              f" {ours_s:.1f} s | ratio longest {ratios[-1][0]:.3f}, total {ratios[-1][1]:.3f}")
    r = np.asarray(ratios)
    print(f"  gwmap ÷ k-means+LKH, mean of {seeds}: longest day {r[:, 0].mean():.3f}, total distance {r[:, 1].mean():.3f}")


def teams_short_day() -> None:
    print("\n300 stops, 4 teams, 8 h, 15 min a stop, urgency 0-3 at random")
    rng = np.random.default_rng(0)
    xy = np.vstack([[20_000, 20_000], rng.uniform(0, 40_000, (300, 2))])
    pr = np.concatenate([[0], rng.integers(0, 4, 300)])
    plan = solve(euclidean_matrix(xy, detour=1.3), teams=4, day_min=480, speed_kmh=30, service_min=15, priority=pr,
                 time_limit_s=3)
    visited = [s for r in plan.routes for s in r.stops]
    kept = np.bincount(pr[visited], minlength=4)[::-1]
    late = sum(1 for r in plan.routes for s, a in zip(r.stops, r.arrival_s, strict=True) if pr[s] == 3 and a > 4 * 3600)
    print(f"  visited {len(visited)} (overdue {kept[0]}, leads {kept[1]}, sealed {kept[2]}, spot {kept[3]}); "
          f"overdue after midday {late}; days {[round(r.duration_s / 3600, 2) for r in plan.routes]} h; "
          f"{plan.seconds:.1f} s")


def big_day(n: int) -> None:
    print(f"\n{n:,} stops, 4 teams: from coordinates to routes (target ≤ 30 s)")
    rng = np.random.default_rng(5)
    xy = np.vstack([[20_000, 20_000], rng.uniform(0, 40_000, (n, 2))])
    pr = np.concatenate([[0], rng.integers(0, 4, n)])
    for label, day in (("8 h, 20 min a stop", 480), ("every stop, no day limit", None)):
        t0 = time.perf_counter()
        plan = solve(euclidean_matrix(xy, detour=1.3), teams=4, day_min=day, speed_kmh=30,
                     service_min=20 if day else 0, priority=pr, time_limit_s=time_limit_for(n))
        dt = time.perf_counter() - t0
        visited = sum(len(r.stops) for r in plan.routes)
        days = np.array([r.duration_s for r in plan.routes]) / 3600
        print(f"  {label}: {dt:.1f} s; {visited:,} visited, {len(plan.dropped):,} left for other days (each with its "
              f"reason); longest day / mean {days.max() / days.mean():.3f}")


def read_tsp(path: Path) -> np.ndarray:
    text = path.read_text().split("NODE_COORD_SECTION")[1].split("EOF")[0]
    return np.array([[float(v) for v in line.split()[1:3]] for line in text.strip().splitlines()])


def tsplib() -> None:
    if not TSP.is_dir():
        print("\nshared/reference/tsp not found; TSPLIB part skipped")
        return
    print("\nTSPLIB: gap to the published optimum; length / LKH's")
    for name, opt in OPTIMA.items():
        m = euclidean_matrix(read_tsp(TSP / f"{name}.tsp"), rounding="nint")
        ref, _ = lkh(m)
        t0 = time.perf_counter()
        plan = solve(m, time_limit_s=1.8)
        dt = time.perf_counter() - t0
        print(f"  {name:9s} {plan.length_m:7.0f}  optimum {opt:5d}  gap {100 * (plan.length_m / opt - 1):5.2f}%"
              f"  / LKH {plan.length_m / ref:.3f}  {dt:4.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="100 and 300 stops only, 1,000 for the big day")
    args = ap.parse_args()
    single_tours([100, 300] if args.quick else [100, 300, 1000])
    teams_long_day(2 if args.quick else 5)
    teams_short_day()
    big_day(1000 if args.quick else 5000)
    tsplib()


if __name__ == "__main__":
    main()
