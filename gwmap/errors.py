"""One error hierarchy for gwmap.

Every error carries a message ``code`` and ``params`` so the UI can render it in
the user's language with ``t(code, **params)``; ``str(error)`` gives an English
fallback for logs and the command line.  Errors mix in the matching built-in
(``InputDataError`` is also a ``ValueError``) so callers can catch either.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "GwmapError",
    "InputDataError",
    "CRSError",
    "PermissionDenied",
    "AuthError",
    "NotFound",
    "ConflictError",
]


class GwmapError(Exception):
    """Root of all gwmap errors.

    Parameters
    ----------
    code : str
        Message key in the locale catalogs, e.g. ``"err.boundary.empty"``.
    message : str
        English text for logs and the command line.
    **params
        Values substituted into the translated message.

    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.code = code
        self.params = params


class InputDataError(GwmapError, ValueError):
    """A file or form the user supplied cannot be used as it is."""


class CRSError(InputDataError):
    """The coordinate reference system is missing, unknown or implausible."""


class PermissionDenied(GwmapError, PermissionError):
    """The signed-in user's role does not allow the action."""


class AuthError(GwmapError):
    """Sign-in refused (wrong name or password, or too many tries)."""


class NotFound(GwmapError, LookupError):
    """A record that was asked for does not exist."""


class ConflictError(GwmapError):
    """The record changed since the form was shown (optimistic locking); nothing was saved.

    ``conflicts`` lists ``(field, saved_value, your_value)`` for the fields
    where the stored value is no longer what the form showed.
    """

    def __init__(self, code: str, message: str, *, conflicts: list[tuple[str, object, object]] | None = None,
                 **params: Any) -> None:
        super().__init__(code, message, **params)
        self.conflicts = conflicts or []
