"""Starting the app: Streamlit's ASGI app of ``serve.py``, with no request to the internet."""

from __future__ import annotations

from streamlit import net_util
from streamlit.web import cli as streamlit_cli

from gwmap.config import PROJECT_ROOT

__all__ = ["serve", "no_outside_lookups", "navigation_by_app", "preload"]

#: What the pages import, loaded when the server starts (about 1.5 s on the demo machine: SciPy, the store's
#: models, the bulletin's writers), so the first visitor after a restart does not wait for it.
#: Core modules only: the UI's own make Streamlit caches at import, which would warn before the runtime is up.
PAGE_MODULES = ("gwmap.demo", "gwmap.surveys", "gwmap.levels", "gwmap.bulletin", "gwmap.reports", "gwmap.maps",
                "gwmap.ledger", "gwmap.screening", "gwmap.kept", "altair", "folium")


def preload() -> None:
    """Import the pages' modules now (see :data:`PAGE_MODULES`), and skip Streamlit's bare-mode check.

    Streamlit checks once per process, on the first element drawn, whether it runs in a REPL
    (``delta_generator._maybe_print_use_warning`` calls ``env_util.is_repl``, i.e. ``inspect.stack()``, which
    takes the real path of every loaded module for every frame): 0.8-1.1 s of the first visit after a restart
    with gwmap's 2,600 modules loaded (``bench/bench_pages.py``).  A served app never prints that warning, so
    the check is marked done here.
    """
    import importlib

    from streamlit import delta_generator

    for name in PAGE_MODULES:
        importlib.import_module(name)
    delta_generator._use_warning_has_been_displayed = True


def no_outside_lookups() -> None:
    """Switch off Streamlit's lookup of this machine's external IP.

    It is an HTTP request to checkip.amazonaws.com, made at start when headless and to judge an unknown
    Origin; the county network may have no internet.
    """
    net_util.get_external_ip = lambda: None


def navigation_by_app() -> None:
    """Every URL runs ``app.py``, whose ``st.navigation`` lists the pages by role; never the ``pages/`` folder alone.

    Streamlit runs a project with a ``pages/`` folder in its first multipage mode (each file at its own URL,
    ``app.py`` not run, the file names in the sidebar) until some session calls ``st.navigation``: on a fresh
    server the first visitor of ``/registry`` would get ``pages/registry.py`` without the frame, and a page
    test (AppTest starts every run afresh) would never leave that mode.  Streamlit keeps the choice in
    ``PagesManager.uses_pages_directory``, set when a page manager is made; this keeps it off from the start.
    ``client.showSidebarNavigation = false`` (``.streamlit/config.toml``) hides the file list where this was
    not called (``streamlit run app.py``), and every page still checks the user itself.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager.__init__, "_gwmap", False):
        return
    made = PagesManager.__init__

    def init(self, *args, **kwargs) -> None:  # noqa: ANN001
        made(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    init._gwmap = True
    PagesManager.__init__ = init
    PagesManager.uses_pages_directory = False


def serve(port: int = 8501, address: str | None = None) -> int:
    """Run ``serve.py`` (app.py plus the session-cookie endpoints) until stopped, asking nothing outside."""
    no_outside_lookups()
    # no full garbage collection after every run (see .streamlit/config.toml), whatever folder we start in
    argv = ["run", str(PROJECT_ROOT / "serve.py"), "--server.port", str(port), "--runner.postScriptGC", "false"]
    if address:
        argv += ["--server.address", address]
    return streamlit_cli.main.main(args=argv, prog_name="streamlit", standalone_mode=False) or 0
