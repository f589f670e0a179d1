"""The architecture's rules that a reviewer would otherwise have to remember.

The core (``gwmap/`` without ``gwmap/ui``) runs without Streamlit: the CLI, the benches and the field API
import it alone.  The store only reads and writes rows: it never imports the analysis above it.  And no two
core modules import each other (a circle is how a private helper ends up borrowed across modules).
"""

import ast
import json
import re
import subprocess
import sys

from gwmap.config import PROJECT_ROOT

GWMAP = PROJECT_ROOT / "gwmap"


def _modules() -> dict[str, object]:
    out = {}
    for p in sorted(GWMAP.rglob("*.py")):
        if "migrations" in p.parts:
            continue
        name = ".".join(p.relative_to(PROJECT_ROOT).with_suffix("").parts).removesuffix(".__init__")
        out[name] = p
    return out


def _imports(path) -> set[str]:
    """Every gwmap module ``path`` imports, at the top or inside a function (``from a.b import c`` names a.b.c
    when that is a module)."""
    mods = _modules()
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "gwmap":
            for a in node.names:
                out.add(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "gwmap"}
    return out


def _core() -> list[str]:
    return [m for m in _modules() if not m.startswith("gwmap.ui") and m != "gwmap.__main__"]


def test_the_core_imports_without_streamlit_in_a_fresh_interpreter():
    """Each core module imported one after another in a new Python; the first that loads Streamlit is named."""
    script = (
        "import importlib, json, sys\n"
        f"for m in {json.dumps(_core())}:\n"
        "    importlib.import_module(m)\n"
        "    if 'streamlit' in sys.modules:\n"
        "        print(json.dumps(m)); break\n"
        "else:\n"
        "    print(json.dumps(None))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) is None, "this core module loads streamlit"


def test_the_check_would_see_a_module_that_loads_streamlit():
    """The same check on the UI's own state module finds Streamlit (the test above can fail)."""
    script = "import sys, gwmap.ui.state; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert out.stdout.strip() == "True"


def test_the_store_does_not_reach_up():
    """``gwmap.store`` imports only itself and the modules below every layer (errors, clock, config, vocab,
    file hashing)."""
    below = {"gwmap.errors", "gwmap.clock", "gwmap.config", "gwmap.vocab", "gwmap.io.files"}
    reach = {m: sorted(i for i in _imports(p) if not i.startswith("gwmap.store") and i not in below)
             for m, p in _modules().items() if m.startswith("gwmap.store")}
    assert {m: r for m, r in reach.items() if r} == {}


def test_no_two_core_modules_import_each_other():
    """No import circle between core modules (inside the store's package, users and sessions know each other)."""
    mods = _modules()
    graph = {m: {i for i in _imports(p) if i in mods and i != m} for m, p in mods.items() if m in _core()}
    circles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start and not all(m.startswith("gwmap.store") for m in path):
                    circles.append(" → ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert circles == []


STREAMLIT_IMPORT = re.compile(r"^\s*(import streamlit|from streamlit)", re.M)


def test_pages_do_no_sql_or_geometry():
    for p in (PROJECT_ROOT / "pages").glob("*.py"):
        text = p.read_text()
        assert not re.search(r"^\s*(from|import) (sqlalchemy|numpy|shapely|geopandas)", text, re.M), p.name


def test_no_cdn_in_code():
    for p in list(GWMAP.rglob("*.py")) + [PROJECT_ROOT / "app.py"]:
        assert not re.search(r"cdn\.jsdelivr|cdnjs|unpkg\.com", p.read_text()), p


def test_usage_statistics_are_off():
    cfg = (PROJECT_ROOT / ".streamlit" / "config.toml").read_text()
    assert re.search(r"gatherUsageStats\s*=\s*false", cfg)
