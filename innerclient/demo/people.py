"""The demo company's people: Russian names, positions that fit each department, emails.

Names come from our own lists of common modern names rather than Faker's ru_RU provider,
whose first names are drawn uniformly from a list full of archaic ones (Авксентий, Агап);
surnames come from Faker's list, which is ordered by frequency, weighted so that Смирнов and
Иванов are common and Туров rare. Everything is drawn from the ``random.Random`` passed in,
so a seed gives the same people whatever else runs.
"""

import random
from dataclasses import dataclass
from itertools import accumulate

from faker.providers.person.ru_RU import Provider as RussianNames

from innerclient.demo.structure import DepartmentPlan

INACTIVE_SHARE = 0.015  # people who left: kept in the directory as inactive
DEPUTY_FROM_HEADCOUNT = 25  # departments this big have a deputy head


@dataclass(frozen=True)
class StaffProfile:
    female_share: float
    positions: tuple[tuple[str, int], ...]  # (title, weight)


def _p(female_share: float, *positions: tuple[str, int]) -> StaffProfile:
    return StaffProfile(female_share, positions)


STAFF_PROFILES: dict[str, StaffProfile] = {
    "directorate": _p(0.7, ("Помощник руководителя", 5), ("Руководитель проектов", 2)),
    "office": _p(0.6, ("Ведущий аналитик", 3), ("Специалист", 3), ("Помощник руководителя", 2)),
    "sales": _p(
        0.45,
        ("Менеджер по продажам", 40),
        ("Старший менеджер по продажам", 15),
        ("Ведущий менеджер по продажам", 8),
        ("Специалист по работе с клиентами", 12),
        ("Координатор отдела продаж", 4),
        ("Аналитик продаж", 3),
    ),
    "retail": _p(
        0.7,
        ("Продавец-консультант", 45),
        ("Старший продавец", 10),
        ("Кассир", 15),
        ("Администратор магазина", 8),
        ("Товаровед", 5),
        ("Управляющий магазином", 4),
    ),
    "regional": _p(
        0.35,
        ("Торговый представитель", 40),
        ("Менеджер по продажам", 35),
        ("Региональный менеджер", 20),
        ("Супервайзер", 6),
    ),
    "kam": _p(
        0.45,
        ("Менеджер по работе с ключевыми клиентами", 40),
        ("Старший менеджер по работе с ключевыми клиентами", 12),
        ("Аналитик продаж", 5),
    ),
    "tender": _p(0.6, ("Специалист по тендерам", 10), ("Ведущий специалист по тендерам", 4)),
    "marketing": _p(
        0.7,
        ("Маркетолог", 10),
        ("Бренд-менеджер", 5),
        ("Специалист по рекламе", 4),
        ("Дизайнер", 3),
        ("Маркетинговый аналитик", 3),
    ),
    "digital": _p(
        0.6,
        ("Интернет-маркетолог", 6),
        ("SMM-специалист", 4),
        ("Контент-менеджер", 4),
        ("Специалист по контекстной рекламе", 3),
        ("Веб-аналитик", 2),
    ),
    "contact_centre": _p(
        0.75,
        ("Оператор контакт-центра", 60),
        ("Старший оператор", 8),
        ("Супервайзер смены", 4),
        ("Специалист по качеству обслуживания", 2),
    ),
    "claims": _p(0.7, ("Специалист по претензионной работе", 10), ("Ведущий специалист", 3)),
    "pricing": _p(0.6, ("Специалист по ценообразованию", 6), ("Аналитик по ценообразованию", 4)),
    "ecommerce": _p(
        0.6,
        ("Оператор обработки заказов", 10),
        ("Менеджер интернет-магазина", 6),
        ("Контент-менеджер", 5),
        ("Аналитик", 2),
    ),
    "telemarketing": _p(0.8, ("Оператор телемаркетинга", 10)),
    "procurement": _p(
        0.55,
        ("Менеджер по закупкам", 30),
        ("Специалист по закупкам", 15),
        ("Старший менеджер по закупкам", 10),
        ("Специалист по ВЭД", 3),
        ("Аналитик закупок", 3),
    ),
    "warehouse": _p(
        0.25,
        ("Комплектовщик", 35),
        ("Кладовщик", 30),
        ("Грузчик", 15),
        ("Водитель погрузчика", 12),
        ("Оператор складского учёта", 8),
        ("Старший кладовщик", 5),
        ("Бригадир смены", 3),
    ),
    "logistics": _p(
        0.45,
        ("Логист", 20),
        ("Диспетчер", 8),
        ("Старший логист", 5),
        ("Специалист по транспортной логистике", 4),
    ),
    "delivery": _p(
        0.08,
        ("Водитель-экспедитор", 50),
        ("Курьер", 25),
        ("Экспедитор", 10),
        ("Диспетчер доставки", 5),
        ("Старший смены", 2),
    ),
    "production": _p(
        0.35,
        ("Оператор производственной линии", 40),
        ("Укладчик-упаковщик", 20),
        ("Аппаратчик", 10),
        ("Наладчик оборудования", 8),
        ("Слесарь-ремонтник", 4),
        ("Мастер смены", 3),
        ("Контролёр ОТК", 3),
        ("Технолог", 2),
    ),
    "production_planning": _p(
        0.5,
        ("Инженер по планированию производства", 6),
        ("Диспетчер производства", 5),
        ("Экономист", 2),
    ),
    "quality": _p(
        0.5,
        ("Инженер по качеству", 6),
        ("Ведущий инженер по качеству", 2),
        ("Специалист по сертификации", 2),
    ),
    "lab": _p(0.75, ("Лаборант химического анализа", 10), ("Инженер-химик", 4), ("Техник", 4)),
    "maintenance": _p(
        0.03,
        ("Слесарь-ремонтник", 20),
        ("Электромонтёр", 10),
        ("Инженер-механик", 4),
        ("Механик", 4),
        ("Электрогазосварщик", 3),
        ("Инженер-энергетик", 2),
    ),
    "accounting": _p(
        0.85,
        ("Бухгалтер", 30),
        ("Ведущий бухгалтер", 10),
        ("Бухгалтер по расчётам с поставщиками", 6),
        ("Бухгалтер по учёту основных средств", 3),
    ),
    "payroll": _p(
        0.9,
        ("Бухгалтер по расчёту заработной платы", 10),
        ("Ведущий бухгалтер по расчёту заработной платы", 3),
    ),
    "treasury": _p(
        0.7,
        ("Специалист по платежам", 4),
        ("Финансовый аналитик", 2),
        ("Специалист казначейства", 4),
    ),
    "budgeting": _p(
        0.65, ("Экономист по планированию", 6), ("Финансовый аналитик", 3), ("Ведущий экономист", 2)
    ),
    "tax": _p(0.7, ("Налоговый консультант", 3), ("Ведущий специалист по налогам", 2)),
    "controlling": _p(0.55, ("Специалист по контроллингу", 4), ("Финансовый аналитик", 3)),
    "credit": _p(
        0.65,
        ("Специалист по работе с дебиторской задолженностью", 6),
        ("Кредитный контролёр", 3),
    ),
    "recruitment": _p(
        0.85,
        ("Менеджер по подбору персонала", 8),
        ("Рекрутер", 6),
        ("Специалист по массовому подбору", 4),
    ),
    "training": _p(0.75, ("Менеджер по обучению", 5), ("Бизнес-тренер", 5), ("Методист", 3)),
    "hr_admin": _p(
        0.9,
        ("Специалист по кадровому делопроизводству", 10),
        ("Инспектор по кадрам", 5),
        ("Ведущий специалист по кадрам", 2),
    ),
    "cb": _p(0.8, ("Специалист по компенсациям и льготам", 5), ("Аналитик C&B", 2)),
    "ohs": _p(0.45, ("Специалист по охране труда", 5), ("Инженер по охране труда", 3)),
    "it_support": _p(
        0.15,
        ("Инженер технической поддержки", 20),
        ("Специалист службы поддержки", 15),
        ("Системный администратор", 6),
        ("Старший инженер технической поддержки", 4),
    ),
    "infrastructure": _p(
        0.08,
        ("Системный администратор", 8),
        ("Сетевой инженер", 4),
        ("DevOps-инженер", 3),
        ("Администратор баз данных", 2),
        ("Инженер по телекоммуникациям", 2),
    ),
    "erp": _p(
        0.3,
        ("Программист 1С", 10),
        ("Консультант 1С", 4),
        ("Ведущий программист 1С", 3),
        ("Бизнес-аналитик", 3),
        ("Тестировщик", 2),
    ),
    "web": _p(
        0.25,
        ("Backend-разработчик", 4),
        ("Frontend-разработчик", 4),
        ("Тестировщик", 2),
        ("Бизнес-аналитик", 2),
        ("UX-дизайнер", 1),
    ),
    "infosec": _p(
        0.15,
        ("Специалист по информационной безопасности", 5),
        ("Аналитик SOC", 3),
        ("Инженер по защите информации", 2),
    ),
    "data": _p(0.4, ("Аналитик данных", 5), ("BI-разработчик", 3), ("Data-инженер", 2)),
    "legal": _p(0.6, ("Юрисконсульт", 6), ("Ведущий юрисконсульт", 3), ("Помощник юриста", 1)),
    "facilities": _p(
        0.55,
        ("Уборщик служебных помещений", 12),
        ("Рабочий по комплексному обслуживанию здания", 10),
        ("Специалист АХО", 6),
        ("Электрик", 3),
        ("Администратор ресепшн", 3),
        ("Водитель", 3),
        ("Завхоз", 1),
    ),
    "security": _p(
        0.1,
        ("Охранник", 25),
        ("Старший смены охраны", 4),
        ("Специалист по экономической безопасности", 3),
        ("Инспектор службы безопасности", 3),
    ),
    "records": _p(
        0.9,
        ("Делопроизводитель", 6),
        ("Специалист по документообороту", 4),
        ("Архивариус", 2),
        ("Секретарь", 2),
    ),
    "fleet": _p(
        0.05,
        ("Водитель", 15),
        ("Механик автопарка", 3),
        ("Диспетчер автопарка", 2),
        ("Специалист по транспорту", 2),
    ),
}


