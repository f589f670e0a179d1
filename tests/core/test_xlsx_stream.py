"""The streamed text workbook: what Excel (here openpyxl) reads back is what was written."""

import io

import openpyxl
import pytest

from gwmap.io import xlsx_stream


def _read(book: bytes):
    wb = openpyxl.load_workbook(io.BytesIO(book))
    ws = wb.active
    return ws, [tuple("" if v is None else v for v in r) for r in ws.iter_rows(values_only=True)]


def test_rows_read_back_as_written_with_markup_and_control_characters():
    rows = [("2026-12-03 08:00:00", "王某（enforce）", "a < b & c > d", "", "'=HYPERLINK(1)"),
            ("x\x01y", "  前后空格  ", "第二行", "甲", "乙")]
    ws, got = _read(xlsx_stream.text_workbook("操作日志", ["时间", "人", "内容", "空", "公式"], rows,
                                              widths=(20, 10)))
    assert ws.title == "操作日志" and ws.freeze_panes == "A2"
    assert got[0] == ("时间", "人", "内容", "空", "公式")
    assert got[1] == rows[0]  # markup kept as text, an empty cell empty
    assert got[2] == ("x\ufffdy", "  前后空格  ", "第二行", "甲", "乙")  # a control character shown, spaces kept
    assert ws.column_dimensions["A"].width == pytest.approx(20, abs=1)


def test_many_columns_are_lettered_past_z():
    headers = [f"c{i}" for i in range(30)]
    _, got = _read(xlsx_stream.text_workbook("s", headers, [[str(i) for i in range(30)]]))
    assert got[1][26:28] == ("26", "27")  # AA and AB


def test_more_rows_than_a_sheet_holds_is_refused(monkeypatch):
    monkeypatch.setattr(xlsx_stream, "MAX_ROWS", 3)
    with pytest.raises(ValueError, match="rows"):
        xlsx_stream.text_workbook("s", ["a"], [["1"]] * 4)
    _, got = _read(xlsx_stream.text_workbook("s", ["a"], [["1"]] * 3))
    assert len(got) == 4
