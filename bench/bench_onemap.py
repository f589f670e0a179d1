"""The one-map with 20,000 wells: build time and page size, canvas layer vs one marker per well.

Run ``make bench`` (or ``python bench/bench_onemap.py [N]``).  Both variants are
built in the same process from the same wells; the peer is folium's usual way
(one ``folium.CircleMarker`` with a popup per well).  Targets from issue 2:
built in under 1 s, page under 4 MB.
"""

from __future__ import annotations

import html
import statistics
import sys
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.i18n import translate  # noqa: E402
from gwmap.maps import STATUS_COLORS, build_onemap, localize_assets  # noqa: E402

DATA = ROOT / "data"


def synthetic_wells(n: int) -> pd.DataFrame:
    """``n`` wells drawn from the demo registry's rows, jittered inside the county."""
    base = pd.read_csv(DATA / "wells" / "registry.csv", dtype={"township_code": str})
    rng = np.random.default_rng(7)
    df = base.sample(n, replace=True, random_state=7).reset_index(drop=True)
    df["well_code"] = [f"{c}-{i}" for i, c in enumerate(df["well_code"])]
    df["lon"] += rng.normal(0, 0.003, n)
    df["lat"] += rng.normal(0, 0.003, n)
    return df


def build_canvas(tw, wells, empty):
    m = build_onemap(townships=tw, wells=wells, sealings=empty["sealings"], leads=empty["leads"],
                     monitoring=empty["monitoring"], tr=lambda k: translate(k, "zh"))
    return m.get_root().render()


def build_markers(tw, wells, empty):
    """The peer: folium's usual one CircleMarker (with popup) per well, same townships."""
    m = folium.Map(tiles=None, location=[36.53, 115.5], zoom_start=10)
    folium.GeoJson(tw[["code", "name", "geometry"]].to_json()).add_to(m)
    fg = folium.FeatureGroup(name="wells").add_to(m)
    for r in wells.itertuples():
        popup = (f"<b>{html.escape(r.well_code)}</b><br>{html.escape(str(r.owner))}<br>"
                 f"{translate('vocab.status.' + r.status)} {translate('vocab.use.' + r.use)}")
        folium.CircleMarker([r.lat, r.lon], radius=3, color=STATUS_COLORS[r.status], fill=True,
                            popup=folium.Popup(popup)).add_to(fg)
    return localize_assets(m).get_root().render()


def measure(fn, *args, repeat=3):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(out.encode("utf-8"))


def main(n: int = 20_000) -> None:
    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")
    wells = synthetic_wells(n)
    empty = {
        "sealings": pd.DataFrame(columns=["lon", "lat", "stage", "well_code", "owner", "disposition", "plan_year",
                                          "cut_m3_per_year"]),
        "leads": pd.DataFrame(columns=["lon", "lat", "stage", "overdue", "lead_code", "source", "description",
                                       "township_code", "registered_on", "rectify_deadline"]),
        "monitoring": pd.DataFrame(columns=["lon", "lat", "aquifer", "mw_code", "name", "ground_elev_m"]),
    }
    t_canvas, size_canvas = measure(build_canvas, tw, wells, empty)
    t_mark, size_mark = measure(build_markers, tw, wells, empty, repeat=1)
    print(f"one-map with {n:,} wells (median of runs, same process)")
    print(f"  gwmap canvas layer : {t_canvas:6.3f} s  {size_canvas / 2**20:6.2f} MB")
    print(f"  folium marker/well : {t_mark:6.3f} s  {size_mark / 2**20:6.2f} MB")
    print(f"  ratio (markers / canvas): time {t_mark / t_canvas:.1f}x, size {size_mark / size_canvas:.1f}x")
    ok = t_canvas < 1.0 and size_canvas < 4 * 2**20
    print(f"  target (< 1 s, < 4 MB): {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000)
