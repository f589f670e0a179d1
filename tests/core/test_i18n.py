"""Both catalogs have the same keys and placeholders, and cover every code the core raises."""

import re

import pytest

from gwmap import vocab
from gwmap.config import PROJECT_ROOT
from gwmap.i18n import catalog, placeholders

ZH, EN = catalog("zh"), catalog("en")


def test_same_keys():
    assert set(ZH) - set(EN) == set() and set(EN) - set(ZH) == set()


@pytest.mark.parametrize("key", sorted(ZH))
def test_same_placeholders(key):
    assert placeholders(ZH[key]) == placeholders(EN[key]), key


def _codes_in_source():
    codes = set()
    for path in (PROJECT_ROOT / "gwmap").rglob("*.py"):
        codes |= set(re.findall(r'"((?:err|warn)\.[a-z_.0-9]+)"', path.read_text(encoding="utf-8")))
    return codes


def test_every_error_and_warning_code_is_translated():
    missing = sorted(c for c in _codes_in_source() if c not in ZH)
    assert missing == []


@pytest.mark.parametrize("group, values", [
    ("status", vocab.WELL_STATUSES), ("use", vocab.WELL_USES), ("aquifer", vocab.AQUIFERS),
    ("disposition", vocab.DISPOSITIONS), ("sealing_stage", vocab.SEALING_STAGES),
    ("lead_source", vocab.LEAD_SOURCES), ("lead_stage", vocab.LEAD_STAGES), ("industry", vocab.INDUSTRIES),
    ("reclaimed_use", vocab.RECLAIMED_USER_USES), ("plant_kind", vocab.PLANT_KINDS),
    ("effluent_class", vocab.EFFLUENT_CLASSES),
])
def test_vocabularies_are_translated(group, values):
    for v in values:
        assert f"vocab.{group}.{v}" in ZH and ZH[f"vocab.{group}.{v}"] != EN[f"vocab.{group}.{v}"] or v == "other"


def test_chinese_is_chinese():
    assert re.search(r"[\u4e00-\u9fff]", ZH["app.title"]) and not re.search(r"[\u4e00-\u9fff]", EN["app.title"])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_recorded_change_reads_in_words(lang):
    """Field names and stored codes in the user's language: what the audit page and a well's history show."""
    from gwmap.i18n import translate
    from gwmap.ui.i18n import change_text

    text = change_text('{"aquifer": "shallow", "year_drilled": 1991, "active": true, "row_version": 3}',
                       '{"aquifer": "deep", "year_drilled": 1992, "active": false, "row_version": 4}', lang)
    f = lambda k: translate(k, lang)  # noqa: E731
    assert text == (f"{f('field.aquifer')}: {f('vocab.aquifer.shallow')} → {f('vocab.aquifer.deep')}；"
                    f"{f('field.year_drilled')}: 1991 → 1992；{f('field.active')}: {f('ui.yes')} → {f('ui.no')}")
    assert "shallow" not in text and "year_drilled" not in text


def test_every_recorded_field_has_a_name_in_both_languages():
    from gwmap.i18n import catalog
    from gwmap.store.models import Base
    from gwmap.store.triggers import AUDITED_TABLES

    for lang in ("zh", "en"):
        names = catalog(lang)
        missing = {c.name for t in AUDITED_TABLES for c in Base.metadata.tables[t].columns} - \
            {k.split(".", 1)[1] for k in names if k.startswith("field.")} - {"id"}
        assert not missing, (lang, sorted(missing))


def test_every_audited_table_has_a_name_and_recorded_values_read_as_people_write_them():
    from gwmap.i18n import catalog
    from gwmap.store.triggers import AUDITED_TABLES
    from gwmap.ui.i18n import recorded_value

    for lang in ("zh", "en"):
        assert [t for t in AUDITED_TABLES if f"audit.table_name.{t}" not in catalog(lang)] == [], lang
    # a step's time (field "at") in county time, not ISO UTC; a volume with separators; no exponent
    assert recorded_value("at", "2026-12-02T08:03:14.304877", "zh") == "2026-12-02 16:03:14"
    assert recorded_value("permitted_m3_per_year", 10216841.0, "zh") == "10,216,841"
    assert recorded_value("nugget", 2.39e-11, "zh") == "0" and recorded_value("lon", 115.5059114, "zh") == "115.505911"
    assert recorded_value("year_drilled", 1991, "zh") == "1991"
