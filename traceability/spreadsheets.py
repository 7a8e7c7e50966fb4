"""The one XLSX writer: a sheet an auditor or a recall team can sort and filter straight away.

At the core so that every feature (lots for recall reports, exports for FSMA 204) writes the same way.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from os import PathLike
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_COLUMN_WIDTH = 60  # characters: a long address wraps off-screen rather than hiding the next column


def write_xlsx(
    path_or_fp: str | PathLike | IO[bytes], title: str, header: Sequence[str], rows: Iterable[Sequence]
) -> None:
    """One sheet: the header bold and frozen, a filter on every column, each column as wide as its text."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(name) for name in header]
    for row in rows:
        sheet.append(list(row))
        widths = [max(width, len(str(value))) for width, value in zip(widths, row, strict=True)]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, MAX_COLUMN_WIDTH)
    workbook.save(path_or_fp)


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, title, header, rows)
    return buffer.getvalue()
