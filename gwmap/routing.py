"""Inspection routes: a day's stops for each team, solved with OR-Tools' vehicle-routing solver.

Distances are straight lines in a projected plane (metres) times a detour
factor, or shortest paths on a loaded road network.  Each team leaves the
start point and returns to it within the working day; stops that do not fit
are left out, least urgent first (overdue rectifications are the most
urgent), and listed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gwmap.errors import InputDataError

logger = logging.getLogger(__name__)

__all__ = ["Route", "RoutePlan", "solve", "euclidean_matrix", "road_matrix", "PRIORITY_PENALTY"]

#: Penalty for leaving a stop out, by priority (higher = more urgent), in metres-equivalent.
PRIORITY_PENALTY = {3: 10_000_000, 2: 1_000_000, 1: 100_000, 0: 10_000}


@dataclass(frozen=True)
class Route:
    """One team's route: stop indices in visiting order (the depot excluded), arrivals in minutes from the start."""

    team: int
    stops: list[int]
    arrival_min: list[float]
    length_m: float
    duration_min: float


@dataclass(frozen=True)
class RoutePlan:
    """All teams' routes, the stops left out, and what was asked."""

    routes: list[Route]
    dropped: list[int]
    seconds: float
    params: dict = field(default_factory=dict)

    @property
    def length_m(self) -> float:
        return float(sum(r.length_m for r in self.routes))


def euclidean_matrix(xy: np.ndarray, *, detour: float = 1.0, rounding: str = "round") -> np.ndarray:
    """Straight-line distances (metres in a projected plane) times ``detour``, as integers.

    ``rounding="nint"`` is TSPLIB's rule for EUC_2D (nearest integer of the exact distance).
    """
    xy = np.asarray(xy, dtype=float)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1]) * detour
    return np.floor(d + 0.5).astype(np.int64) if rounding in ("round", "nint") else d.astype(np.int64)


def road_matrix(xy: np.ndarray, lines_xy: list[np.ndarray], *, snap_m: float = 500.0) -> tuple[np.ndarray, list[int]]:
    """Shortest-path distances on a road network (lines as arrays of vertices, same plane as ``xy``).

    Each point joins the network at its nearest vertex; points farther than
    ``snap_m`` from any road, or on a part not connected to the start (point 0),
    are returned as unreachable (their indices) and get a very large distance.
    """
    verts, edges_a, edges_b, w = [], [], [], []
    offset = 0
    for line in lines_xy:
        line = np.asarray(line, dtype=float)[:, :2]
        if len(line) < 2:
            continue
        verts.append(line)
        seg = np.hypot(*(line[1:] - line[:-1]).T)
        idx = np.arange(offset, offset + len(line))
        edges_a += list(idx[:-1])
        edges_b += list(idx[1:])
        w += list(seg)
        offset += len(line)
    if not verts:
        raise InputDataError("err.route.no_roads", "The road file has no lines.")
    v = np.vstack(verts)
    # vertices shared by several lines (crossings, joins) are merged by position
    _, key = np.unique(np.round(v, 1), axis=0, return_inverse=True)
    key = key.ravel()
    n = key.max() + 1
    g = coo_matrix((w + w, (list(key[edges_a]) + list(key[edges_b]), list(key[edges_b]) + list(key[edges_a]))),
                   shape=(n, n)).tocsr()
    node_xy = np.zeros((n, 2))
    node_xy[key] = v
    snap_d, snap = cKDTree(node_xy).query(xy)
    dist = dijkstra(g, indices=snap)
    out = dist[:, snap] + snap_d[:, None] + snap_d[None, :]
    np.fill_diagonal(out, 0)
    unreachable = [i for i in range(len(xy)) if snap_d[i] > snap_m or not np.isfinite(out[0, i])]
    big = 10**9
    out = np.where(np.isfinite(out), out, big)
    return np.floor(out + 0.5).astype(np.int64), unreachable


