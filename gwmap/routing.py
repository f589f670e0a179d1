"""Inspection routes: a day's stops for each team.

Distances are straight lines in a projected plane (metres) times a detour
factor, or shortest paths on a loaded road network.  Each team leaves the
start point and returns to it; times are whole seconds throughout.

How a plan is made, and why these solvers (measured in ``bench/bench_routing.py``,
same process, against LKH-3 via elkai):

1. **One tour through every stop** with fast-tsp (MIT licence; Or-opt/2-opt with
   LKH-style alpha-nearness candidates, on both cores).  On random stops it is
   within 0.1% of LKH at 100-1,000 stops in 1.8 s, where OR-Tools' guided
   local search stayed 2-12% longer and PyVRP 2-30% longer in the same time.
2. **Teams** cut that tour into consecutive pieces so that the longest day is
   as short as it can be for that order (a bisection on the day; each piece
   then re-solved as its own tour); up to :data:`MAX_REFINE` stops PyVRP then
   moves stops between teams with no day growing past the longest (300 stops,
   4 teams, 5 layouts: longest day 0.92 ×, total 0.99 × k-means + LKH's).  Any set of routes from one start, laid end
   to end, is a tour through all stops, so if the near-optimal tour plus the
   stops' service time does not fit in ``teams`` working days, no plan fits.
3. **When the day is too short** (or an overdue stop would be reached after
   midday) the stops are chosen with PyVRP (MIT licence; iterated local search
   with optional clients, prizes, time windows and shift limits), one urgency
   level at a time: overdue, then open leads, then sealed wells, then spot
   checks, each search keeping every stop already planned; overdue stops are
   reached by the middle of the day where the mornings can take them.  A last
   pass keeps the chosen stops and spreads them: every second of a day beyond
   the mean costs more than any detour, so the longest day comes down first and
   the total distance second.  PyVRP's set-up grows steeply past a thousand
   stops (1,500 stops: 6 s before the first move; 5,000: 150 s), so at most
   :data:`MAX_CHOICE` stops, the nearest of each level, go to it.
"""

from __future__ import annotations

import functools
import logging
import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from gwmap.errors import InputDataError

logger = logging.getLogger(__name__)

__all__ = ["Route", "RoutePlan", "solve", "euclidean_matrix", "road_matrix", "check_request", "check_size",
           "STOP_PRIZE", "MAX_STOPS", "MAX_CHOICE"]

#: What adding a stop to the day is worth, in metres of driving: more than any detour in the county, so
#: every stop that fits is taken (urgency is handled level by level, see :func:`_choose`).
STOP_PRIZE = 1_000_000
#: What reaching an overdue stop by midday adds: a fifth of a stop (so a morning is not bought with a stop).
MORNING_BONUS = STOP_PRIZE // 5
#: The most stops one plan takes: a 5,001 × 5,001 matrix is 200 MB and the tour 20 s.
MAX_STOPS = 5_000
#: The most stops handed to PyVRP when the day is too short for all (its set-up time, see above).
MAX_CHOICE = 800
#: Up to this many stops, PyVRP refines the teams' routes cut from the one tour (see :func:`_tour_and_split`).
MAX_REFINE = 600
#: Cost of a second of a day beyond the balanced day, in metres: more than any detour it could save.
OVERTIME_COST = 50

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Route:
    """One team's route: stop indices in visiting order (the start excluded), arrivals in seconds from leaving."""

    team: int
    stops: list[int]
    arrival_s: list[int]
    length_m: float
    duration_s: int

    @property
    def arrival_min(self) -> list[float]:
        return [a / 60 for a in self.arrival_s]

    @property
    def duration_min(self) -> float:
        return self.duration_s / 60


