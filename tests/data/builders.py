"""Import files built in code: XLSX through openpyxl, CSV as encoded bytes."""

import csv
import io

from openpyxl import Workbook

DEPT_HEADERS_RU = ["Код подразделения", "Наименование", "Родительское подразделение"]
DEPT_HEADERS_EN = ["Code", "Name", "Parent code"]
PEOPLE_HEADERS_RU = ["ФИО", "Эл. почта", "Код подразделения", "Должность", "Руководитель"]
PEOPLE_HEADERS_EN = ["Full name", "Email", "Department code", "Position", "Head"]


def xlsx_bytes(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(
    rows: list[list], *, encoding: str = "utf-8", delimiter: str = ";", bom: bool = False
) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def departments_rows(items, headers=DEPT_HEADERS_RU) -> list[list]:
    """items: (code, name, parent_code)"""
    return [headers, *[list(item) for item in items]]


def people_rows(items, headers=PEOPLE_HEADERS_RU) -> list[list]:
    """items: (full_name, email, department_code, position, head)"""
    return [headers, *[list(item) for item in items]]
