"""The registry's Excel export of 100,000 wells: gwmap's streamed XlsxWriter export against the peers, one run.

    python bench/bench_export.py [--wells 100000]

Uses the benchmark data folder of ``bench_scale.py`` (the demo county plus synthetic wells; built once).
Times, on the same store and the same rows:

- ``gwmap``: :func:`gwmap.registry.export_wells` (keyset pages of 20,000 rows, XlsxWriter constant memory);
- ``openpyxl_write_only``: the same loop written by openpyxl's write-only workbook;
- ``pandas_openpyxl``: the export before issue 11 (all wells in a frame, ``DataFrame.to_excel``).

Target (issue 11): 100,000 rows in under 15 s.  Prints seconds and the ratio to the best peer.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_scale import _prepare  # noqa: E402


def _openpyxl_write_only(store) -> bytes:
    from openpyxl import Workbook
    from sqlalchemy import select

    from gwmap.registry import COLUMNS, VERSION_HEADER
    from gwmap.reports import safe_cell
    from gwmap.store.models import Well

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("取水井台账")
    ws.append([h for _, h, _ in COLUMNS] + [VERSION_HEADER])
    cols = [getattr(Well, f) for f, _, _ in COLUMNS] + [Well.row_version]
    last = ""
    with store.session() as s:
        while True:
            rows = s.execute(select(*cols).where(~Well.archived, Well.well_code > last).order_by(Well.well_code)
                             .limit(20_000)).all()
            if not rows:
                break
            for r in rows:
                ws.append(["" if v is None else safe_cell(v) for v in r])
            last = rows[-1][0]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pandas(store) -> bytes:
    from gwmap.registry import filter_wells, registry_xlsx
    from gwmap.store import repo

    return registry_xlsx(filter_wells(repo.wells_frame(store)))


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--wells", type=int, default=100_000)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)  # Streamlit's "no runtime" notices
    _prepare(args.wells, None)
    from gwmap.registry import WellQuery, export_wells
    from gwmap.ui.resources import store

    st = store()
    out = {}
    runs = {"gwmap": lambda: export_wells(st, WellQuery()), "openpyxl_write_only": lambda: _openpyxl_write_only(st),
            "pandas_openpyxl": lambda: _pandas(st)}
    for name, fn in runs.items():
        t0 = time.perf_counter()
        data = fn()
        out[f"{name}_s"] = round(time.perf_counter() - t0, 2)
        out[f"{name}_mb"] = round(len(data) / 1e6, 2)
    out["rows"] = args.wells + 3_000
    best_peer = min(out["openpyxl_write_only_s"], out["pandas_openpyxl_s"])
    out["ratio_to_best_peer"] = round(out["gwmap_s"] / best_peer, 3)
    print(json.dumps(out) if args.json else "\n".join(f"{k:>24}: {v}" for k, v in out.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
