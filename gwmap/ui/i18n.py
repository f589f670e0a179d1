"""``t(key, **params)`` in the session's language (Chinese unless switched)."""

from __future__ import annotations

import re

from gwmap.errors import GwmapError
from gwmap.i18n import translate
from gwmap.i18n import translator as _translator
from gwmap.ui.state import get_lang

__all__ = ["t", "t_error", "translator", "survey_label", "md_text"]


def t(key: str, lang: str | None = None, **params) -> str:
    """Message ``key`` in ``lang`` (default: the session's), formatted with ``params``.

    Streamlit renders messages, labels and captions as Markdown, so text
    parameters (names, file names, values from uploads) are escaped with
    :func:`md_text`: they show as typed and can never become a link, an image
    that the browser fetches, a colour directive or a formula.
    """
    return translate(key, lang or get_lang(), **{k: md_text(v) if isinstance(v, str) else v for k, v in params.items()})


#: Characters that start Markdown, HTML, Streamlit directives (``:red[..]``) or KaTeX (``$``) in Streamlit's renderer.
_MD_SPECIAL = set("\\`*_[]<>#|~$")
_DIRECTIVE = re.compile(r":(?=[A-Za-z][\w/-]*(?:\\\[|:))")


def md_text(value: object) -> str:
    r"""``value`` as Markdown that shows exactly that text.

    >>> md_text("![x](http://evil.example/p.png)")
    '!\\[x\\](http\\://evil.example/p.png)'
    >>> md_text(":red[注意]")
    '\\:red\\[注意\\]'
    >>> md_text("见 :material/warning: 10:30")
    '见 \\:material/warning: 10:30'
    >>> md_text("130433001J0001")
    '130433001J0001'
    """
    text = "" if value is None else str(value)
    if not any(ch in _MD_SPECIAL for ch in text) and ":" not in text and not text.lstrip().startswith(("-", "=")):
        return text
    out = "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text).replace("://", "\\://")
    out = _DIRECTIVE.sub(r"\\:", out)  # :red[..], :material/x: – Streamlit's directives start with a colon
    if out.lstrip().startswith(("-", "=")):  # a list item or a heading underline
        out = "\\" + out.lstrip()
    return out.replace("\n", " ")


def t_error(exc: GwmapError) -> str:
    """The user's-language message for a gwmap error."""
    return t(exc.code, **exc.params)


def translator(lang: str | None = None):
    """:func:`gwmap.i18n.translator` in the session's language (unless ``lang``): for the core's exports and maps."""
    return _translator(lang or get_lang())


def survey_label(code: str, lang: str | None = None) -> str:
    """``2026-autumn`` as the user reads it: 2026年秋季 / Autumn 2026."""
    from gwmap.i18n import survey_label as _label

    return _label(code, lang or get_lang())