def _words(text: str) -> list[str]:
    # Long name lists read better as text than as a column of quoted strings.
    return text.split()


# Common given names of people of working age, roughly by frequency.
MALE_NAMES = _words(
    "Александр Дмитрий Сергей Андрей Алексей Максим Евгений Иван Михаил Артём Денис "
    "Владимир Николай Павел Роман Антон Илья Кирилл Никита Егор Олег Игорь Константин "
    "Виталий Вадим Юрий Станислав Григорий Тимур Руслан Глеб Даниил Фёдор Вячеслав "
    "Валерий Леонид Ярослав Марат Борис Георгий"
)
FEMALE_NAMES = _words(
    "Елена Ольга Наталья Татьяна Ирина Анна Екатерина Светлана Юлия Мария Марина "
    "Анастасия Евгения Дарья Ксения Виктория Алина Людмила Галина Надежда Оксана "
    "Валентина Полина Александра Кристина Вера Любовь Яна Алёна Елизавета Софья Лариса "
    "Диана Вероника Маргарита Жанна"
)
# Fathers' names (a generation older) with the patronymics they give: (son's, daughter's).
PATRONYMICS = tuple(
    tuple(pair.split("/"))
    for pair in _words(
        "Александрович/Александровна Сергеевич/Сергеевна Владимирович/Владимировна "
        "Николаевич/Николаевна Викторович/Викторовна Алексеевич/Алексеевна "
        "Андреевич/Андреевна Юрьевич/Юрьевна Михайлович/Михайловна "
        "Анатольевич/Анатольевна Иванович/Ивановна Валерьевич/Валерьевна "
        "Евгеньевич/Евгеньевна Геннадьевич/Геннадьевна Игоревич/Игоревна "
        "Олегович/Олеговна Васильевич/Васильевна Петрович/Петровна "
        "Дмитриевич/Дмитриевна Борисович/Борисовна Владиславович/Владиславовна "
        "Вячеславович/Вячеславовна Леонидович/Леонидовна Павлович/Павловна "
        "Константинович/Константиновна Григорьевич/Григорьевна Аркадьевич/Аркадьевна "
        "Витальевич/Витальевна Станиславович/Станиславовна Фёдорович/Фёдоровна "
        "Романович/Романовна Ильич/Ильинична"
    )
)
SURNAMES = tuple(zip(RussianNames.last_names_male, RussianNames.last_names_female, strict=True))


