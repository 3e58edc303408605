"""Target fields of each import kind and the column headers people actually write for them.

HR exports name the same column a dozen ways ("ФИО", "Ф.И.О.", "Full name", "Сотрудник"),
so headers are matched after normalisation (case, spaces, punctuation, ё) against a list of
aliases. When a required field cannot be matched the user maps columns by hand.
"""

import re
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DEPARTMENTS = "departments"
PEOPLE = "people"
REQUEST_LOG = "request_log"
KINDS = (DEPARTMENTS, PEOPLE, REQUEST_LOG)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: Promise
    required: bool
    aliases: tuple[str, ...]
    example: tuple[str, str] = ("", "")  # two example values for the template file
    headers: tuple[str, str] = ("", "")  # (Russian, English) header in the template file


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    DEPARTMENTS: (
        FieldSpec(
            "code",
            _("Department code"),
            True,
            (
                "code",
                "department code",
                "dept code",
                "код",
                "код подразделения",
                "код отдела",
                "id",
                "идентификатор",
                "шифр",
            ),
            example=("HQ", "HQ-HR"),
            headers=("Код подразделения", "Department code"),
        ),
        FieldSpec(
            "name_ru",
            _("Name (Russian)"),
            True,
            (
                "name",
                "name ru",
                "name russian",
                "russian name",
                "department",
                "department name",
                "наименование",
                "название",
                "наименование подразделения",
                "название подразделения",
                "подразделение",
                "наименование ru",
                "название ru",
                "наименование рус",
            ),
            example=("Головной офис", "Отдел кадров"),
            headers=("Наименование", "Name (Russian)"),
        ),
        FieldSpec(
            "name_en",
            _("Name (English)"),
            False,
            (
                "name en",
                "english name",
                "name english",
                "наименование en",
                "название en",
                "наименование англ",
                "название англ",
                "английское наименование",
                "наименование на английском",
                "название на английском",
            ),
            example=("Head office", "Human resources"),
            headers=("Наименование EN", "Name (English)"),
        ),
        FieldSpec(
            "parent_code",
            _("Parent department code"),
            False,
            (
                "parent",
                "parent code",
                "parent department",
                "parent department code",
                "родитель",
                "код родителя",
                "родительское подразделение",
                "код родительского подразделения",
                "вышестоящее подразделение",
                "код вышестоящего подразделения",
                "входит в",
            ),
            example=("", "HQ"),
            headers=("Родительское подразделение", "Parent code"),
        ),
        FieldSpec(
            "head_email",
            _("Head's email"),
            False,
            (
                "head email",
                "head e mail",
                "head",
                "manager email",
                "email руководителя",
                "e mail руководителя",
                "почта руководителя",
                "эл почта руководителя",
                "руководитель email",
                "руководитель",
            ),
            example=("ivanov@example.com", ""),
            headers=("Email руководителя", "Head email"),
        ),
        FieldSpec(
            "active",
            _("Active"),
            False,
            (
                "active",
                "is active",
                "enabled",
                "активен",
                "активно",
                "активное",
                "действует",
                "действующее",
            ),
            example=("да", "да"),
            headers=("Активен", "Active"),
        ),
    ),
    PEOPLE: (
        FieldSpec(
            "full_name",
            _("Full name"),
            True,
            (
                "full name",
                "name",
                "fullname",
                "employee",
                "employee name",
                "person",
                "фио",
                "ф и о",
                "фамилия имя отчество",
                "сотрудник",
                "работник",
                "имя",
            ),
            example=("Иванов Иван Иванович", "Petrova Anna"),
            headers=("ФИО", "Full name"),
        ),
        FieldSpec(
            "email",
            _("Email"),
            True,
            (
                "email",
                "e mail",
                "mail",
                "email address",
                "эл почта",
                "электронная почта",
                "почта",
                "адрес электронной почты",
                "емейл",
                "емэйл",
                "имейл",
            ),
            example=("ivanov@example.com", "petrova@example.com"),
            headers=("Эл. почта", "Email"),
        ),
        FieldSpec(
            "department_code",
            _("Department code"),
            True,
            (
                "department",
                "department code",
                "dept",
                "dept code",
                "code",
                "код подразделения",
                "подразделение",
                "код отдела",
                "отдел",
                "департамент",
            ),
            example=("HQ", "HQ-HR"),
            headers=("Код подразделения", "Department code"),
        ),
        FieldSpec(
            "position",
            _("Position"),
            False,
            ("position", "title", "job title", "role", "должность", "позиция"),
            example=("Генеральный директор", "HR manager"),
            headers=("Должность", "Position"),
        ),
        FieldSpec(
            "is_head",
            _("Head of department"),
            False,
            (
                "head",
                "is head",
                "manager",
                "is manager",
                "department head",
                "руководитель",
                "руководитель подразделения",
                "является руководителем",
                "начальник",
            ),
            example=("да", "нет"),
            headers=("Руководитель", "Head"),
        ),
        FieldSpec(
            "active",
            _("Active"),
            False,
            ("active", "is active", "enabled", "активен", "активна", "работает", "действует"),
            example=("да", "да"),
            headers=("Активен", "Active"),
        ),
        FieldSpec(
            "language",
            _("Language"),
            False,
            ("language", "lang", "locale", "язык", "язык интерфейса"),
            example=("ru", "en"),
            headers=("Язык", "Language"),
        ),
    ),
    REQUEST_LOG: (
        FieldSpec(
            "created_at",
            _("Request date"),
            True,
            (
                "created at",
                "created",
                "date",
                "date created",
                "creation date",
                "opened",
                "дата",
                "дата создания",
                "создано",
                "дата заявки",
                "дата обращения",
                "дата регистрации",
                "зарегистрировано",
            ),
            example=("2025-01-15", "16.01.2025"),
            headers=("Дата создания", "Created at"),
        ),
        FieldSpec(
            "client",
            _("From department (client)"),
            True,
            (
                "from",
                "from department",
                "client",
                "client department",
                "requester department",
                "requester",
                "от подразделения",
                "от",
                "подразделение заявителя",
                "заявитель",
                "клиент",
                "инициатор",
                "подразделение инициатора",
            ),
            example=("HQ-HR", "Отдел кадров"),
            headers=("От подразделения", "From department"),
        ),
        FieldSpec(
            "provider",
            _("To department (provider)"),
            True,
            (
                "to",
                "to department",
                "provider",
                "provider department",
                "assignee department",
                "assigned to",
                "кому",
                "подразделение исполнителя",
                "исполнитель",
                "поставщик",
                "в подразделение",
                "ответственное подразделение",
            ),
            example=("HQ", "Head office"),
            headers=("Кому", "To department"),
        ),
        FieldSpec(
            "request_type",
            _("Request type"),
            False,
            (
                "type",
                "request type",
                "category",
                "service",
                "тип",
                "тип заявки",
                "тип запроса",
                "категория",
                "услуга",
                "вид обращения",
            ),
            example=("Доступ", "Access"),
            headers=("Тип заявки", "Request type"),
        ),
    ),
}


def fields_for(kind: str) -> tuple[FieldSpec, ...]:
    return FIELDS[kind]


def normalize_header(text: str) -> str:
    """``"  Эл. почта* "`` → ``"эл почта"``: what two spellings of one header share."""
    text = text.casefold().replace("ё", "е")
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in FIELDS[kind]:
        for alias in (spec.name, spec.name.replace("_", " "), *spec.headers, *spec.aliases):
            # First field wins: "руководитель" is the head flag for people only because
            # people list it once; departments read it as the head's email.
            index.setdefault(normalize_header(alias), spec.name)
    return index


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Header → field for every header we recognise; each field is taken at most once."""
    index = _alias_index(kind)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        if header in mapping:
            continue
        field = index.get(normalize_header(header))
        if field and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


def missing_required(kind: str, mapping: dict[str, str]) -> list[FieldSpec]:
    mapped = set(mapping.values())
    return [spec for spec in FIELDS[kind] if spec.required and spec.name not in mapped]


def clean_mapping(kind: str, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Drop entries for headers the file lacks or fields the kind lacks (stale or forged)."""
    names = {spec.name for spec in FIELDS[kind]}
    return {h: f for h, f in mapping.items() if h in headers and f in names}
