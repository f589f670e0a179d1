"""Message catalogs (``gwmap/locales/zh.toml``, ``en.toml``); Chinese first.

>>> translate("vocab.aquifer.deep", "zh")
'深层'
>>> translate("err.upload.empty", "en", name="a.csv")
'The file “a.csv” is empty.'
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

__all__ = ["LANGS", "Term", "catalog", "placeholders", "translate", "translator", "survey_label"]

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


@cache
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, flat dotted keys."""
    with open(_DIR / f"{lang if lang in LANGS else 'zh'}.toml", "rb") as fh:
        return _flatten(tomllib.load(fh))


def placeholders(text: str) -> set[str]:
    """Names of ``{placeholders}`` in a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Term(str):
    """A message parameter that is itself a message key, shown in the reader's language.

    >>> translate("err.levels.no_round", "zh", round="2031-autumn", aquifer=Term("vocab.aquifer.deep"), have="—")[:4]
    '没有深层'
    """


def translate(key: str, lang: str = "zh", **params) -> str:
    """Message ``key`` in ``lang`` formatted with ``params``; a missing key shows itself.

    ``{county}``, ``{adcode}`` and ``{plan}`` are the active county's name, code and plan title
    (:func:`gwmap.county.active`) unless ``params`` give them.
    """
    text = catalog(lang).get(key) or catalog("zh").get(key) or key
    if "{county}" in text or "{adcode}" in text or "{plan}" in text:
        from gwmap.county import active

        p = active()
        params = {"county": p.label(lang), "adcode": p.adcode, "plan": p.plan_title or p.name, **params}
    if params:
        params = {k: translate(v, lang) if isinstance(v, Term) else v for k, v in params.items()}
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def survey_label(code: str, lang: str = "zh") -> str:
    """``2026-autumn`` as people read it.

    >>> survey_label("2026-autumn")
    '2026年秋季'
    """
    try:
        year, season = code.split("-")
    except ValueError:
        return code
    return translate("surveys.label", lang, year=year, season=translate(f"surveys.season_name.{season}", lang))


def translator(lang: str = "zh"):
    """A translate function bound to one language, for the core's exports and labels: ``tr(key, **params)``.

    Not escaped: the core writes cells, map labels and documents, never Markdown.

    >>> translator("en")("vocab.aquifer.deep")
    'Deep'
    """
    return lambda key, **params: translate(key, lang, **params)