def _zipf(n: int, offset: float) -> list[float]:
    return list(accumulate(1 / (rank + offset) for rank in range(n)))


# Cumulative weights: the first names of each list are the common ones.
_MALE_W = _zipf(len(MALE_NAMES), 6)
_FEMALE_W = _zipf(len(FEMALE_NAMES), 6)
_PATRONYMIC_W = _zipf(len(PATRONYMICS), 8)
_SURNAME_W = _zipf(len(SURNAMES), 15)

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        _words("a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya"),
        strict=True,
    )
)


def transliterate(text: str) -> str:
    """Russian to Latin letters the way company mail addresses are usually spelt."""
    out = []
    for char in text.lower():
        latin = _TRANSLIT.get(char)
        if latin is None:
            out.append(char if char.isascii() and char.isalnum() else "")
        elif latin != "_":  # hard and soft signs are dropped
            out.append(latin)
    return "".join(out)


@dataclass(frozen=True)
class PersonPlan:
    department_code: str
    last_name: str
    first_name: str
    patronymic: str
    email: str
    position: str
    is_head: bool = False
    is_active: bool = True

    @property
    def full_name(self) -> str:
        # Фамилия Имя Отчество: the order of Russian staff lists.
        return f"{self.last_name} {self.first_name} {self.patronymic}"


