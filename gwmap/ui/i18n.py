"""``t(key, **params)`` in the session's language (Chinese unless switched)."""

from __future__ import annotations

from gwmap.errors import GwmapError
from gwmap.i18n import translate
from gwmap.ui.state import get_lang

__all__ = ["t", "t_error", "translator", "survey_label"]


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


def survey_label(code: str, lang: str | None = None) -> str:
    """``2026-autumn`` as the user reads it: 2026年秋季 / Autumn 2026."""
    from gwmap.i18n import survey_label as _label

    return _label(code, lang or get_lang())


def survey_options(surveys, lang: str | None = None, *, version: bool = False) -> dict[int, str]:
    """Survey id -> "2026年秋季 · 浅层" (with " · v2" when ``version``), for select boxes."""
    lang = lang or get_lang()
    return {int(r.id): f"{survey_label(r.code, lang)} · {translate('vocab.aquifer.' + r.aquifer, lang)}"
            + (f" · v{r.version}" if version else "") for r in surveys.itertuples()}
