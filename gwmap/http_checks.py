"""What every HTTP endpoint of gwmap (the session cookie's, the field page's) checks and opens the same way."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

from starlette.requests import Request

from gwmap.config import get_settings
from gwmap.store.db import Store

__all__ = ["store", "same_origin", "secure"]


@cache
def store() -> Store:
    """The configured store, opened once per process."""
    return Store(get_settings().database_url)


def same_origin(request: Request) -> bool:
    """A browser names the page that sent a POST in ``Origin``: it must be this site."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser's cross-site request (browsers send Origin with every POST fetch)
        return True
    host = request.headers.get("x-forwarded-host") or request.headers.get("host", "")
    # host names, not ports: a proxy may pass the host without the port the browser used
    return (urlsplit(origin).hostname or "") == (urlsplit(f"//{host}").hostname or "")


def secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through the county's nginx)."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "") == "https"
