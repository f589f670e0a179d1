"""Many people at once (issue 11): sign-in and page times for N simultaneous users on P app processes.

    python bench/bench_users.py --users 30 --processes 2 [--wells 100000] [--database-url URL] [--json]

Starts P app processes (``python -m gwmap serve``, as deployed behind nginx) on the data folder of
``bench_scale.py`` (the demo county plus N synthetic wells), then lets the users in at the same moment.
Each user is what a browser is to the server: a websocket on ``/_stcore/stream`` speaking Streamlit's
protocol.  It opens the app, types its name and password into the sign-in form and submits (the
password hash is checked like any sign-in), then opens the dashboard, the one-map, the registry and the
leads page in turn, with no pause.  A page's time runs from the request to the server's "script
finished", i.e. everything the server does for that page; drawing in the browser is not included (it
runs on the user's machine, not this one).  Users are spread over the processes as nginx's upstream
hash would spread them.

Prints the median and 90th percentile of the sign-in and of the page times, per page and overall.
Goal: 30 users at once on this 2-core machine, median page < 3 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PAGES = ("dashboard", "onemap", "registry", "leads")


def _serve(data_dir: Path, port: int, database_url: str | None) -> subprocess.Popen:
    env = {**os.environ, "GWMAP_DATA_DIR": str(data_dir), "GWMAP_DEMO": "1", "GWMAP_BASEMAP": "none"}
    if database_url:
        env["GWMAP_DATABASE_URL"] = database_url
    log = open(data_dir / f"bench-users-{port}.log", "w")
    return subprocess.Popen([sys.executable, "-m", "gwmap", "serve", "--port", str(port), "--address", "127.0.0.1"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait_healthy(port: int, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"the app on port {port} did not start")


class Client:
    """One browser tab, as far as the server can tell; ``shown`` checks it got the page it asked for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.ws = None
        self.widgets: dict[str, str] = {}  # label -> widget id, from the last page drawn

    async def connect(self) -> None:
        import websockets

        self.ws = await websockets.connect(f"ws://127.0.0.1:{self.port}/_stcore/stream", subprotocols=["streamlit"],
                                           max_size=None, open_timeout=300, ping_interval=None)

    async def run(self, page: str, widget_states=None) -> float:
        """Ask for ``page`` (with these widget values) and wait until the server has finished it."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        cs = msg.rerun_script
        cs.page_name = page
        cs.context_info.timezone = "Asia/Shanghai"
        cs.context_info.locale = "zh-CN"
        cs.context_info.url = f"http://127.0.0.1:{self.port}/{page}"
        if widget_states is not None:
            cs.widget_states.CopyFrom(widget_states)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        self.widgets = {}
        self.shown = None  # the url path of the page the server ran (None: the sign-in form, no navigation)
        while True:
            fwd = ForwardMsg()
            fwd.ParseFromString(await self.ws.recv())
            kind = fwd.WhichOneof("type")
            if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
                el = fwd.delta.new_element
                which = el.WhichOneof("type")
                if which in ("text_input", "button"):
                    w = getattr(el, which)
                    self.widgets[w.label] = w.id
                elif which == "exception":
                    raise RuntimeError(f"{page}: {el.exception.message}")
            elif kind == "navigation":
                nav = fwd.navigation
                self.shown = next(((p.url_pathname or "dashboard") for p in nav.app_pages  # the default has ""
                                   if p.page_script_hash == nav.page_script_hash), None)
            elif kind == "script_finished":
                if fwd.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # the script reruns itself (sign-in does): wait for the rerun to finish
                return time.perf_counter() - t0

    async def sign_in(self, username: str, password: str) -> float:
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        from gwmap.ui.i18n import t

        t_open = await self.run("dashboard")  # the sign-in form
        states = WidgetStates()
        for label, value in ((t("login.username", "zh"), username), (t("login.password", "zh"), password)):
            w = states.widgets.add()
            w.id = self.widgets[label]
            w.string_value = value
        w = states.widgets.add()
        w.id = self.widgets[t("login.submit", "zh")]
        w.trigger_value = True
        took = t_open + await self.run("dashboard", states)
        if self.shown != "dashboard":
            raise RuntimeError(f"{username}: not signed in")
        return took

    async def close(self) -> None:
        await self.ws.close()


async def _user(i: int, port: int, account: tuple[str, str], start: asyncio.Event, out: dict,
                pages: tuple[str, ...] = PAGES) -> None:
    client = Client(port)
    await client.connect()
    await start.wait()
    t0 = time.perf_counter()
    out["sign_in"].append(await client.sign_in(*account))
    for page in pages:
        out[page].append(await client.run(page))
        if client.shown != page:
            raise RuntimeError(f"{account[0]} asked for {page}, the server ran {client.shown}")
    out["total"].append(time.perf_counter() - t0)
    await client.close()


async def _crowd(users: int, ports: list[int], accounts: list[tuple[str, str]], pages=PAGES) -> dict:
    out = {k: [] for k in ("sign_in", *PAGES, "total")}
    start = asyncio.Event()
    tasks = [asyncio.create_task(_user(i, ports[i % len(ports)], accounts[i % len(accounts)], start, out, pages))
             for i in range(users)]
    await asyncio.sleep(1.0)  # every socket open
    start.set()
    await asyncio.gather(*tasks)
    return out


def _stats(values: list[float]) -> dict:
    values = sorted(values)
    return {"median_s": round(statistics.median(values), 2), "p90_s": round(values[int(0.9 * (len(values) - 1))], 2),
            "max_s": round(values[-1], 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--users", type=int, default=30)
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--wells", type=int, default=100_000)
    p.add_argument("--database-url")
    p.add_argument("--port", type=int, default=8620, help="first port (the processes take the next ones)")
    p.add_argument("--pages", default=",".join(PAGES), help="pages each user opens after signing in, in order")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    pages = tuple(x for x in args.pages.split(",") if x)

    from bench_scale import _prepare

    from gwmap.store.users import DEMO_USERS

    data_dir = _prepare(args.wells, args.database_url)
    accounts = [(u, pw) for u, _, _, pw in DEMO_USERS]  # the four roles, in turn
    ports = [args.port + k for k in range(args.processes)]
    procs = [_serve(data_dir, port, args.database_url) for port in ports]
    try:
        for port in ports:
            _wait_healthy(port)
        asyncio.run(_crowd(len(ports), ports, accounts))  # one user per process first: warm, as in daily use
        t0 = time.perf_counter()
        out = asyncio.run(_crowd(args.users, ports, accounts, pages))
        wall = time.perf_counter() - t0
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)
    times = [v for k in pages for v in out[k]]
    result = {"users": args.users, "processes": args.processes, "wells": args.wells,
              "backend": "postgresql" if args.database_url else "sqlite", "wall_s": round(wall, 1),
              "sign_in": _stats(out["sign_in"]), **({"page": _stats(times)} if times else {}),
              **{k: _stats(out[k]) for k in pages}}
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>10}: {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
