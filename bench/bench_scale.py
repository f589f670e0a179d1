"""Per-click cost of the busiest pages with many registered wells (issue 11), signed in, in one process.

    python bench/bench_scale.py --wells 100000 [--database-url URL] [--clicks 3] [--json]

Builds (once, then reuses) a data folder under ``var/bench-scale-N[-postgresql]`` holding the demo county
plus N synthetic wells (``gwmap init --demo --scale-wells N``; with ``--database-url`` that
database is used instead), then opens the registry, the one-map and the dashboard as a
signed-in leader with Streamlit's AppTest and times a click on each: a filter change that
reruns the page (the first run, which fills caches, is reported apart).  ``*_click_s`` is such a
click as people make them (a value seen before is answered from the caches); ``*_cold_click_s`` is
the same click with every data cache emptied first, as just after someone changed the data.  The page size is
what the run sends to the browser: the sum of its elements' protobuf messages (the maps'
HTML included).  ``peak_rss_mb`` is the process's peak resident memory.

Goals at N = 840,000, SQLite and PostgreSQL: each click <= 1 s (one-map <= 1.5 s),
pages < 5 MB, peak memory <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: What a click changes on each page: (page, widget key, kind, values to alternate between).
CLICKS = {
    "registry": ("pages/registry.py", "rg_use", "selectbox", ["industry", ""]),
    "onemap": ("pages/onemap.py", "onemap_color_by", "radio", ["use", "status"]),
    "dashboard": ("pages/dashboard.py", "dash_month", "selectbox", [2, 1]),
}


def _prepare(wells: int, database_url: str | None) -> Path:
    data_dir = ROOT / "var" / (f"bench-scale-{wells}" + ("-postgresql" if database_url else ""))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GWMAP_DATA_DIR": str(data_dir), "GWMAP_DEMO": "1"}
    if database_url:
        env["GWMAP_DATABASE_URL"] = database_url
    subprocess.run([sys.executable, "-m", "gwmap", "init", "--demo", "--scale-wells", str(wells), "--json"],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    os.environ.update({k: v for k, v in env.items() if k.startswith("GWMAP_")})
    return data_dir


def _page_mb(at) -> float:
    total = 0
    stack = [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            stack.extend(children.values())
    return total / 1e6


def _app(page: str):
    from streamlit.testing.v1 import AppTest

    from gwmap.ui.launch import navigation_by_app

    navigation_by_app()

    from gwmap.store.sessions import open_session
    from gwmap.store.users import CurrentUser
    from gwmap.ui.resources import store
    from gwmap.ui.state import LANG_KEY, SESSION_KEY, USER_KEY

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    user = CurrentUser("leader", "leader", "局领导")
    at.session_state[LANG_KEY] = "zh"
    at.session_state[USER_KEY] = user
    at.session_state[SESSION_KEY] = open_session(store(), user)[0]
    at.switch_page(page)
    return at


def _clear_data_caches() -> None:
    import streamlit as st

    from gwmap.ui import data

    st.cache_data.clear()
    data._rendered.clear()
    data.dashboard_cone.clear()


def _click(at, kind: str, key: str, value, *, cold: bool = False) -> float:
    """Change one widget as a user would and time the rerun it causes (``cold``: data caches emptied first)."""
    widget = getattr(at, kind)(key=key)
    if kind == "selectbox" and isinstance(value, int):
        widget.select_index(value)
    elif kind == "selectbox":
        widget.select(value)
    else:
        widget.set_value(value)
    if cold:
        _clear_data_caches()
    t0 = time.perf_counter()
    at.run()
    return time.perf_counter() - t0


def measure(clicks: int) -> dict:
    out = {}
    for name, (page, key, kind, values) in CLICKS.items():
        at = _app(page)
        t0 = time.perf_counter()
        at.run()
        first = time.perf_counter() - t0
        if at.exception:
            raise SystemExit(f"{name}: {at.exception[0].value}")
        times = [_click(at, kind, key, values[i % len(values)]) for i in range(clicks)]
        # the same click with every data cache emptied, as after someone changed the data: nothing reused
        cold = [_click(at, kind, key, values[i % len(values)], cold=True) for i in range(clicks)]
        out[f"{name}_first_s"] = round(first, 3)
        out[f"{name}_click_s"] = round(sorted(times)[len(times) // 2], 3)
        out[f"{name}_cold_click_s"] = round(sorted(cold)[len(cold) // 2], 3)
        out[f"{name}_page_mb"] = round(_page_mb(at), 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--wells", type=int, default=100_000)
    p.add_argument("--database-url")
    p.add_argument("--clicks", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    import logging

    logging.disable(logging.WARNING)  # AppTest's "no runtime" notices
    os.environ.setdefault("GWMAP_BASEMAP", "none")
    _prepare(args.wells, args.database_url)
    result = {"wells": args.wells, "backend": "postgresql" if args.database_url else "sqlite",
              **measure(args.clicks)}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>22}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
