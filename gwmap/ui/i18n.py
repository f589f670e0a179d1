"""``t(key, **params)`` in the session's language (Chinese unless switched)."""

from __future__ import annotations

from gwmap.errors import GwmapError
from gwmap.i18n import translate
from gwmap.ui.state import get_lang

__all__ = ["t", "t_error", "translator"]


def t(key: str, lang: str | None = None, **params) -> str:
    """Message ``key`` in ``lang`` (default: the session's), formatted with ``params``."""
    return translate(key, lang or get_lang(), **params)


def t_error(exc: GwmapError) -> str:
    """The user's-language message for a gwmap error."""
    return t(exc.code, **exc.params)


def translator(lang: str | None = None):
    """A one-argument translate function for the UI-free core (map labels)."""
    lang = lang or get_lang()
    return lambda key: translate(key, lang)
