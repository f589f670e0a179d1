"""Shared fixtures: stores on SQLite (always) and PostgreSQL (when GWMAP_TEST_PG_URL is set)."""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from gwmap.config import PROJECT_ROOT
from gwmap.store import Store

DATA = PROJECT_ROOT / "data"
REFERENCE = PROJECT_ROOT.parent / "shared" / "reference"
PG_URL = os.environ.get("GWMAP_TEST_PG_URL", "")
os.environ.setdefault("GWMAP_DEBUG", "1")  # a bug on a page fails its test (see gwmap.ui.shell.install_error_handler)

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def _worker_pg_url() -> str:
    """The PostgreSQL database of this pytest-xdist worker (``gwmap_test_gw0``, …), made on first use.

    Tests drop and remake the schema of their database, so two workers never share one.
    """
    from sqlalchemy.engine import make_url

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return PG_URL
    url = make_url(PG_URL)
    name = f"{url.database}_{worker}"
    eng = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        eng.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


#: Per worker database: the rows the migrations themselves store (counters, seeds), put back after each reset,
#: and the schema's fingerprint (a test that restores a backup or tampers with triggers changes it: remade).
_PG_SEEDED: dict[str, dict[str, list[dict]]] = {}
_PG_SCHEMA: dict[str, tuple] = {}
_FINGERPRINT = text("""SELECT (SELECT string_agg(tgname::text || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
                                WHERE NOT tgisinternal),
                              (SELECT string_agg(table_name || '.' || column_name || coalesce(column_default, ''), ','
                                                 ORDER BY table_name, column_name)
                                 FROM information_schema.columns WHERE table_schema = 'public'),
                              (SELECT string_agg(proname::text || md5(prosrc), ',' ORDER BY proname) FROM pg_proc
                                WHERE pronamespace = 'public'::regnamespace)""")


def _fresh_pg() -> Store:
    """An empty, migrated PostgreSQL store: the schema made once per worker, then emptied for each test.

    Emptying (TRUNCATE … RESTART IDENTITY, then the rows the migrations store put back) keeps the schema, its
    triggers and the migration record and takes milliseconds; remaking the schema took a second a test.
    """
    from sqlalchemy import MetaData

    url = _worker_pg_url()
    eng = create_engine(url)
    try:
        if url in _PG_SCHEMA:
            with eng.connect() as conn:
                if tuple(conn.execute(_FINGERPRINT).one()) != _PG_SCHEMA[url]:
                    del _PG_SEEDED[url]
        if url not in _PG_SEEDED:
            with eng.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
                conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
            st = Store(url)
            st.migrate()
            st.dispose()
            meta = MetaData()
            with warnings.catch_warnings():  # PostGIS's geometry type is unknown to plain SQLAlchemy: not read here
                warnings.simplefilter("ignore")
                meta.reflect(eng)
            with eng.connect() as conn:
                _PG_SEEDED[url] = {t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                                   for t in meta.sorted_tables if t.name not in ("alembic_version", "spatial_ref_sys")}
                _PG_SCHEMA[url] = tuple(conn.execute(_FINGERPRINT).one())
        else:
            seeded = _PG_SEEDED[url]
            meta = MetaData()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                meta.reflect(eng, only=list(seeded))
            with eng.begin() as conn:  # the store refuses deletes by trigger; resetting a test database is not one
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in seeded) + " RESTART IDENTITY CASCADE"))
                for name, rows in seeded.items():
                    if rows:
                        conn.execute(meta.tables[name].insert(), rows)
    finally:
        eng.dispose()
    return Store(url)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path) -> Store:
    """An empty, migrated store on each backend."""
    st = Store(f"sqlite:///{tmp_path / 'gw.sqlite'}") if request.param == "sqlite" else _fresh_pg()
    st.migrate()
    yield st
    st.dispose()


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory) -> Path:
    from gwmap.demo import ensure_demo_users, load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    st = Store(f"sqlite:///{path}")
    st.migrate()
    ensure_demo_users(st)
    load_demo(st, DATA, path.parent / "evidence")  # with the demo cases' photos, as `init --demo` makes them
    st.dispose()
    return path


@pytest.fixture(scope="session")
def _power_template(tmp_path_factory, _demo_template) -> Path:
    """The demo database with what ``init --demo`` adds besides: the power records and meter readings
    (kept out of the plain demo template, which most tests copy: 89,000 records with their audit rows)."""
    from gwmap.demo import DEMO_LOADER
    from gwmap.demo_power import add_demo_power

    folder = tmp_path_factory.mktemp("power-demo")
    copy_demo(_demo_template, folder, "demo.sqlite")
    st = Store(f"sqlite:///{folder / 'demo.sqlite'}")
    add_demo_power(st, DEMO_LOADER)
    st.dispose()
    return folder / "demo.sqlite"


@pytest.fixture
def power_db_path(_power_template, tmp_path) -> Path:
    """A data dir holding a copy of the demo database with its power records, as ``gwmap.sqlite``."""
    copy_demo(_power_template, tmp_path)
    return tmp_path


