"""The two HTTP endpoints Streamlit cannot provide: setting and clearing the HttpOnly session cookie.

A Streamlit script cannot set a cookie.  After a sign-in the page posts its
one-time ticket here (``fetch`` from the same origin, the ticket in the body,
never in a URL); the answer sets the session token as an HttpOnly,
SameSite=Strict cookie, which the browser then sends with every page load,
reload, deep link and new tab, and which scripts in the page cannot read.
Mounted on Streamlit's ASGI app by ``serve.py`` (``python -m gwmap serve``).
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from gwmap import http_checks
from gwmap.config import get_settings
from gwmap.store import sessions
from gwmap.store.db import Store

logger = logging.getLogger(__name__)

__all__ = ["SESSION_PATH", "SIGNOUT_PATH", "routes"]

SESSION_PATH = "/api/gwmap/session"
SIGNOUT_PATH = "/api/gwmap/signout"


def _store() -> Store:
    return http_checks.store()


_same_origin = http_checks.same_origin
_secure = http_checks.secure


async def session(request: Request) -> Response:
    """Trade a one-time ticket (the request body) for the session cookie; 403 for anything else."""
    if not _same_origin(request):
        return Response(status_code=403)
    body = (await request.body())[:256].decode("ascii", "replace").strip()
    token = await run_in_threadpool(sessions.redeem, _store(), body)
    if token is None:
        return Response(status_code=403)
    response = Response(status_code=204, headers={"cache-control": "no-store"})
    response.set_cookie(sessions.COOKIE, token, max_age=int(get_settings().session_limits.absolute.total_seconds()),
                        path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


async def signout(request: Request) -> Response:
    """End the session the cookie names (if still open) and clear the cookie."""
    if not _same_origin(request):
        return Response(status_code=403)
    token = request.cookies.get(sessions.COOKIE)
    limits = get_settings().session_limits

    def end() -> None:
        hit = sessions.resolve(_store(), token, limits=limits)
        if hit is not None:
            sessions.revoke(_store(), hit[0], hit[1])

    await run_in_threadpool(end)
    response = Response(status_code=204, headers={"cache-control": "no-store"})
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(request))
    return response


def routes() -> list:
    """The session-cookie endpoints and the field page (:mod:`gwmap.web_field`), mounted before Streamlit's."""
    from gwmap.web_field import field_routes

    return [Route(SESSION_PATH, session, methods=["POST"]), Route(SIGNOUT_PATH, signout, methods=["POST"]),
            *field_routes()]
