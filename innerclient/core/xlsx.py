"""Helpers for XLSX exports.

A spreadsheet treats a text cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or carriage return) as a formula: a department name such as
``=HYPERLINK("http://evil/", "click")`` typed into an import would run on the coordinator's
machine when the export is opened. Every text cell of every export goes through ``safe_cell``.
"""

from collections.abc import Iterable
from typing import Any

from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value to write in a cell: text that could be read as a formula gets a leading ``'``.

    Numbers, dates and ``None`` pass through unchanged (they cannot carry a formula).
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [safe_cell(value) for value in values]


def autosize_columns(sheet, *, minimum: int = 6, maximum: int = 60) -> None:
    """Column widths from the longest value of each column, within bounds."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is not None:
                length = len(str(cell.value))
                widths[cell.column] = max(widths.get(cell.column, 0), length)
    for column, width in widths.items():
        sheet.column_dimensions[get_column_letter(column)].width = max(
            minimum, min(maximum, width + 2)
        )
