"""The downloadable example file for each import kind: the headers we read, two sample rows."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from innerclient.org.importing.fields import FIELDS


def template_xlsx(kind: str, *, language: str = "ru") -> bytes:
    specs = FIELDS[kind]
    column = 1 if language.startswith("en") else 0
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = kind
    sheet.append([spec.headers[column] for spec in specs])
    for example in (0, 1):
        sheet.append([spec.example[example] for spec in specs])
    bold, required = Font(bold=True), PatternFill("solid", fgColor="E7F0F9")
    for spec, cell in zip(specs, sheet[1], strict=True):
        cell.font = bold
        if spec.required:  # required columns stand out, as on the mapping page
            cell.fill = required
        letter = cell.column_letter
        width = max(len(spec.headers[column]), *(len(e) for e in spec.example)) + 4
        sheet.column_dimensions[letter].width = min(width, 40)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
