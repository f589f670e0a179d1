"""Synthetic registered wells in bulk, for trials and benchmarks at city or province scale.

``python -m gwmap init --demo --scale-wells N`` adds N wells to the demo county:
reproducible (a fixed seed), inside the county outline, each in the township its
point lies in on the current boundaries, with uses, aquifers, statuses, permits
and meters drawn in the demo's proportions.  Codes are ``<township>S<7 digits>``
so they never collide with registered ones (``<township>J<4 digits>``).  The rows
go in by plain ``INSERT``s in chunks (the audit triggers record each, as for any
bulk import), and adding the same N again adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import numpy as np
import shapely
from sqlalchemy import func, select

from gwmap.store.db import Store
from gwmap.store.models import Well
from gwmap.store.users import CurrentUser
from gwmap.vocab import METERING, WELL_STATUSES, WELL_USES

__all__ = ["add_synthetic_wells", "SYNTHETIC_MARK"]

#: The letter between township code and number that marks a synthetic well.
SYNTHETIC_MARK = "S"
#: More than a province holds (Shandong: about 840,000 abstraction points).
MAX_WELLS = 5_000_000
_CHUNK = 5_000
_USE_P = (0.82, 0.06, 0.07, 0.03, 0.02)
_STATUS_P = (0.86, 0.05, 0.05, 0.01, 0.03)


def _points(outline, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniform random points inside ``outline`` (rejection sampling on its bounding box)."""
    minx, miny, maxx, maxy = outline.bounds
    shapely.prepare(outline)
    xs, ys = [], []
    got = 0
    while got < n:
        k = int((n - got) * 1.6) + 100
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(outline, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        got += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _block(rng: np.random.Generator, first: int, outline, tree, codes) -> list[dict]:
    """The rows of wells ``first`` … ``first + _CHUNK - 1``."""
    k = _CHUNK
    lon, lat = _points(outline, k, rng)
    hit_pt, hit_tw = tree.query(shapely.points(lon, lat), predicate="within")
    code_of = np.full(k, "", dtype=object)
    code_of[hit_pt] = codes[hit_tw]
    uses = rng.choice(len(WELL_USES), k, p=_USE_P)
    aquifers = rng.choice(2, k, p=(0.7, 0.3))
    statuses = rng.choice(len(WELL_STATUSES), k, p=_STATUS_P)
    depth = np.where(aquifers == 0, rng.uniform(30, 120, k), rng.uniform(150, 450, k)).round(1)
    drilled = rng.integers(1975, 2023, k)
    permitted = rng.random(k) < 0.7
    valid_to = rng.integers(0, 6 * 365, k)
    volume = np.where(uses == 0, rng.uniform(2_000, 30_000, k), rng.uniform(5_000, 120_000, k)).round(-2)
    metering = rng.choice(len(METERING), k, p=(0.25, 0.75))
    from gwmap.county import active

    county_code = active().adcode
    rows = []
    for j in range(k):
        i = first + j
        tw = code_of[j] or f"{county_code}000"
        rows.append({
            "well_code": f"{tw}{SYNTHETIC_MARK}{i:07d}", "name": f"试算井{i:07d}", "township_code": code_of[j],
            "village": "", "owner": f"试算户{i % 9973:04d}", "lon": round(float(lon[j]), 6),
            "lat": round(float(lat[j]), 6), "depth_m": float(depth[j]), "year_drilled": int(drilled[j]),
            "casing_diameter_mm": 219, "aquifer": ("shallow", "deep")[aquifers[j]], "use": WELL_USES[uses[j]],
            "permit_no": f"取水(冠)字[{int(drilled[j])}]第{i:07d}号" if permitted[j] else "",
            "permit_valid_from": date(2021, 1, 1) if permitted[j] else None,
            "permit_valid_to": date(2024, 1, 1) + timedelta(days=int(valid_to[j])) if permitted[j] else None,
            "permitted_m3_per_year": float(volume[j]), "metering": METERING[metering[j]],
            "power_meter_no": f"37{i:011d}" if metering[j] == 1 else "",
            "status": WELL_STATUSES[statuses[j]], "archived": False, "row_version": 1,
        })
    return rows


def add_synthetic_wells(store: Store, user: CurrentUser, n: int, *, seed: int = 840_000,
                        progress: Callable[[float], None] | None = None) -> int:
    """Add synthetic wells until the store holds ``n`` of them; returns how many were added."""
    from gwmap.errors import InputDataError
    from gwmap.store import repo

    if not 0 <= n <= MAX_WELLS:
        raise InputDataError("err.scale.count", f"Synthetic wells: 0 to {MAX_WELLS:,}.", n=n, most=f"{MAX_WELLS:,}")
    if n == 0:
        return 0
    with store.session() as s:
        have = s.scalar(select(func.count()).select_from(Well).where(Well.well_code.like(f"%{SYNTHETIC_MARK}_______")))
    if have >= n:
        return 0
    _, townships, outline = repo.current_boundaries(store)
    tree = shapely.STRtree(townships.geometry.to_numpy())
    codes = townships["code"].to_numpy()
    table = Well.__table__
    added = 0
    for block in range(have // _CHUNK, -(-n // _CHUNK)):
        # well i depends on the seed and i alone: the same N gives the same wells, a larger N extends them
        first = block * _CHUNK
        rows = _block(np.random.default_rng([seed, block]), first, outline, tree, codes)
        rows = [r for i, r in enumerate(rows, start=first) if have <= i < n]
        with store.session(user) as s:
            s.execute(table.insert(), rows)
        added += len(rows)
        if progress:
            progress(added / (n - have))
    repo.analyze(store)  # the planner's statistics follow the bulk load
    return added
