"""Translations: ``t(key, **params)`` in the session's language (Chinese first)."""

from __future__ import annotations

import string
import tomllib
from functools import lru_cache
from pathlib import Path

import streamlit as st

from gwmap.errors import GwmapError

__all__ = ["LANGS", "catalog", "t", "t_error", "translator", "placeholders"]

LANGS = ("zh", "en")
_DIR = Path(__file__).resolve().parent / "locales"


def _flatten(d: dict, prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = str(v)
    return out


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, flat dotted keys."""
    with open(_DIR / f"{lang}.toml", "rb") as fh:
        return _flatten(tomllib.load(fh))


def placeholders(text: str) -> set[str]:
    """Names of ``{placeholders}`` in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def current_lang() -> str:
    from gwmap.ui.state import get_lang

    return get_lang()


def t(key: str, lang: str | None = None, **params) -> str:
    """Message ``key`` in ``lang`` (default: the session's), formatted with ``params``.

    A missing key shows the key itself, so a gap is visible rather than silent.
    """
    lang = lang or current_lang()
    text = catalog(lang).get(key) or catalog("zh").get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def t_error(exc: GwmapError) -> str:
    """The user's-language message for a gwmap error."""
    return t(exc.code, **exc.params)


def translator(lang: str | None = None):
    """A one-argument translate function for the UI-free core (map labels)."""
    lang = lang or current_lang()
    return lambda key: t(key, lang)