def copy_demo(template: Path, data_dir: Path, name: str = "gwmap.sqlite") -> Path:
    """The demo database and its evidence folder copied into ``data_dir`` (the layout a data dir has)."""
    shutil.copyfile(template, data_dir / name)
    shutil.copytree(template.parent / "evidence", data_dir / "evidence", dirs_exist_ok=True)
    return data_dir / name


@pytest.fixture
def demo_store(_demo_template, tmp_path) -> Store:
    """A SQLite store with the demo county and demo users (a private copy per test)."""
    path = copy_demo(_demo_template, tmp_path, "demo.sqlite")  # evidence in tmp_path / "evidence"
    st = Store(f"sqlite:///{path}")
    yield st
    st.dispose()


@pytest.fixture
def demo_db_path(_demo_template, tmp_path) -> Path:
    """A data dir holding a copy of the demo database as gwmap.sqlite."""
    copy_demo(_demo_template, tmp_path)
    return tmp_path


ODD_VERSIONS = ["one township", "tiny", "a hole", "a multipolygon", "codes changed"]


def odd_townships(kind: str):
    """A township set an older gwmap could store (:data:`ODD_VERSIONS`), made from the demo's."""
    import geopandas as gpd
    import shapely
    from shapely.geometry import box

    from gwmap.crs import area_crs

    tw = gpd.read_file(DATA / "boundaries" / "townships.geojson")[["code", "name", "geometry"]]
    plane = tw.to_crs(area_crs())
    if kind == "one township":
        return tw.head(1)
    if kind == "tiny":  # a 2 ha township cut out of another
        c = plane.geometry.iloc[0].representative_point()
        small = box(c.x, c.y, c.x + 141, c.y + 141)
        geoms = plane.geometry.copy()
        geoms.iloc[0] = geoms.iloc[0].difference(small)
        return gpd.GeoDataFrame({"code": [*tw.code, "X1"], "name": [*tw.name, "针尖村"]},
                                geometry=[*geoms, small], crs=area_crs()).to_crs(4326)
    if kind == "a hole":
        hole = plane.geometry.iloc[4].representative_point().buffer(800)
        geoms = plane.geometry.copy()
        geoms.iloc[4] = geoms.iloc[4].difference(hole)
        return gpd.GeoDataFrame(tw[["code", "name"]], geometry=geoms.to_crs(4326).to_numpy(), crs=4326)
    if kind == "a multipolygon":
        merged = shapely.union_all([tw.geometry.iloc[0], tw.geometry.iloc[9]])  # two townships apart: one code
        rest = tw.iloc[[i for i in range(len(tw)) if i not in (0, 9)]]
        return gpd.GeoDataFrame({"code": ["M1", *rest.code], "name": ["飞地镇", *rest.name]},
                                geometry=[merged, *rest.geometry], crs=4326)
    if kind == "codes changed":
        return tw.assign(code=[f"NEW{i:03d}" for i in range(len(tw))])
    raise ValueError(kind)


def cli(args: list[str], data_dir: Path, input_: str | None = None):
    """``python -m gwmap *args`` run in this process (as a subprocess would, in the project folder, on
    ``data_dir``): ``.returncode``, ``.stdout``, ``.stderr``.  For the many argument checks; a few tests run
    the real command end to end."""
    import contextlib
    import io
    import sys
    from types import SimpleNamespace

    from gwmap.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_env, saved_cwd, saved_in = dict(os.environ), os.getcwd(), sys.stdin
    os.environ["GWMAP_DATA_DIR"] = str(data_dir)
    os.environ.pop("GWMAP_DATABASE_URL", None)
    os.chdir(PROJECT_ROOT)
    sys.stdin = io.StringIO(input_ or "")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse refusing an argument
                code = exc.code if isinstance(exc.code, int) else 2
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.stdin = saved_in
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def signed_in(at, store: Store, user) -> None:
    """Put ``user`` into an AppTest session as the sign-in form does: the user and a stored session."""
    from gwmap.store.sessions import open_session
    from gwmap.ui.state import SESSION_KEY, USER_KEY

    session_id, _ = open_session(store, user)
    at.session_state[USER_KEY] = user
    at.session_state[SESSION_KEY] = session_id


@pytest.fixture(autouse=True)
def _default_county():
    """Each test starts with the default county active (a test that sets up another county reads it itself)."""
    import gwmap.county

    gwmap.county._active = None
    yield
    gwmap.county._active = None


def pytest_terminal_summary(terminalreporter):
    """The hostile-input battery's counts (``tests/core/test_battery.py``), from every worker's reports."""
    from collections import Counter

    counts = Counter(v for key in ("passed", "failed") for rep in terminalreporter.stats.get(key, [])
                     if getattr(rep, "when", "") == "call"
                     for k, v in getattr(rep, "user_properties", []) if k == "battery")
    absent = sorted({str(rep.longrepr[2]) for rep in terminalreporter.stats.get("skipped", [])
                     if isinstance(getattr(rep, "longrepr", None), tuple) and "shared/reference" in str(rep.longrepr[2])})
    if absent:  # say which accuracy checks did not run, not only "s"
        terminalreporter.write_line("reference data absent, these checks did not run: " + "; ".join(absent))
    if counts:
        terminalreporter.write_line(f"battery: {sum(counts.values())} cases, {counts['refuse']} refused with the "
                                    f"code they name, {counts['accept']} accepted, {counts['crash']} crashes")