@dataclass(frozen=True)
class RoutePlan:
    """All teams' routes, the stops left out with the reason for each, notices and what was asked."""

    routes: list[Route]
    dropped: list[int]
    seconds: float
    params: dict = field(default_factory=dict)
    reasons: dict[int, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    @property
    def length_m(self) -> float:
        return float(sum(r.length_m for r in self.routes))


def euclidean_matrix(xy: np.ndarray, *, detour: float = 1.0, rounding: str = "round") -> np.ndarray:
    """Straight-line distances (metres in a projected plane) times ``detour``, as integers.

    ``rounding="nint"`` is TSPLIB's rule for EUC_2D (nearest integer of the exact distance).
    """
    xy = np.asarray(xy, dtype=float)
    d = np.hypot(xy[:, None, 0] - xy[None, :, 0], xy[:, None, 1] - xy[None, :, 1])
    if detour != 1.0:
        d *= detour
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


def _positive(name: str, value: float | None) -> None:
    if value is not None and not (isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0):
        raise InputDataError("err.route.positive", f"{name} must be a positive number, not {value}.", name=name,
                             value=str(value))


def check_request(*, teams: int = 1, day_min: float | None = None, speed_kmh: float = 30.0,
                  service_min: float | np.ndarray = 0.0, time_limit_s: float = 2.0) -> None:
    """Refuse what no plan can be made with, one message naming the value (before any file is read).

    Checked here, not left to a solver: a negative day aborted the process inside OR-Tools.
    """
    if not isinstance(teams, (int, np.integer)) or teams < 1:
        raise InputDataError("err.route.teams", "At least one team is needed.", teams=teams)
    # named as on the command line, the only place they can be typed freely (the page's fields have limits)
    _positive("--hours", None if day_min is None else day_min / 60)
    _positive("--speed", speed_kmh)
    _positive("--time-limit", time_limit_s)
    service = np.asarray(service_min, dtype=float)
    if not np.all(np.isfinite(service)) or np.any(service < 0):
        raise InputDataError("err.route.positive", "Minutes per stop must be 0 or more.", name="--service",
                             value=str(service_min))


def check_size(stops: int) -> None:
    """Refuse an empty plan or one over :data:`MAX_STOPS` stops, before a distance matrix is built for it."""
    if stops < 1:
        raise InputDataError("err.route.no_stops", "There are no stops to visit.")
    if stops > MAX_STOPS:
        raise InputDataError("err.route.too_many", f"{stops} stops; at most {MAX_STOPS} in one plan.",
                             n=f"{stops:,}", limit=f"{MAX_STOPS:,}")


def _monotone(progress: Progress | None) -> Progress:
    """``progress`` that never goes back.

    Each step reports its own share, and a later step may start below where a slow earlier one ended (seen
    under load: 0.7246 then 0.7).

    >>> seen = []
    >>> report = _monotone(lambda f, phase: seen.append(f))
    >>> for f in (0.2, 0.7246, 0.7, 0.9): report(f, "tour")
    >>> seen
    [0.2, 0.7246, 0.7246, 0.9]
    """
    if progress is None:
        return lambda frac, phase: None
    high = [0.0]

    def report(frac: float, phase: str) -> None:
        high[0] = max(high[0], min(1.0, float(frac)))
        progress(high[0], phase)

    return report


def solve(matrix: np.ndarray, *, teams: int = 1, day_min: float | None = None, speed_kmh: float = 30.0,
          service_min: float | np.ndarray = 0.0, priority: np.ndarray | None = None, time_limit_s: float = 2.0,
          progress: Progress | None = None) -> RoutePlan:
    """Routes from node 0 through the other nodes and back, for ``teams`` teams.

    Parameters
    ----------
    matrix : (n, n) int array
        Distances in metres, symmetric; node 0 is the start and the end.
    day_min : float, optional
        Working minutes per team (travel at ``speed_kmh`` plus ``service_min``
        per stop); without it every stop is visited.
    priority : (n,) int array, optional
        0-3 per node; when the day is too short, the lowest are left out first,
        and stops of priority 3 (overdue) are reached by the middle of the day.
    progress : callable, optional
        Called with (fraction done, phase) as the work goes on.

    """
    t0 = time.perf_counter()
    matrix = np.asarray(matrix)
    n = len(matrix)
    check_request(teams=teams, day_min=day_min, speed_kmh=speed_kmh, service_min=service_min,
                  time_limit_s=time_limit_s)
    check_size(n - 1)
    service_arr = np.asarray(service_min, dtype=float)
    report = _monotone(progress)
    service = np.rint(np.broadcast_to(service_arr, (n,)) * 60).astype(np.int64)
    service[0] = 0
    m_per_s = speed_kmh / 3.6
    dur = np.rint(matrix / m_per_s).astype(np.int64)  # seconds, rounded to the nearest: no minute lost per leg
    pr = np.zeros(n, dtype=int) if priority is None else np.clip(np.asarray(priority, dtype=int), 0, 3)
    day_s = None if day_min is None else int(round(day_min * 60))
    notices = []
    if teams > n - 1:
        notices.append("more_teams_than_stops")
    teams_used = min(int(teams), n - 1)
    reasons: dict[int, str] = {}
    due = np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    if day_s is not None:
        alone = dur[0] + service + dur[:, 0]
        reasons.update({int(i): "too_far_for_a_day" for i in np.flatnonzero(alone > day_s) if i})
        # overdue: reached by midday, unless even going there first cannot make it
        due = np.where(pr >= 3, np.maximum(day_s // 2, dur[0]), day_s)
    stops = np.array([i for i in range(1, n) if i not in reasons], dtype=int)
    ctx = _Context(matrix, dur, service, due, day_s, t0, time_limit_s, report)
    method = "tour"
    routes: list[list[int]] = []
    if len(stops):
        report(0.0, "tour")
        if day_s is None or _may_fit(ctx, stops, teams_used):
            routes = _tour_and_split(ctx, stops, teams_used, share=0.45 if day_s else 1.0)
        if day_s is not None and not (routes and ctx.fits(routes)):
            method = "choice"
            chosen = _shortlist(ctx, stops, pr, teams_used)
            reasons.update({int(i): "day_too_short" for i in np.setdiff1d(stops, chosen)})
            routes = _choose(ctx, chosen, pr, teams_used)
            late = [s for r in routes for s, a in zip(r, ctx.arrivals(r)[0], strict=True) if a > due[s]]
            if late:
                notices.append("overdue_after_midday")
    visited = {s for r in routes for s in r}
    for i in stops:
        if int(i) not in visited:
            reasons.setdefault(int(i), "day_too_short")
    report(1.0, "done")
    out = [ctx.route(k, r) for k, r in enumerate(routes) if r]
    dropped = sorted(reasons)
    return RoutePlan(out, dropped, time.perf_counter() - t0,
                     {"teams": int(teams), "day_min": day_min, "speed_kmh": speed_kmh, "time_limit_s": time_limit_s,
                      "method": method, "solver": "fast-tsp" if method == "tour" else "PyVRP + fast-tsp"},
                     {i: reasons[i] for i in dropped}, notices)


@dataclass
class _Context:
    """What the steps share: distances, times, the clock and the progress report."""

    matrix: np.ndarray
    dur: np.ndarray
    service: np.ndarray
    due: np.ndarray
    day_s: int | None
    t0: float
    budget_s: float
    report: Progress

    def left(self) -> float:
        return max(0.05, self.budget_s - (time.perf_counter() - self.t0))

    @functools.cached_property
    def nearest_s(self) -> np.ndarray:
        """Each node's shortest leg to any other node (seconds): the least driving out of it in any plan."""
        d = self.dur.astype(float)
        np.fill_diagonal(d, np.inf)
        return d.min(axis=1)

    def arrivals(self, route: list[int]) -> tuple[np.ndarray, int]:
        """Arrival second at each stop, and the second the team is back."""
        path = np.asarray([0, *route, 0])
        legs = self.dur[path[:-1], path[1:]] + np.concatenate([[0], self.service[path[1:-1]]])
        clock = np.cumsum(legs)
        return clock[:-1], int(clock[-1])

    def fits(self, routes: list[list[int]]) -> bool:
        for r in routes:
            if not r:
                continue
            arrive, back = self.arrivals(r)
            if back > self.day_s or np.any(arrive > self.due[r]):
                return False
        return True

    def length(self, route: list[int]) -> int:
        path = np.asarray([0, *route, 0])
        return int(self.matrix[path[:-1], path[1:]].sum())

    def route(self, team: int, stops: list[int]) -> Route:
        arrive, back = self.arrivals(stops)
        return Route(team, [int(s) for s in stops], [int(a) for a in arrive], float(self.length(stops)), back)


def _may_fit(ctx: _Context, stops: np.ndarray, teams: int) -> bool:
    """Whether all stops might fit in the teams' days.

    Each stop's service and the shortest way out of it (to its nearest other node) is a lower bound on the
    work, so more than the days hold never fits.
    """
    return float(ctx.service[stops].sum() + ctx.nearest_s[stops].sum()) <= teams * ctx.day_s


def _tsp(matrix: np.ndarray, nodes: np.ndarray, seconds: float) -> list[int]:
    """A closed tour through ``nodes`` (node 0 of ``matrix`` first), as node ids, by fast-tsp."""
    import fast_tsp

    sub = np.concatenate([[0], nodes]).astype(int)
    if len(sub) <= 3:
        return [int(v) for v in sub[1:]]
    m = matrix[np.ix_(sub, sub)]
    scale = int(math.ceil(m.max() / 65_535)) if m.max() > 65_535 else 1  # fast-tsp takes 16-bit distances
    if scale > 1:
        m = np.rint(m / scale).astype(np.int64)
    tour = fast_tsp.find_tour(np.ascontiguousarray(m, dtype=np.int64), duration_seconds=max(0.02, seconds),
                              max_threads=2)
    k = tour.index(0)
    tour = tour[k:] + tour[:k]
    return [int(sub[i]) for i in tour[1:]]


def _split(ctx: _Context, seq: np.ndarray, teams: int) -> list[list[int]]:
    """Cut a tour into at most ``teams`` consecutive pieces with the shortest longest day (bisection).

    A piece's day grows as it takes the next stop (triangle inequality), so a
    greedy cut decides whether a day length is enough, and the bisection finds
    the least such length in O(n log T).
    """
    if teams == 1 or len(seq) <= 1:
        return [list(map(int, seq))]
    legs = np.concatenate([[0], np.cumsum(ctx.dur[seq[:-1], seq[1:]] + ctx.service[seq[1:]])])
    out, back = ctx.dur[0, seq] + ctx.service[seq], ctx.dur[seq, 0]

    def day(i: int, j: int) -> int:  # stops i..j inclusive
        return int(out[i] + legs[j] - legs[i] + back[j])

    def cut(limit: int) -> list[tuple[int, int]] | None:
        pieces, i = [], 0
        while i < len(seq):
            if day(i, i) > limit or len(pieces) == teams:
                return None
            # the furthest j with day(i, j) <= limit: day is not decreasing in j, so bisect
            lo, hi = i, len(seq) - 1
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if day(i, mid) <= limit:
                    lo = mid
                else:
                    hi = mid - 1
            pieces.append((i, lo))
            i = lo + 1
        return pieces

    lo, hi = 0, day(0, len(seq) - 1)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cut(mid) is None:
            lo = mid
        else:
            hi = mid
    return [list(map(int, seq[i:j + 1])) for i, j in cut(hi)]


def _orient(ctx: _Context, route: list[int]) -> list[int]:
    """The direction (either has the same length) that reaches the overdue stops earlier."""
    urgent = ctx.due[route] < (ctx.day_s or 0)
    if len(route) < 2 or not urgent.any():
        return route

    def lateness(r: list[int]) -> tuple[int, int]:
        arrive = ctx.arrivals(r)[0]
        return int(np.maximum(arrive - ctx.due[r], 0).sum()), int(arrive[ctx.due[r] < ctx.day_s].sum())

    return min((route, route[::-1]), key=lateness)


def _tour_and_split(ctx: _Context, stops: np.ndarray, teams: int, *, share: float) -> list[list[int]]:
    """Steps 1 and 2: one tour through ``stops``, cut for the teams, each piece re-solved as a tour.

    Up to :data:`MAX_REFINE` stops, PyVRP then moves stops between the teams from that plan, no day allowed
    to grow past the longest: 300 stops, 4 teams, 745.7 km → 716.6 km and the longest day 19.12 → 18.95 h
    (``bench/bench_routing.py``).  At 1,000 stops its set-up costs more than it finds.
    """
    budget = ctx.left() * share
    refine = teams > 1 and len(stops) <= MAX_REFINE
    giant = _tsp(ctx.matrix, stops, budget * (0.98 if teams == 1 else 0.25 if refine else 0.5))
    ctx.report(share if teams == 1 else share * (0.25 if refine else 0.5), "tour")
    if teams == 1:
        return [_orient(ctx, giant)]
    pieces = _split(ctx, np.asarray(giant), teams)
    each = budget * (0.25 if refine else 0.5) / len(pieces)
    routes = []
    for k, piece in enumerate(pieces):
        better = _tsp(ctx.matrix, np.asarray(piece), each)
        # a shorter tour is a shorter day (times follow distances); keep the cut's order if rounding says otherwise
        routes.append(better if ctx.arrivals(better)[1] <= ctx.arrivals(piece)[1] else piece)
        ctx.report(share * (0.5 if refine else 1.0) * (0.5 + 0.5 * (k + 1) / len(pieces)), "tour")
    if refine and (ctx.day_s is None or ctx.fits(routes)):  # else the day is too short: step 3 follows
        longest = max(ctx.arrivals(r)[1] for r in routes)
        moved = _vrp(ctx, routes, np.array([], dtype=int), teams, seconds=ctx.left() * 0.9, cap_s=longest,
                     phase="tour")
        if sum(len(r) for r in moved) == len(stops) and (
                max(ctx.arrivals(r)[1] for r in moved if r), sum(ctx.length(r) for r in moved)) < (
                longest, sum(ctx.length(r) for r in routes)):
            routes = [r for r in moved if r]
        ctx.report(share, "tour")
    return [_orient(ctx, r) for r in routes]


def _shortlist(ctx: _Context, stops: np.ndarray, pr: np.ndarray, teams: int) -> np.ndarray:
    """At most :data:`MAX_CHOICE` stops for the choice, the nearest of each urgency, most urgent level first.

    A day holds at most ``teams * day / (service + shortest leg)`` stops; each level gives twice that many
    (so the afternoon still has candidates when the overdue stops can fill only the mornings).
    """
    if len(stops) <= MAX_CHOICE:
        return stops
    per_stop = ctx.service[stops] + ctx.nearest_s[stops]
    fit = int(teams * ctx.day_s / max(1.0, float(np.sort(per_stop)[: len(stops) // 2].mean())))
    take: list[np.ndarray] = []
    for level in (3, 2, 1, 0):
        mine = stops[pr[stops] == level]
        room = MAX_CHOICE - sum(len(t) for t in take)
        take.append(mine[np.argsort(ctx.dur[0, mine], kind="stable")][: max(0, min(2 * fit, room))])
    return np.sort(np.concatenate(take))


def _choose(ctx: _Context, stops: np.ndarray, pr: np.ndarray, teams: int) -> list[list[int]]:
    """Step 3: which stops fit the day, most urgent level first, then the same stops spread over the teams.

    Each level is one PyVRP search that keeps every stop already planned and adds as many of the level's
    stops as the day holds (each is worth more than any detour), starting from the plan so far; so a
    less urgent stop never takes the place of a more urgent one.  (One search with prizes ten times apart
    per level left overdue stops out for spot checks: PyVRP's penalties cannot span such a range.)  An
    overdue stop is offered twice, as one choice: by midday (worth a little more) or later in the day, so
    the mornings go to overdue cases without leaving out one the afternoon could take.
    """
    routes: list[list[int]] = []
    budget = ctx.left() * (0.6 if teams > 1 else 0.9)
    levels = [lv for lv in (3, 2, 1, 0) if np.any(pr[stops] == lv)]
    for lv in levels:
        new = stops[pr[stops] == lv]
        routes = _vrp(ctx, routes, new, teams, seconds=max(0.1, budget * len(new) / len(stops)))
    ctx.report(0.7 if teams > 1 else 0.9, "choice")
    if teams > 1:
        chosen = sum(len(r) for r in routes)
        days = [ctx.arrivals(r)[1] for r in routes if r]
        mean = sum(days) / teams
        if chosen >= teams and days and max(days) > 1.05 * mean:
            spread = _vrp(ctx, routes, np.array([], dtype=int), teams, seconds=ctx.left() * 0.85,
                          target_s=int(math.ceil(mean * 1.03)), warm=False)
            new_days = [ctx.arrivals(r)[1] for r in spread if r]
            if sum(len(r) for r in spread) == chosen and ctx.fits(spread) and new_days and max(new_days) < max(days):
                routes = spread
    out = []
    for r in routes:
        if len(r) > 3 and not np.any(ctx.due[r] < ctx.day_s):  # no time window to keep: a shorter tour is fine
            better = _tsp(ctx.matrix, np.asarray(r), min(0.3, ctx.left() / max(1, teams)))
            if ctx.arrivals(better)[1] <= ctx.arrivals(r)[1]:
                r = better
        out.append(_orient(ctx, r))
    return out


def _vrp(ctx: _Context, planned: list[list[int]], new: np.ndarray, teams: int, *, seconds: float,
         target_s: int | None = None, warm: bool = True, cap_s: int | None = None,
         phase: str = "choice") -> list[list[int]]:
    """PyVRP: the ``planned`` routes' stops all visited, and as many of ``new`` as fit.

    With ``target_s``, each second of a day beyond it costs :data:`OVERTIME_COST`.  No day is longer than
    ``cap_s`` (default: the working day).  The search starts from ``planned`` when ``warm``.
    """
    import pyvrp
    from pyvrp.stop import MaxRuntime

    day = int(cap_s if cap_s is not None else ctx.day_s)
    # a planned overdue stop stays on the side of midday it was planned on
    morning = {s for r in planned for s, a in zip(r, ctx.arrivals(r)[0], strict=True) if a <= ctx.due[s]}
    fixed = [s for r in planned for s in r]
    sub = np.concatenate([[0], fixed, new]).astype(int)
    dist = np.ascontiguousarray(ctx.matrix[np.ix_(sub, sub)], dtype=np.int64)
    dur = np.ascontiguousarray(ctx.dur[np.ix_(sub, sub)], dtype=np.int64)
    clients, owner, groups, index = [], [], [], {}
    for loc, s in enumerate(sub[1:], start=1):
        svc = int(ctx.service[s])
        if loc <= len(fixed):
            index[s] = len(clients)
            clients.append(pyvrp.Client(loc, service_duration=svc, tw_late=int(ctx.due[s] if s in morning else day)))
            owner.append(s)
        elif ctx.due[s] < day:  # overdue: by midday, or (one of the two) later
            groups.append(pyvrp.ClientGroup([len(clients), len(clients) + 1], required=False))
            clients += [pyvrp.Client(loc, service_duration=svc, tw_late=int(ctx.due[s]), prize=STOP_PRIZE + MORNING_BONUS,
                                     required=False, group=len(groups) - 1),
                        pyvrp.Client(loc, service_duration=svc, tw_late=day, prize=STOP_PRIZE, required=False,
                                     group=len(groups) - 1)]
            owner += [s, s]
        else:
            clients.append(pyvrp.Client(loc, service_duration=svc, prize=STOP_PRIZE, required=False))
            owner.append(s)
    if target_s is None or target_s >= day:
        vehicle = pyvrp.VehicleType(teams, tw_late=day, shift_duration=day)
    else:
        vehicle = pyvrp.VehicleType(teams, tw_late=day, shift_duration=target_s, max_overtime=day - target_s,
                                    unit_overtime_cost=OVERTIME_COST)
    data = pyvrp.ProblemData([pyvrp.Location(0, 0) for _ in sub], clients, [pyvrp.Depot(0, tw_late=day)], [vehicle],
                             [dist], [dur], groups)
    start, done_before = time.perf_counter(), (time.perf_counter() - ctx.t0) / ctx.budget_s

    class _Tick(pyvrp.IteratedLocalSearchCallbacks):
        last = 0.0

        def on_iteration(self, *args) -> None:  # noqa: ANN002
            now = time.perf_counter()
            if now - self.last > 0.25:
                self.last = now
                ctx.report(min(0.95, done_before + (now - start) / ctx.budget_s), phase)

    initial = pyvrp.Solution(data, [[index[s] for s in r] for r in planned if r]) if warm and fixed else None
    with warnings.catch_warnings(record=True) as caught:  # PyVRP warns on stderr; a user is told in the plan instead
        warnings.simplefilter("always")
        res = pyvrp.solve(data, MaxRuntime(max(0.05, seconds)), seed=1, collect_stats=False, display=False,
                          params=pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(callbacks=_Tick())),
                          initial_solution=initial)
    for w in caught:
        logger.info("PyVRP: %s", str(w.message).split(".")[0].strip())
    if not res.is_feasible():  # cannot happen from a feasible start; without one, the caller keeps its plan
        return planned
    return [[owner[a.idx] for a in r if a.is_client()] for r in res.best.routes()]
