"""The architecture's rules that a reviewer would otherwise have to remember."""

import re

from gwmap.config import PROJECT_ROOT

STREAMLIT_IMPORT = re.compile(r"^\s*(import streamlit|from streamlit)", re.M)


def test_streamlit_only_in_ui():
    leaks = [p.relative_to(PROJECT_ROOT).as_posix() for p in (PROJECT_ROOT / "gwmap").rglob("*.py")
             if "ui" not in p.relative_to(PROJECT_ROOT / "gwmap").parts[:1] and STREAMLIT_IMPORT.search(p.read_text())]
    assert leaks == []


def test_pages_do_no_sql_or_geometry():
    for p in (PROJECT_ROOT / "views").glob("*.py"):
        text = p.read_text()
        assert not re.search(r"^\s*(from|import) (sqlalchemy|numpy|shapely|geopandas)", text, re.M), p.name


def test_no_cdn_in_code():
    for p in list((PROJECT_ROOT / "gwmap").rglob("*.py")) + [PROJECT_ROOT / "app.py"]:
        assert not re.search(r"cdn\.jsdelivr|cdnjs|unpkg\.com", p.read_text()), p


def test_usage_statistics_are_off():
    cfg = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(r"gatherUsageStats\s*=\s*false", cfg)