def deputy_title(head_title: str) -> str | None:
    """«Начальник отдела закупок» -> «Заместитель начальника отдела закупок»."""
    for head, deputy in (
        ("Начальник ", "Заместитель начальника "),
        ("Директор ", "Заместитель директора "),
        ("Руководитель ", "Заместитель руководителя "),
        ("Главный бухгалтер", "Заместитель главного бухгалтера"),
        ("Главный механик", "Заместитель главного механика"),
    ):
        if head_title.startswith(head):
            return deputy + head_title[len(head) :]
    return None


def plan_people(
    departments: list[DepartmentPlan], rng: random.Random, *, domain: str
) -> list[PersonPlan]:
    """The head, a deputy in big departments, then staff, department by department."""
    emails: set[str] = set()
    people: list[PersonPlan] = []
    for department in departments:
        spec = department.spec
        profile = STAFF_PROFILES[spec.staff]
        titles = [title for title, _ in profile.positions]
        weights = list(accumulate(weight for _, weight in profile.positions))
        deputy = deputy_title(spec.head_title)
        for index in range(department.headcount):
            if index == 0:
                position = spec.head_title
            elif index == 1 and deputy and department.headcount >= DEPUTY_FROM_HEADCOUNT:
                position = deputy
            else:
                position = rng.choices(titles, cum_weights=weights)[0]
            # Management is more male than the staff it manages, as in most Russian
            # companies, and the board most of all; staff follow the profile of their trade.
            if index >= 2:
                female_share = profile.female_share
            elif spec.level == 0:
                female_share = 0.3
            else:
                female_share = profile.female_share * 0.8
            person = _person(rng, female_share, emails, domain)
            people.append(
                PersonPlan(
                    department_code=spec.code,
                    position=position,
                    is_head=index == 0,
                    # A disbanded department's people have all left or moved on.
                    is_active=spec.is_active and (index == 0 or rng.random() >= INACTIVE_SHARE),
                    **person,
                )
            )
    return people


def _person(rng: random.Random, female_share: float, emails: set[str], domain: str) -> dict:
    female = rng.random() < female_share
    first = rng.choices(
        FEMALE_NAMES if female else MALE_NAMES, cum_weights=_FEMALE_W if female else _MALE_W
    )[0]
    patronymic = rng.choices(PATRONYMICS, cum_weights=_PATRONYMIC_W)[0][1 if female else 0]
    last = rng.choices(SURNAMES, cum_weights=_SURNAME_W)[0][1 if female else 0]
    email = _unique_email(first, patronymic, last, emails, domain)
    return {"first_name": first, "patronymic": patronymic, "last_name": last, "email": email}


def _unique_email(first: str, patronymic: str, last: str, taken: set[str], domain: str) -> str:
    """i.petrov, then i.s.petrov, then ivan.petrov, then i.petrov2, i.petrov3..."""
    initial = transliterate(first[0])
    surname = transliterate(last)
    candidates = [
        f"{initial}.{surname}",
        f"{initial}.{transliterate(patronymic[0])}.{surname}",
        f"{transliterate(first)}.{surname}",
    ]
    number = 2
    while True:
        for local in candidates:
            email = f"{local}@{domain}"
            if email not in taken:
                taken.add(email)
                return email
        candidates = [f"{initial}.{surname}{number}"]
        number += 1
