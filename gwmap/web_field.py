"""The field page's HTTP side: the page itself (``/field/``), its files, and its JSON API.

Streamlit's pages need a live WebSocket; an officer's phone often has none.  The field page is a small
offline-first web app (``static/field/``: HTML, JS, the vendored Leaflet, a service worker), served by
the same process as the Streamlit pages and signed in by the same HttpOnly session cookie
(:mod:`gwmap.web`).  Its API, under ``/api/gwmap/field/``, answers JSON only:

* ``POST signin`` — name and password; sets the session cookie (the sign-in throttle applies);
* ``GET today`` — the officer's stops for today (:func:`gwmap.field.today`);
* ``POST inspections`` — one inspection, once per idempotency key (:func:`gwmap.field.submit`).

Every endpoint resolves the session itself, checks the role (``leads.edit``: enforcement and
administrators; a leader is refused) and the Origin (no cross-site request), limits the body size and
the request rate per session, and answers a refusal or an error as ``{"error": code, "message": text}``
in the user's language, never a traceback.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from functools import cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from gwmap import http_checks
from gwmap.config import PROJECT_ROOT, get_settings
from gwmap.errors import AuthError, ConflictError, GwmapError, InputDataError, NotFound, PermissionDenied
from gwmap.i18n import catalog, translate
from gwmap.store import sessions
from gwmap.store.users import CurrentUser, can

logger = logging.getLogger(__name__)

__all__ = ["FIELD_API", "field_routes", "RateLimiter", "MAX_BODY_BYTES"]

FIELD_API = "/api/gwmap/field"
STATIC = PROJECT_ROOT / "static"
#: An inspection with eight photos shrunk on the phone is about 3 MB as JSON; nothing the page sends is bigger.
MAX_BODY_BYTES = 40 * 2**20
MAX_SIGNIN_BYTES = 4096


class RateLimiter:
    """At most ``limit`` requests per ``window_s`` seconds per key (a sliding window, in this process).

    >>> r = RateLimiter(2, 60.0)
    >>> [r.allow("a", now=t) for t in (0.0, 1.0, 2.0, 61.5)]
    [True, True, False, True]
    """

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit, self.window_s = limit, window_s
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, *, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window_s:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle keys rather than grow without end
                for k in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window_s]:
                    del self._hits[k]
            return True


#: per session: a day's sync of a few dozen inspections fits with room to spare; per address for sign-ins
_API_RATE = RateLimiter(120, 60.0)
_SIGNIN_RATE = RateLimiter(20, 60.0)


def _store():
    return http_checks.store()


def _lang(request: Request) -> str:
    lang = request.cookies.get("gwmap_lang", "zh")
    return lang if lang in ("zh", "en") else "zh"


def _error(request: Request, status: int, code: str, **params) -> JSONResponse:
    return JSONResponse({"error": code, "message": translate(code, _lang(request), **params)}, status_code=status,
                        headers={"cache-control": "no-store"})


def _from_error(request: Request, exc: GwmapError) -> JSONResponse:
    status = {AuthError: 401, PermissionDenied: 403, NotFound: 404, ConflictError: 409}.get(type(exc), 400)
    if isinstance(exc, InputDataError):
        status = 400
    return _error(request, status, exc.code, **exc.params)


def _cross_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    return not http_checks.same_origin(request) or (site is not None and site not in ("same-origin", "none"))


async def _body(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is (or says it is) bigger than ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _signed_in(request: Request) -> tuple[CurrentUser, int] | None:
    return sessions.resolve(_store(), request.cookies.get(sessions.COOKIE), limits=get_settings().session_limits)


def _client(request: Request) -> str:
    """The phone's address: behind the county's nginx (a loopback peer), the last X-Forwarded-For hop nginx added."""
    peer = request.client.host if request.client else "?"
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    return hops[-1] if hops and peer in ("127.0.0.1", "::1") else peer


def _guarded(handler):
    """Origin, session, role and rate checks around an API handler; any failure is JSON, never a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            if _cross_site(request):
                return _error(request, 403, "err.field.origin")
            hit = await run_in_threadpool(_signed_in, request)
            if hit is None:
                return _error(request, 401, "err.field.signed_out")
            user, session_id = hit
            if not can(user, "leads.edit"):
                return _error(request, 403, "err.field.role", role=translate(f"role.{user.role}", _lang(request)))
            if not _API_RATE.allow(f"s{session_id}"):
                return _error(request, 429, "err.field.rate")
            return await handler(request, user)
        except GwmapError as exc:
            return _from_error(request, exc)
        except Exception:  # logged in full on the server; the phone gets one plain sentence
            logger.exception("field API %s failed", request.url.path)
            return _error(request, 500, "err.field.internal")

    return endpoint


def _limits():
    from gwmap.field import FieldLimits

    settings = get_settings()
    return FieldLimits(accuracy_m=float(settings.field_accuracy_m), photo_px=settings.field_photo_px)


async def _today(request: Request, user: CurrentUser) -> Response:
    from gwmap.county import active
    from gwmap.field import today

    def work() -> dict:
        if get_settings().demo:  # a demo server that ran past midnight: the demo team gets the new day's stops
            from gwmap.demo import ensure_demo_dispatch

            ensure_demo_dispatch(_store())
        out = today(_store(), user, limits=_limits())
        out["outline"] = _outline()
        out["county"] = active().label(_lang(request))
        return out

    body = await run_in_threadpool(work)
    return JSONResponse(body, headers={"cache-control": "no-store"})


