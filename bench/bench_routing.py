"""Route quality and speed: TSPLIB gaps to optimum and times; 300 stops for 4 teams in a working day.

Run ``make bench`` or ``python bench/bench_routing.py``.  Targets (issue 5): within 1% of the
optimum in under 2 s per instance; 300 stops, 4 teams: an answer in under 5 s.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.routing import euclidean_matrix, solve  # noqa: E402

TSP = ROOT.parent / "shared" / "reference" / "tsp"
OPTIMA = {"eil51": 426, "berlin52": 7542, "st70": 675}


def read_tsp(path: Path) -> np.ndarray:
    text = path.read_text().split("NODE_COORD_SECTION")[1].split("EOF")[0]
    return np.array([[float(v) for v in line.split()[1:3]] for line in text.strip().splitlines()])


def main() -> None:
    if TSP.is_dir():
        for name, opt in OPTIMA.items():
            m = euclidean_matrix(read_tsp(TSP / f"{name}.tsp"), rounding="nint")
            t0 = time.perf_counter()
            plan = solve(m, time_limit_s=1.8)
            dt = time.perf_counter() - t0
            print(f"{name:9s} length {plan.length_m:7.0f}  optimum {opt:5d}  gap {100 * (plan.length_m / opt - 1):5.2f}%"
                  f"  {dt:4.2f} s  (target < 1%, < 2 s)")
    else:
        print("shared/reference/tsp not found; TSPLIB part skipped")
    rng = np.random.default_rng(0)
    xy = np.vstack([[20_000, 20_000], rng.uniform(0, 40_000, (300, 2))])
    t0 = time.perf_counter()
    plan = solve(euclidean_matrix(xy, detour=1.3), teams=4, day_min=480, speed_kmh=30, service_min=15, time_limit_s=3)
    dt = time.perf_counter() - t0
    served = sum(len(r.stops) for r in plan.routes)
    print(f"300 stops, 4 teams, 8 h, 15 min a stop: {dt:.2f} s (target < 5 s); {served} visited, "
          f"{len(plan.dropped)} left for another day; {plan.length_m / 1000:.0f} km in all")


if __name__ == "__main__":
    main()
