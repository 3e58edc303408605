"""Read an uploaded XLSX or CSV file into a header row and data rows of strings.

CSV: UTF-8 (with or without BOM) or cp1251, separated by ``;`` or ``,`` (or tab).
XLSX: the first worksheet, read with calamine (fast) and cells turned into text the way a
person sees them (whole numbers without ``.0``, dates as ISO).
Every failure becomes a ``TabularError`` with a message for the user; nothing here writes.
"""

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

XLSX_MAGIC = b"PK\x03\x04"


class TabularError(ValueError):
    """The file cannot be read as a table; the message is shown to the user."""


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[str]]  # each padded or cut to len(headers)
    # The row number a person sees in Excel for each data row (blank rows are dropped, so
    # error messages could not point at the right line without this).
    row_numbers: list[int] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    @property
    def row_count(self) -> int:
        return len(self.rows)


def read_table(content: bytes, filename: str = "") -> Table:
    if not content:
        raise TabularError(_("The file is empty."))
    name = filename.lower()
    if content.startswith(XLSX_MAGIC) or name.endswith((".xlsx", ".xlsm")):
        return _read_xlsx(content)
    if name.endswith(".xls") or content.startswith(b"\xd0\xcf\x11\xe0"):
        raise TabularError(
            _("Old Excel format (.xls) is not supported. Save the file as .xlsx or CSV.")
        )
    return _read_csv(content)


def _finish(raw_rows: list[list[str]], encoding: str = "", delimiter: str = "") -> Table:
    rows = [[cell.strip() for cell in row] for row in raw_rows]
    # Leading blank lines are common in exports with a title row left empty.
    start = 0
    while start < len(rows) and not any(rows[start]):
        start += 1
    if start == len(rows):
        raise TabularError(_("The file has no header row."))
    headers = rows[start]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise TabularError(_("The file has no header row."))
    width = len(headers)
    data = []
    numbers = []
    for index in range(start + 1, len(rows)):
        row = rows[index]
        if not any(row):
            continue
        data.append((row + [""] * width)[:width])
        numbers.append(index + 1)
    return Table(
        headers=headers, rows=data, row_numbers=numbers, encoding=encoding, delimiter=delimiter
    )


def _decode(content: bytes) -> tuple[str, str]:
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8", errors="strict"), "utf-8"
        except UnicodeDecodeError as error:
            raise TabularError(
                _("The file says it is UTF-8 but is not: save it again as UTF-8 CSV or XLSX.")
            ) from error
    # Excel's "Unicode text" export is UTF-16 with a byte order mark.
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise TabularError(_("Cannot read the file's text.")) from error
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251"), "cp1251"
    except UnicodeDecodeError as error:
        raise TabularError(
            _("Cannot read the file's text: save it as UTF-8 or Windows-1251 CSV, or as XLSX.")
        ) from error


def _looks_binary(text: str) -> bool:
    # cp1251 decodes almost any byte string, so junk reaches here as "text": control
    # characters other than tab and line breaks betray it.
    sample = text[:20000]
    if "\x00" in sample:
        return True
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > max(2, len(sample) // 200)


def _read_csv(content: bytes) -> Table:
    text, encoding = _decode(content)
    if _looks_binary(text):
        raise TabularError(
            _(
                "This does not look like a CSV or XLSX file (binary data, or text in an "
                "encoding other than UTF-8 or Windows-1251)."
            )
        )
    first_line = text.split("\n", 1)[0]
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    delimiter = max(counts, key=lambda d: counts[d])
    if counts[delimiter] == 0:
        delimiter = ";"
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise TabularError(_("The CSV file is malformed: %(error)s") % {"error": error}) from error
    return _finish(rows, encoding=encoding, delimiter=delimiter)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return (
            value.isoformat(sep=" ")
            if (value.hour or value.minute or value.second)
            else value.date().isoformat()
        )
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _read_xlsx(content: bytes) -> Table:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        if not workbook.sheet_names:
            raise TabularError(_("The workbook has no sheets."))
        sheet = workbook.get_sheet_by_index(0)
        raw = sheet.to_python(skip_empty_area=False)
    except TabularError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, OSError, Exception) as error:
        # calamine raises its own exception types for every kind of broken workbook.
        raise TabularError(
            _("Cannot read the Excel file. Is it a valid .xlsx? (%(error)s)")
            % {"error": str(error)[:200]}
        ) from error
    return _finish([[_cell_text(v) for v in row] for row in raw])