def _outline() -> dict | None:
    """The townships as light GeoJSON (about 20 m), for the field map without tiles; None before any boundary."""
    from gwmap.store.repo import current_boundaries

    try:
        info, townships, _ = current_boundaries(_store())
    except GwmapError:
        return None
    return _outline_json(str(info.id), townships)


_OUTLINES: dict[str, dict] = {}


def _outline_json(version: str, townships) -> dict:  # noqa: ANN001
    if version not in _OUTLINES:
        light = townships[["name", "geometry"]].copy()
        light["geometry"] = light.geometry.simplify(0.0002, preserve_topology=True)
        _OUTLINES.clear()
        _OUTLINES[version] = json.loads(light.to_json(drop_id=True))
    return _OUTLINES[version]


async def _inspections(request: Request, user: CurrentUser) -> Response:
    from gwmap.field import parse_report, submit

    raw = await _body(request, MAX_BODY_BYTES)
    if raw is None:
        return _error(request, 413, "err.field.too_big", limit_mb=MAX_BODY_BYTES // 2**20)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _error(request, 400, "err.field.body")
    limits = _limits()
    report = parse_report(body, limits=limits)
    receipt = await run_in_threadpool(submit, _store(), user, report, evidence_dir=get_settings().evidence_dir,
                                      limits=limits)
    return JSONResponse(receipt.as_json(), status_code=200 if receipt.status == "stored" else 409,
                        headers={"cache-control": "no-store"})


async def _signin(request: Request) -> Response:
    """Name and password (JSON) for the session cookie; the desktop's throttle and rules apply."""
    from gwmap.store.users import authenticate, must_change_password

    try:
        if _cross_site(request):
            return _error(request, 403, "err.field.origin")
        if not _SIGNIN_RATE.allow(f"ip{_client(request)}"):
            return _error(request, 429, "err.field.rate")
        raw = await _body(request, MAX_SIGNIN_BYTES)
        if raw is None:
            return _error(request, 413, "err.field.too_big", limit_mb=0)
        try:
            body = json.loads(raw.decode("utf-8"))
            name, password = str(body.get("username", ""))[:64], str(body.get("password", ""))[:256]
        except (UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            return _error(request, 400, "err.field.body")
        store, limits = _store(), get_settings().session_limits

        def work():
            user = authenticate(store, name, password)
            if must_change_password(store, user.username):
                raise PermissionDenied("err.field.change_password", "Change the password on a computer first.")
            _, ticket = sessions.open_session(store, user, limits=limits)
            return user, sessions.redeem(store, ticket)

        user, token = await run_in_threadpool(work)
        response = JSONResponse({"user": {"name": user.username, "display": user.display_name, "role": user.role},
                                 "field": can(user, "leads.edit")}, headers={"cache-control": "no-store"})
        response.set_cookie(sessions.COOKIE, token, max_age=int(limits.absolute.total_seconds()), path="/",
                            httponly=True, samesite="strict", secure=http_checks.secure(request))
        return response
    except GwmapError as exc:
        return _from_error(request, exc)
    except Exception:
        logger.exception("field sign-in failed")
        return _error(request, 500, "err.field.internal")


def _page_strings() -> dict[str, dict[str, str]]:
    """The field page's own words in both languages (the ``fieldapp.`` keys, plus the outcomes and kinds)."""
    keep = ("fieldapp.", "route.kind_name.", "vocab.lead_stage.", "login.")
    said = ("err.field.internal", "err.field.photos")  # what the page itself says (the API's words come with it)
    return {lang: {k: v for k, v in catalog(lang).items() if k.startswith(keep) or k in said} for lang in ("zh", "en")}


@cache
def _page_template() -> str:
    return (STATIC / "field" / "index.html").read_text(encoding="utf-8")


async def _page(request: Request) -> Response:
    """The field page: one HTML file carrying both languages' words (so it works offline in either)."""
    strings = json.dumps(_page_strings(), ensure_ascii=False).replace("<", "\\u003c")
    html = _page_template().replace("/*STRINGS*/null", strings).replace("{LANG}", _lang(request))
    return Response(html, media_type="text/html; charset=utf-8",
                    headers={"cache-control": "no-cache", "x-content-type-options": "nosniff",
                             "referrer-policy": "same-origin"})


async def _worker(request: Request) -> Response:
    # served from /field/ so that it may control the whole page; always checked for a newer copy
    return FileResponse(STATIC / "field" / "sw.js", media_type="text/javascript",
                        headers={"cache-control": "no-cache", "service-worker-allowed": "/field/"})


async def _manifest(request: Request) -> Response:
    return FileResponse(STATIC / "field" / "manifest.webmanifest", media_type="application/manifest+json",
                        headers={"cache-control": "no-cache"})


async def _to_slash(request: Request) -> Response:
    return RedirectResponse("/field/", status_code=308)


def field_routes() -> list[BaseRoute]:
    """The routes ``serve.py`` mounts before Streamlit's own (Leaflet copied into ``static/vendor`` first)."""
    from gwmap.maps import install_static_assets

    install_static_assets(STATIC)
    return [
        Route("/field", _to_slash, methods=["GET"]),
        Route("/field/", _page, methods=["GET"]),
        Route("/field/sw.js", _worker, methods=["GET"]),
        Route("/field/manifest.webmanifest", _manifest, methods=["GET"]),
        Mount("/field/static", app=StaticFiles(directory=STATIC, check_dir=False), name="field-static"),
        Route(f"{FIELD_API}/signin", _signin, methods=["POST"]),
        Route(f"{FIELD_API}/today", _guarded(_today), methods=["GET"]),
        Route(f"{FIELD_API}/inspections", _guarded(_inspections), methods=["POST"]),
    ]
