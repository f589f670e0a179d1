"""Every page's first visit and the monthly bulletin on the demo, against plain pandas reading the same tables.

    python bench/bench_pages.py [--data-dir DIR] [--pages dashboard abstraction ...]

``DIR`` holds gwmap.sqlite (default: a fresh ``init --demo`` in /tmp, in its own process as ``make run`` runs
it, which precomputes as data land).  As on a
server that has just started: the pages' modules loaded (``serve.py`` preloads them), every Streamlit cache
empty; what ``init`` and the imports keep on disk (:mod:`gwmap.kept`, stored surface runs) is there.  Each
page is opened once by an administrator (AppTest, Chinese), then the bulletin (build, Word, PDF) is made.

The peer, in the same process: ``pandas.read_sql`` of every table that visit read (seen from its SQL), the
floor of any page that shows those tables through pandas.  Targets (issue 25): each first visit ≤ 2 s, the
bulletin ≤ 3 s.  Prints seconds, the peer's seconds and the ratio.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["dashboard", "onemap", "leads", "routes", "sealing", "abstraction", "reclaimed", "registry", "surveys",
         "surface", "cone", "boundaries", "county", "accounts", "audit"]


def _data_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    folder = Path(tempfile.mkdtemp(prefix="gwmap-bench-pages-"))
    # in a process of its own, as `make run` runs init before serve: the pages are timed in a process that
    # did not compute what init keeps, and holds none of its memory
    env = {**os.environ, "GWMAP_DATA_DIR": str(folder), "GWMAP_DEMO": "1"}
    env.pop("GWMAP_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "gwmap", "init", "--demo", "--json"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return folder


class _Seen:
    """The gwmap tables every statement of any engine reads while on (another thread's too)."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        from gwmap.store.db import _tables_of

        self.tables |= _tables_of(statement)


def _peer(url: str, tables: set[str]) -> float:
    import pandas as pd
    from sqlalchemy import create_engine

    engine = create_engine(url)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        for t in sorted(tables):
            pd.read_sql(f'SELECT * FROM "{t}"', conn)
    out = time.perf_counter() - t0
    engine.dispose()
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data-dir")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    args = ap.parse_args()
    data_dir = _data_dir(args.data_dir)
    os.environ["GWMAP_DATA_DIR"] = str(data_dir)
    os.environ["GWMAP_DEMO"] = "1"
    os.environ.pop("GWMAP_DATABASE_URL", None)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    from gwmap.ui.launch import navigation_by_app, preload

    navigation_by_app()
    preload()
    import streamlit as st
    from sqlalchemy import event
    from sqlalchemy.engine import Engine
    from streamlit.testing.v1 import AppTest

    from gwmap.store import Store
    from gwmap.store.users import CurrentUser
    from gwmap.ui.state import LANG_KEY
    from tests.conftest import signed_in

    url = f"sqlite:///{data_dir / 'gwmap.sqlite'}"
    store = Store(url)
    admin = CurrentUser("admin", "admin", "管理员")
    rows = []
    for page in args.pages:
        st.cache_resource.clear()
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
        at.session_state[LANG_KEY] = "zh"
        signed_in(at, store, admin)
        at.switch_page(f"pages/{page}.py")
        seen = _Seen()
        event.listen(Engine, "before_cursor_execute", seen)
        t0 = time.perf_counter()
        at.run()
        took = time.perf_counter() - t0
        event.remove(Engine, "before_cursor_execute", seen)
        if at.exception:
            print(f"{page}: {at.exception[0].message}", file=sys.stderr)
            return 1
        rows.append((page, took, _peer(url, seen.tables), 2.0))
        print(f"{page:12s} {took:5.2f} s   pandas.read_sql of its {len(seen.tables):2d} tables {rows[-1][2]:5.2f} s",
              flush=True)
    rows.append(("bulletin", *_bulletin(store, data_dir, url), 3.0))
    print(f"{'bulletin':12s} {rows[-1][1]:5.2f} s   pandas.read_sql of the tables it read {rows[-1][2]:5.2f} s")
    print("\npage          first visit  target  peer   ratio")
    for name, took, peer, target in rows:
        print(f"{name:12s} {took:8.2f} s  ≤{target:.0f} s  {peer:5.2f}  {took / peer if peer else float('nan'):5.1f}"
              f"  {'ok' if took <= target else 'SLOW'}")
    return 0 if all(took <= target for _, took, _, target in rows) else 1


def _bulletin(store, data_dir: Path, url: str) -> tuple[float, float]:  # noqa: ANN001
    from sqlalchemy import event

    from gwmap import clock
    from gwmap.bulletin import build_bulletin, bulletin_docx, bulletin_pdf
    from gwmap.i18n import translator
    from gwmap.store import repo
    from gwmap.store.users import system_user

    info, townships, _ = repo.current_boundaries(store)
    today = clock.today()
    month = f"{today.year}-{today.month:02d}"
    tr = translator("zh")
    seen = _Seen()
    event.listen(store.engine, "before_cursor_execute", seen)  # made before: a listener on the class misses it
    t0 = time.perf_counter()
    b = build_bulletin(store, system_user("bench", "bench"), month=month, townships=townships,
                       boundary_version=info.id, data_dir=data_dir)
    bulletin_docx(b, townships, tr=tr, lang="zh")
    bulletin_pdf(b, townships, tr=tr, lang="zh")
    took = time.perf_counter() - t0
    event.remove(store.engine, "before_cursor_execute", seen)
    return took, _peer(url, seen.tables)


if __name__ == "__main__":
    sys.exit(main())
