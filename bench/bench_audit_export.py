"""The audit page's Excel of the whole history: gwmap's streamed export against the plain paths, one run.

    python bench/bench_audit_export.py [--data-dir DIR]   # DIR holds gwmap.sqlite (default: a fresh demo)

On the same store and the same events (every one, newest first, in Chinese):

- ``gwmap``: :func:`gwmap.ui.audit_export.audit_workbook` (keyset chunks, repeated values put into words
  once, rows written straight into the zip by :mod:`gwmap.io.xlsx_stream`);
- ``pandas_to_excel``: the export before issue 25: one frame of every event, each cell made into words,
  ``DataFrame.to_excel`` (openpyxl);
- ``openpyxl_write_only``: the same rows as gwmap's, written by openpyxl's write-only workbook.

Target (issue 25): ≥ 10,000 rows/s.  Prints each path's seconds and rows/s and gwmap's ratio to the best peer.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _store(data_dir: str | None):
    from gwmap.store import Store

    if data_dir:
        return Store(f"sqlite:///{Path(data_dir) / 'gwmap.sqlite'}")
    from gwmap.demo import ensure_demo_users, load_demo

    folder = Path(tempfile.mkdtemp())
    store = Store(f"sqlite:///{folder / 'gwmap.sqlite'}")
    store.migrate()
    ensure_demo_users(store)
    load_demo(store, ROOT / "data", folder / "evidence")
    return store


def _words(lang: str):
    from gwmap.i18n import translator
    from gwmap.store.users import accounts_frame

    def make(store):
        names = dict(zip(*(accounts_frame(store)[c] for c in ("username", "display_name")), strict=True))
        return translator(lang), (lambda u: f"{names[u]}（{u}）" if u in names else str(u))
    return make


def _pandas_to_excel(store, query, tr, person, lang: str) -> bytes:
    from gwmap.clock import to_local
    from gwmap.reports import safe_cell
    from gwmap.store import repo
    from gwmap.ui.i18n import change_text, named

    _, total = repo.audit_search(store, query, per_page=1)
    everything, _ = repo.audit_search(store, query, per_page=max(total, 1))
    out = {
        tr("audit.at"): everything["at"].map(lambda v: to_local(v).strftime("%Y-%m-%d %H:%M:%S")),
        tr("audit.actor"): everything["actor"].map(person),
        tr("audit.action"): everything["action"].map(lambda v: named("audit.action_name", v, lang)),
        tr("audit.table"): everything["table_name"].map(lambda v: named("audit.table_name", v, lang)),
        tr("audit.record"): everything["record_id"],
        tr("audit.changes"): [change_text(b, a, lang) for b, a in zip(everything["before"], everything["after"],
                                                                       strict=True)],
    }
    import pandas as pd

    buf = io.BytesIO()
    pd.DataFrame(out).map(safe_cell).to_excel(buf, index=False, sheet_name=tr("audit.header")[:31])
    return buf.getvalue()


def _openpyxl_write_only(store, query, tr, person, lang: str) -> bytes:
    """gwmap's rows (same chunks, same words) written by openpyxl's write-only workbook."""
    from openpyxl import Workbook

    from gwmap.store import repo
    from gwmap.ui.audit_export import HEADERS, _rows

    _, total = repo.audit_search(store, query, per_page=1)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(tr("audit.header")[:31])
    ws.append([tr(h) for h in HEADERS])
    for row in _rows(store, query, lang=lang, person=person, total=total, progress=None):
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _gwmap(store, query, tr, person, lang: str) -> bytes:
    from gwmap.store import repo
    from gwmap.ui.audit_export import audit_workbook

    _, total = repo.audit_search(store, query, per_page=1)
    return audit_workbook(store, query, lang=lang, person=person, tr=tr, total=total)


def main() -> int:
    from gwmap.store import repo

    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir")
    args = ap.parse_args()
    store = _store(args.data_dir)
    query = repo.AuditQuery()
    _, rows = repo.audit_search(store, query, per_page=1)
    tr, person = _words("zh")(store)
    times = {}
    for name, fn in (("gwmap", _gwmap), ("openpyxl_write_only", _openpyxl_write_only),
                     ("pandas_to_excel", _pandas_to_excel)):
        t0 = time.perf_counter()
        book = fn(store, query, tr, person, "zh")
        times[name] = time.perf_counter() - t0
        print(f"{name:20s} {times[name]:6.1f} s  {rows / times[name]:8,.0f} rows/s  ({len(book) / 1e6:.1f} MB)",
              flush=True)
    best = min(v for k, v in times.items() if k != "gwmap")
    print(f"{rows:,} events: gwmap {rows / times['gwmap']:,.0f} rows/s (target ≥ 10,000); "
          f"ratio to the best peer {times['gwmap'] / best:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
