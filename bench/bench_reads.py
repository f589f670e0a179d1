"""What noting the tables a page reads costs (the cache keys of gwmap.ui.data.reader), in the same process.

The store parses every statement's FROM/JOIN while a page run asks (``Store.reading``).  This runs the same
2,000 small SELECTs on the demo database with and without that, and prints the ratio.  Target: ≤ 1.02.

    python bench/bench_reads.py [--data-dir DIR]   # DIR holds gwmap.sqlite (default: a fresh demo in /tmp)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from gwmap.store import Store  # noqa: E402
from gwmap.store.db import _READ  # noqa: E402
from gwmap.store.models import Well  # noqa: E402


def _statements(store: Store, n: int) -> float:
    t0 = time.perf_counter()
    with store.session() as s:
        for i in range(n):
            s.execute(select(func.count()).select_from(Well).where(Well.id > i)).scalar()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir")
    ap.add_argument("-n", type=int, default=2000)
    args = ap.parse_args()
    if args.data_dir:
        store = Store(f"sqlite:///{Path(args.data_dir) / 'gwmap.sqlite'}")
    else:
        from gwmap.demo import ensure_demo_users, load_demo

        folder = Path(tempfile.mkdtemp())
        store = Store(f"sqlite:///{folder / 'gwmap.sqlite'}")
        store.migrate()
        ensure_demo_users(store)
        load_demo(store, ROOT / "data", folder / "evidence")
    _statements(store, 200)  # warm up
    plain = min(_statements(store, args.n) for _ in range(3))
    token = _READ.set(set())
    try:
        noted = min(_statements(store, args.n) for _ in range(3))
    finally:
        _READ.reset(token)
    print(f"{args.n:,} statements: plain {plain * 1000:,.0f} ms, noting the tables read {noted * 1000:,.0f} ms, "
          f"ratio {noted / plain:.3f} (target ≤ 1.02)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
