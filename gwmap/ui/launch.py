"""Starting the app: Streamlit's ASGI app of ``serve.py``, with no request to the internet."""

from __future__ import annotations

from streamlit import net_util
from streamlit.web import cli as streamlit_cli

from gwmap.config import PROJECT_ROOT

__all__ = ["serve", "no_outside_lookups"]


def no_outside_lookups() -> None:
    """Switch off Streamlit's lookup of this machine's external IP.

    It is an HTTP request to checkip.amazonaws.com, made at start when headless and to judge an unknown
    Origin; the county network may have no internet.
    """
    net_util.get_external_ip = lambda: None


def serve(port: int = 8501, address: str | None = None) -> int:
    """Run ``serve.py`` (app.py plus the session-cookie endpoints) until stopped, asking nothing outside."""
    no_outside_lookups()
    # no full garbage collection after every run (see .streamlit/config.toml), whatever folder we start in
    argv = ["run", str(PROJECT_ROOT / "serve.py"), "--server.port", str(port), "--runner.postScriptGC", "false"]
    if address:
        argv += ["--server.address", address]
    return streamlit_cli.main.main(args=argv, prog_name="streamlit", standalone_mode=False) or 0