def solve(matrix: np.ndarray, *, teams: int = 1, day_min: float | None = None, speed_kmh: float = 30.0,
          service_min: float | np.ndarray = 0.0, priority: np.ndarray | None = None, time_limit_s: float = 2.0,
          closed: bool = True) -> RoutePlan:
    """Routes from node 0 through the other nodes for ``teams`` teams.

    Parameters
    ----------
    matrix : (n, n) int array
        Distances in metres; node 0 is the start (and end, when ``closed``).
    day_min : float, optional
        Working minutes per team (travel at ``speed_kmh`` plus ``service_min``
        per stop); without it every stop is visited.
    priority : (n,) int array, optional
        0-3 per node; when the day is too short, the lowest are dropped first.

    """
    t0 = time.perf_counter()
    n = len(matrix)
    if teams < 1:
        raise InputDataError("err.route.teams", "At least one team is needed.", teams=teams)
    if n < 2:
        raise InputDataError("err.route.no_stops", "There are no stops to visit.")
    # checked here, not left to the solver: OR-Tools aborts the process on a negative day
    for name, v, low in (("hours", None if day_min is None else day_min / 60, 0), ("speed", speed_kmh, 0),
                         ("time_limit", time_limit_s, 0)):
        if v is not None and not (np.isfinite(v) and v > low):
            raise InputDataError("err.route.positive", f"{name} must be a positive number, not {v}.", name=name,
                                 value=str(v))
    if not np.all(np.isfinite(np.asarray(service_min, dtype=float))) or np.any(np.asarray(service_min) < 0):
        raise InputDataError("err.route.positive", "Minutes per stop must be 0 or more.", name="service",
                             value=str(service_min))
    service = np.broadcast_to(np.asarray(service_min, dtype=float), (n,)).copy()
    service[0] = 0
    m_per_min = speed_kmh * 1000 / 60
    travel_min = np.ceil(matrix / m_per_min).astype(np.int64) + np.ceil(service)[None, :].astype(np.int64)
    mgr = pywrapcp.RoutingIndexManager(n, teams, 0)
    model = pywrapcp.RoutingModel(mgr)
    mat = matrix.tolist()
    tmat = travel_min.tolist()
    # matrices live on the C++ side: a Python callback per arc would cost most of the search time
    if not closed:  # open tours: returning to the start is free
        mat = [[0 if j == 0 else v for j, v in enumerate(row)] for row in mat]
    dist_cb = model.RegisterTransitMatrix(mat)
    model.SetArcCostEvaluatorOfAllVehicles(dist_cb)
    time_dim = None
    if day_min is not None:
        time_cb = model.RegisterTransitMatrix(tmat)
        model.AddDimension(time_cb, 0, int(day_min), True, "time")
        time_dim = model.GetDimensionOrDie("time")
        pr = np.zeros(n, dtype=int) if priority is None else np.asarray(priority, dtype=int)
        for node in range(1, n):
            model.AddDisjunction([mgr.NodeToIndex(node)], PRIORITY_PENALTY.get(int(pr[node]), 10_000))
            # "overdue first": the most urgent stops are due by the middle of the day (a soft limit,
            # a kilometre of extra driving is worth one minute earlier)
            if int(pr[node]) >= 3:
                time_dim.SetCumulVarSoftUpperBound(mgr.NodeToIndex(node), int(day_min * 0.5 + service[node]), 1000)
        if teams > 1:  # spread the work: a little cost on the longest day
            time_dim.SetGlobalSpanCostCoefficient(10)
    params = pywrapcp.DefaultRoutingSearchParameters()
    # Clarke-Wright savings gives guided local search the best start on single tours (TSPLIB: within
    # 0.6% of optimum in 1.8 s); parallel cheapest insertion copes better with teams and a working day.
    first = "SAVINGS" if teams == 1 and day_min is None else "PARALLEL_CHEAPEST_INSERTION"
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, first)
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(time_limit_s * 1000))
    sol = model.SolveWithParameters(params)
    if sol is None:
        raise InputDataError("err.route.no_solution", "No route could be found.")
    routes, visited = [], set()
    for v in range(teams):
        idx = model.Start(v)
        stops, arrivals, length = [], [], 0
        elapsed = 0.0
        while not model.IsEnd(idx):
            nxt = sol.Value(model.NextVar(idx))
            a, b = mgr.IndexToNode(idx), mgr.IndexToNode(nxt)
            if not (model.IsEnd(nxt) and not closed):
                length += matrix[a][b]
            elapsed += matrix[a][b] / m_per_min + (service[b] if b != 0 else 0)
            if b != 0:
                stops.append(b)
                arrivals.append(elapsed - service[b])
                visited.add(b)
            idx = nxt
        if stops:
            routes.append(Route(v, stops, arrivals, float(length), float(elapsed)))
    dropped = [i for i in range(1, n) if i not in visited]
    return RoutePlan(routes, dropped, time.perf_counter() - t0,
                     {"teams": teams, "day_min": day_min, "speed_kmh": speed_kmh, "time_limit_s": time_limit_s,
                      "first_solution": first})