def file_name(*parts: str, ext: str) -> str:
    r"""A download's file name from what it holds, in the user's language: 漏斗区_浅层_2026年秋季.xlsx.

    Characters Windows refuses in a file name (``\\ / : * ? " < > |``) become "-"; empty parts are left out.
    """
    import re

    clean = (" ".join(re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", str(part)).split()).strip("-") for part in parts)
    stem = "_".join(p for p in clean if p)
    return f"{stem}.{ext}"


def named(prefix: str, value: str, lang: str | None = None) -> str:
    """A table, action or field in the user's language; the stored name where no translation exists."""
    from gwmap.i18n import catalog

    lang = lang or get_lang()
    key = f"{prefix}.{value}"
    return translate(key, lang) if key in catalog(lang) else value


#: Which vocabulary a recorded field's codes come from (a stage is a lead's or a sealing's: no code is both).
_VOCAB_OF = {"aquifer": ("aquifer",), "use": ("use", "reclaimed_use"), "status": ("status",),
             "metering": ("metering",), "stage": ("lead_stage", "sealing_stage"), "disposition": ("disposition",),
             "source": ("lead_source",), "gps_source": ("gps_source",), "season": (), "grade": ("zone_grade",)}


def recorded_value(field: str, value, lang: str | None = None) -> str:
    """A value from the audit trail as read: "—" for nothing, codes as words, yes/no, times in the county's time."""
    import pandas as pd

    from gwmap.clock import to_local
    from gwmap.i18n import catalog

    lang = lang or get_lang()
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return translate("ui.yes" if value else "ui.no", lang)
    if field == "role" and f"role.{value}" in catalog(lang):
        return translate(f"role.{value}", lang)
    if field == "season" and f"surveys.season_name.{value}" in catalog(lang):
        return translate(f"surveys.season_name.{value}", lang)
    for group in _VOCAB_OF.get(field, ()):
        if f"vocab.{group}.{value}" in catalog(lang):
            return translate(f"vocab.{group}.{value}", lang)
    if field.endswith("_geojson"):  # a shape: what it is and how many points, not its coordinates
        import json as _json

        try:
            shape = _json.loads(value) if isinstance(value, str) else value
            points = len(re.findall(r"-?\d+\.?\d*\s*,\s*-?\d+\.?\d*", _json.dumps(shape.get("coordinates", []))))
            return translate("audit.shape", lang, kind=translate(f"audit.shape_kind.{shape.get('type', '')}", lang)
                             if f"audit.shape_kind.{shape.get('type', '')}" in catalog(lang) else shape.get("type", ""),
                             points=f"{points:,}")
        except (ValueError, AttributeError):
            return translate("audit.shape", lang, kind="—", points="—")
    if (field == "at" or field.endswith("_at")) and isinstance(value, str):  # stored in UTC: shown in county time
        try:
            return to_local(pd.Timestamp(value).to_pydatetime()).strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            pass
    plain = (field == "id" or field.endswith(("_id", "_code", "version", "_no"))
             or (field.split("_")[0] == "year" or field.endswith("_year")) and not field.endswith("per_year"))
    if isinstance(value, int | float) and not plain:  # volumes with thousands separators, no 2.39e-11
        return readable_number(value)
    return str(value)


def readable_number(value: float, digits: int = 6) -> str:
    """A number as a reader writes it: thousands separated, no exponent, no trailing zeros.

    >>> readable_number(10216841.0), readable_number(115.5059114), readable_number(2.39e-11), readable_number(-0.25)
    ('10,216,841', '115.505911', '0', '-0.25')
    """
    text = f"{value:,.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def change_text(before, after, lang: str | None = None) -> str:
    """An audit event's change as a reader's field list: 取水权人: 王 → 李；状态: 在用 → 封存."""
    from gwmap.store.repo import describe_change

    lang = lang or get_lang()
    return "；".join(
        f"{named('field', f, lang)}: {recorded_value(f, b, lang)} → {recorded_value(f, a, lang)}"
        if b is not None and a is not None
        else f"{named('field', f, lang)}: {recorded_value(f, a if a is not None else b, lang)}"
        for f, b, a in describe_change(before, after))


def survey_options(surveys, lang: str | None = None, *, version: bool = False) -> dict[int, str]:
    """Survey id -> "2026年秋季 · 浅层" (with " · v2" when ``version``), for select boxes."""
    lang = lang or get_lang()
    return {int(r.id): f"{survey_label(r.code, lang)} · {translate('vocab.aquifer.' + r.aquifer, lang)}"
            + (f" · v{r.version}" if version else "") for r in surveys.itertuples()}


def candidate_words(name: str, tr) -> str:
    """A candidate of :func:`gwmap.surface.choose_method` in words.

    ``kriging:spherical:ols:all`` reads 克里金·球状（最小二乘拟合，用全部井）, ``idw:p2`` 反距离加权（2 次幂）.

    >>> from gwmap.i18n import translator as _t
    >>> candidate_words("kriging:exponential:cv", _t("zh"))
    '克里金·指数（按留一误差选参数）'
    >>> candidate_words("idw:p2", _t("en"))
    'IDW (power 2)'
    """
    parts = name.split(":")
    if parts[0] == "idw":
        return tr("surface.cand.idw").format(power=parts[1].lstrip("p"))
    how = next((p for p in parts[2:] if p in ("ols", "cv")), "fit")
    return tr("surface.cand.kriging").format(model=tr(f"surface.model_name.{parts[1]}"), how=tr(f"surface.cand.how.{how}"),
                                             scope=tr("surface.cand.scope.all") if "all" in parts[2:] else "")


def parameter_rows(params: dict, tr) -> list[tuple[str, str]]:
    """A surface's (or cone's) parameters as (name, value) a reader understands, in the user's language.

    Bookkeeping ids are left out; the variogram reads as its model and numbers; codes become names.
    """
    rows = []
    for key, value in params.items():
        if key in ("survey_id", "survey_version", "boundary_version", "block"):
            continue
        if key == "variogram" and isinstance(value, dict):
            value = tr("surface.variogram_value").format(
                model=tr(f"surface.model_name.{value.get('model')}"), psill=readable_number(value.get("psill", 0), 3),
                range=f"{value.get('range_m', 0):,.0f}", nugget=readable_number(value.get("nugget", 0), 3))
        elif key == "method":
            value = tr(f"surface.m.{value}")
        elif key == "members":
            value = tr("surface.members_sep").join(candidate_words(str(v), tr) for v in value)
        elif key == "value":
            value = tr(f"field.{value}")
        elif key == "survey":
            value = survey_label(str(value))
        elif key == "aquifer":
            value = tr(f"vocab.aquifer.{value}")
        elif key == "extent":
            value = tr(f"surface.extent.{value}")
        elif key == "kind":
            value = tr(f"cone.kind_name.{value}")
        elif isinstance(value, float):
            value = f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        rows.append((tr(f"surface.param.{key}"), str(value)))
    return rows
