"""A real Streamlit server and headless Chromium (Debian's), with no network beyond localhost."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from gwmap.config import PROJECT_ROOT
from tests.conftest import copy_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
OUTPUT = PROJECT_ROOT / "test-output" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerURL(str):
    """The app's address, with the data folder it serves (``data_dir``) for tests that set data up."""

    data_dir: Path


#: ``streamlit run app.py`` as Streamlit alone would serve it (no serve.py): a fresh server of this kind runs
#: each ``pages/`` file alone at its URL until a visit to "/" has called ``st.navigation``.
BARE_STREAMLIT = ("import sys; from gwmap.ui.launch import no_outside_lookups; no_outside_lookups(); "
                  "from streamlit.web import cli; sys.exit(cli.main.main(args=['run', 'app.py', '--server.port', "
                  "sys.argv[1], '--server.address', '127.0.0.1'], prog_name='streamlit', standalone_mode=False) or 0)")


def start_server(data_dir: Path, extra_env: dict | None = None, log_name: str = "server.log", *, bare: bool = False):
    """``python -m gwmap serve`` (as ``make run``) on a free port over ``data_dir``; (process, URL) once healthy.

    ``bare``: Streamlit's own ``streamlit run app.py`` instead (:data:`BARE_STREAMLIT`).
    """
    port = _free_port()
    env = {**os.environ, "GWMAP_DATA_DIR": str(data_dir), "GWMAP_DEMO": "1", "GWMAP_BASEMAP": "none",
           **(extra_env or {})}
    if "GWMAP_DATABASE_URL" not in (extra_env or {}):
        env.pop("GWMAP_DATABASE_URL", None)
    log = open(data_dir / log_name, "w")
    command = ([sys.executable, "-c", BARE_STREAMLIT, str(port)] if bare
               else [sys.executable, "-m", "gwmap", "serve", "--port", str(port), "--address", "127.0.0.1"])
    proc = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    pytest.fail("Streamlit did not start: " + (data_dir / log_name).read_text()[-2000:])


@pytest.fixture(scope="session")
def _served_template(tmp_path_factory, _demo_template) -> Path:
    """The demo database after what ``init`` does once data land: the dashboard's cone series and the kept
    answers (ledgers, screening, year on year) precomputed, so a server's first visitor does not wait for them
    (four browser modules computing them at once on two cores took a minute a page)."""
    from gwmap import kept
    from gwmap.runs import precompute
    from gwmap.store import Store
    from gwmap.store.users import system_user

    folder = tmp_path_factory.mktemp("served-demo")
    copy_demo(_demo_template, folder)
    store = Store(f"sqlite:///{folder / 'gwmap.sqlite'}")
    # its rasters stay here; the copies' runs point at them
    precompute(store, system_user("cli", "command line"), data_dir=folder)
    kept.warm(store, folder)
    store.dispose()
    return folder


def copy_served(template: Path, data_dir: Path) -> None:
    """:func:`_served_template`'s database, evidence and kept answers copied into ``data_dir``."""
    copy_demo(template / "gwmap.sqlite", data_dir)
    shutil.copytree(template / "kept", data_dir / "kept", dirs_exist_ok=True)


@pytest.fixture(scope="module")
def server(request, tmp_path_factory, _served_template):
    """The app on the demo county as ``init --demo`` leaves it (:func:`_served_template`); a test module's
    ``SERVER_ENV`` dict adds settings (as a deployment would)."""
    data_dir = tmp_path_factory.mktemp("browser-data")
    copy_served(_served_template, data_dir)
    proc, url = start_server(data_dir, getattr(request.module, "SERVER_ENV", {}))
    served = ServerURL(url)
    served.data_dir = data_dir
    yield served
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (make test installs it: apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        yield b
        b.close()


def outside_guard(pg):
    """A route handler that lets this machine's requests through and refuses (and records in
    ``pg.outside_requests``) every other one."""
    pg.outside_requests = []

    def guard(route):
        if route.request.url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            route.continue_()
        else:
            pg.outside_requests.append(route.request.url)
            route.abort()

    return guard


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):  # noqa: ARG001
    """Keep each phase's report on the test (``item.rep_call``) so a fixture can tell that the test failed."""
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture
def page(request, browser, server):
    """A page that refuses and records every request not to the app's own servers (this machine).

    When the test fails, what the page showed is saved to ``test-output/browser/failed-<test>.png``.
    """
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
    pg = ctx.new_page()
    pg.route("**/*", outside_guard(pg))
    OUTPUT.mkdir(parents=True, exist_ok=True)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            pg.screenshot(path=str(OUTPUT / f"failed-{request.node.name}.png"), full_page=True, timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that cannot be drawn any more leaves no picture
            pass
    ctx.close()


def sign_in(page, server, username, password, *, keep: bool = True):
    """Sign in on the form at "/"; with ``keep``, wait until the browser holds the session cookie.

    The page posts the sign-in to the server for the cookie after it has drawn; a test that goes straight
    to another URL (a new Streamlit session, signed in by that cookie) must not outrun that request, as no
    person does.  ``keep=False`` for a refused sign-in, or where the app itself must wait (the phone).
    """
    from gwmap.store.sessions import COOKIE

    page.goto(server + "/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    if not keep:
        return
    deadline = time.time() + 90
    while not any(c["name"] == COOKIE for c in page.context.cookies()):
        if time.time() > deadline:
            pytest.fail(f"no session cookie 90 s after signing in as {username}")
        page.wait_for_timeout(200)


def map_frame(page, key: str | None = None, *, selector: str | None = None):
    """The streamlit-folium frame once it has drawn: its ``key`` canvas layer (``window.gwmapCounts[key]``)
    or, for maps without one, an element matching ``selector``."""
    check = (f"() => !!(window.gwmapCounts && window.gwmapCounts[{key!r}] !== undefined)" if key
             else f"() => document.querySelectorAll({selector!r}).length > 0")
    page.wait_for_selector('iframe[title="streamlit_folium.st_folium"]', timeout=60_000)
    for _ in range(200):
        for f in page.frames:
            if "streamlit_folium" in f.url:
                try:
                    if f.evaluate(check):
                        return f
                except Exception:  # frame still navigating
                    pass
        page.wait_for_timeout(300)
    raise AssertionError(f"the map never drew {key or selector}")


def pytest_collection_modifyitems(items):
    """Each browser module runs on one xdist worker, in order: its tests share one server (a fresh one for the
    anonymous visits) and some read what an earlier test of the module left."""
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
