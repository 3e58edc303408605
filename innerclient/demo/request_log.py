"""A year of service-desk requests between the demo company's departments.

Each ``Flow`` says who sends what to whom: a monthly rate per client department plus a rate
per person in it (a 400-person shop breaks more machines than a 10-person office), the
request types, and the internal service the flow stands for. Monthly counts are Poisson
draws, scaled by season and by the month's working days; a few random pairs add the noise
any real log has. The interaction map is derived from this log, as a coordinator would.
"""

import calendar
import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

from innerclient.demo.structure import DepartmentPlan

LOG_MONTHS = 12
MAP_MONTHS = 6  # the map is derived from the last six months of the log...
MAP_MIN_COUNT = 6  # ...keeping pairs with at least one request a month on average
NOISE_PAIRS_PER_DEPARTMENT = 3

# Fewer requests in the January holidays and in summer, a rush before the year closes.
SEASON = {1: 0.7, 2: 0.95, 3: 1.05, 4: 1.0, 5: 0.85, 6: 0.95,
          7: 0.85, 8: 0.85, 9: 1.05, 10: 1.1, 11: 1.1, 12: 1.2}  # fmt: skip
# Public holidays of the Russian production calendar that fall on fixed dates.
HOLIDAYS = {(1, d) for d in range(1, 9)} | {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}

# The headers of the request-log import template (org.importing.fields), so the import
# maps the columns by itself.
XLSX_HEADERS = ("Дата создания", "От подразделения", "Кому", "Тип заявки")


@dataclass(frozen=True)
class Flow:
    clients: tuple[str, ...]  # code patterns: "COM-SAL-*" is every sales department, "*" all
    provider: str
    service: str  # the internal service, written on the map link
    request_types: tuple[str, ...]
    per_person: float = 0.0  # requests a month per person of the client department
    base: float = 0.0  # requests a month per client department, whatever its size
    floor: int = 0  # at least this many a month: the flows everybody relies on


def _f(clients: str, provider: str, service: str, types: str, per_person=0.0, base=0.0, floor=0):
    return Flow(tuple(clients.split()), provider, service, tuple(types.split("; ")),
                per_person, base, floor)  # fmt: skip


SALES_UNITS = "COM-SAL-B2B COM-SAL-B2C COM-SAL-REG COM-SAL-KAM COM-SAL-TND COM-ECM COM-TLM"
PRODUCTION = "OPS-PRD-SH*"
PURCHASING_UNITS = "OPS-PUR*"
WAREHOUSES = "OPS-WH*"

FLOWS: tuple[Flow, ...] = (
    # --- Everyone
    _f("*", "IT-SUP", "Техническая поддержка рабочих мест, доступы к информационным системам",
       "Не работает компьютер; Доступ к информационной системе; Сброс пароля; "
       "Установка программы; Не печатает принтер; Ошибка в 1С; Настройка почты",
       per_person=0.12, base=1.5, floor=1),
    _f("*", "HR-ADM", "Кадровое оформление: приём, перевод, отпуска, справки",
       "Справка с места работы; Оформление отпуска; Приём сотрудника; Перевод сотрудника; "
       "Увольнение сотрудника; Оформление командировки",
       per_person=0.07, base=1.5, floor=1),
    _f("*", "FIN-ACC", "Бухгалтерский учёт: оплата счетов, авансовые отчёты, первичные документы",
       "Авансовый отчёт; Оплата счёта; Акт сверки; Закрывающие документы; "
       "Вопрос по первичным документам",
       per_person=0.03, base=1.5, floor=1),
    _f("*", "ADM-AHO", "Хозяйственное обеспечение: канцтовары, мебель, ремонт помещений",
       "Канцтовары; Ремонт мебели; Пропуск для посетителя; Ремонт в помещении; Питьевая вода",
       per_person=0.02, base=0.3),
    _f("*", "HR-REC", "Подбор персонала на открытые вакансии",
       "Заявка на подбор; Согласование кандидата", per_person=0.012),
    _f("*", "FIN-ACC-PAY", "Расчёт заработной платы и выплат сотрудникам",
       "Вопрос по расчётному листку; Материальная помощь; Удержание из заработной платы",
       per_person=0.015),
    _f("*", "HR-TRN", "Обучение и развитие сотрудников",
       "Заявка на обучение; Адаптация новичков", per_person=0.008, base=0.2),
    _f("COM OPS FIN HR IT ADM", "FIN-PLN", "Формирование и контроль бюджета блока",
       "Корректировка бюджета; Отчёт об исполнении бюджета", base=1.5),
    # --- Sales
    _f(SALES_UNITS, "OPS-PUR-GDS", "Закупка товаров под заказ клиента",
       "Закупка под заказ клиента; Срок поставки товара; Замена позиции",
       per_person=0.12, base=2, floor=1),
    _f(SALES_UNITS, "OPS-DLV", "Доставка заказов клиентам в срок",
       "Доставка заказа клиенту; Срочная доставка; Изменение адреса доставки",
       per_person=0.15, base=2, floor=1),
    _f(SALES_UNITS, "OPS-WH-CEN", "Резервирование и отгрузка товара со склада",
       "Резерв товара; Отгрузка заказа; Остатки на складе", per_person=0.1, base=1),
    _f("COM-SAL-REG COM-SAL-B2C", "OPS-WH-REG", "Отгрузка с региональных складов",
       "Отгрузка с регионального склада; Перемещение товара между складами", per_person=0.08),
    _f(SALES_UNITS, "COM-MKT", "Промо-материалы, акции и исследования рынка",
       "Промо-материалы; Маркетинговая акция; Исследование рынка", per_person=0.025, base=0.5),
    _f(SALES_UNITS, "ADM-LEG", "Согласование договоров с клиентами",
       "Согласование договора; Протокол разногласий", per_person=0.03, base=0.8),
    _f("COM-SAL-B2B COM-SAL-KAM COM-SAL-TND", "ADM-LEG", "Согласование договоров с клиентами",
       "Согласование договора; Тендерная документация", base=2),
    _f(SALES_UNITS, "COM-PRC", "Согласование цен и скидок для клиентов",
       "Согласование скидки; Расчёт цены", per_person=0.04, base=0.5),
    _f("COM-SAL-B2B COM-SAL-KAM COM-SAL-REG", "FIN-CRD", "Проверка кредитных лимитов клиентов",
       "Проверка кредитного лимита; Отсрочка платежа", per_person=0.05),
    _f("COM-SAL-TND", "FIN-TRS", "Обеспечение заявок и банковские гарантии",
       "Банковская гарантия; Обеспечение заявки", base=2),
    _f("COM-SAL-REG", "OPS-LOG", "Расчёт стоимости и сроков доставки в регионы",
       "Расчёт стоимости доставки", per_person=0.03),
    _f("COM-SAL-B2C COM-ECM", "COM-MKT-DIG", "Продвижение в интернете",
       "Баннер на сайте; Рассылка клиентам", base=1.5),
    _f("COM-ECM", "IT-DEV-WEB", "Развитие интернет-магазина",
       "Доработка сайта; Ошибка в интернет-магазине", base=4),
    _f("COM-SAL", "FIN-PLN", "План продаж и бюджет департамента", "План продаж", base=1.5),
    # --- Marketing: a client of sales when it needs field data
    _f("COM-MKT COM-MKT-DIG", "COM-SAL-REG", "Данные с мест: цены конкурентов, выкладка",
       "Данные о ценах конкурентов; Фотоотчёт о выкладке", base=1.5),
    _f("COM-MKT", "COM-SAL-B2C", "Данные о продажах и покупателях розничной сети",
       "Данные о продажах по магазинам", base=1.5),
    _f("COM-MKT COM-MKT-DIG", "IT-DAT", "Выгрузки и отчёты о продажах",
       "Выгрузка данных; Новый отчёт", base=1.5),
    _f("COM-MKT", "ADM-LEG", "Правовая проверка рекламы", "Проверка рекламных материалов",
       base=1.2),
    _f("COM-MKT", "OPS-PUR-IND", "Закупка рекламной и POS-продукции", "Закупка POS-материалов",
       base=1.2),
    _f("COM-MKT-DIG", "IT-DEV-WEB", "Доработки сайта для кампаний", "Посадочная страница",
       base=2),
    _f("COM-PRC", "IT-DAT", "Данные для ценообразования", "Выгрузка цен", base=1.5),
    _f("COM-PRC", "OPS-PUR-GDS", "Закупочные цены для расчёта", "Закупочная цена", base=2),
    # --- Customer service
    _f("COM-CS-CC", "OPS-DLV", "Статус и перенос доставок по обращениям клиентов",
       "Статус доставки; Перенос доставки", per_person=0.12, floor=1),
    _f("COM-CS-CC", "COM-CS-CLM", "Разбор жалоб клиентов", "Жалоба клиента", per_person=0.06),
    _f("COM-CS-CC", "COM-SAL-B2C", "Обращения покупателей розничных магазинов",
       "Обращение покупателя", per_person=0.04),
    _f("COM-CS-CLM", "OPS-QA", "Разбор рекламаций на качество", "Рекламация на качество",
       base=4, floor=1),
    _f("COM-CS-CLM", "OPS-WH-CEN", "Приём возвратов", "Возврат товара", base=3),
    _f("COM-CS-CLM", "FIN-ACC", "Возврат денег клиентам", "Возврат денежных средств", base=2),
    _f("COM-CS-CLM", "ADM-LEG", "Претензии и иски клиентов", "Претензия клиента", base=1.2),
    # --- Purchasing
    _f(PURCHASING_UNITS, "FIN-TRS", "Оплата поставщикам по графику платежей",
       "Оплата поставщику; Срочный платёж", per_person=0.15, base=1, floor=1),
    _f(PURCHASING_UNITS, "ADM-LEG", "Договоры с поставщиками",
       "Договор с поставщиком; Дополнительное соглашение", per_person=0.06, base=0.5),
    _f("OPS-PUR-GDS OPS-PUR-IND", "OPS-WH-CEN", "Приёмка поставок на склад",
       "Приёмка поставки; Расхождение при приёмке", per_person=0.12),
    _f(PURCHASING_UNITS, "ADM-SEC", "Проверка благонадёжности поставщиков",
       "Проверка контрагента", per_person=0.03, base=0.3),
    _f("OPS-PUR-RAW", "OPS-QA-LAB", "Входной контроль сырья", "Входной контроль сырья",
       per_person=0.12),
    _f("OPS-PUR-RAW", "OPS-PRD-PLN", "Потребность производства в сырье",
       "Потребность в сырье", base=3),
    _f("OPS-PUR", "FIN-PLN", "Бюджет закупок", "Бюджет закупок", base=1.5),
    # --- Warehouse, logistics, delivery
    _f(WAREHOUSES, "OPS-LOG", "Планирование отгрузок и рейсов",
       "Планирование рейса; Заказ транспорта", per_person=0.02, base=0.5),
    _f(WAREHOUSES, "OPS-MNT", "Ремонт складской техники", "Ремонт погрузчика; Ремонт ворот",
       per_person=0.02),
    _f(WAREHOUSES, "OPS-PUR-IND", "Упаковка и расходные материалы для склада",
       "Упаковочные материалы; Стрейч-плёнка", per_person=0.012),
    _f(WAREHOUSES, "HR-OHS", "Охрана труда на складе", "Средства индивидуальной защиты; Инструктаж",
       per_person=0.01),
    _f("OPS-DLV", "OPS-WH-CEN", "Комплектация заказов к доставке",
       "Комплектация заказа; Недовложение", per_person=0.06, floor=1),
    _f("OPS-DLV", "OPS-LOG", "Маршруты доставки", "Маршрутный лист", per_person=0.04),
    _f("OPS-DLV", "ADM-FLT", "Ремонт и обслуживание автомобилей", "Ремонт автомобиля; Замена шин",
       per_person=0.03),
    _f("OPS-DLV", "COM-CS-CC", "Связь с клиентами при доставке", "Клиент не отвечает",
       per_person=0.02),
    _f("OPS-LOG", "FIN-TRS", "Оплата перевозчикам", "Оплата перевозчику", base=3),
    _f("OPS-LOG", "ADM-LEG", "Договоры с перевозчиками", "Договор перевозки", base=1.2),
    # --- Production and quality
    _f(PRODUCTION, "OPS-PUR-RAW", "Обеспечение производства сырьём и материалами",
       "Сырьё для производства; Срочная поставка материала", per_person=0.05, floor=1),
    _f(PRODUCTION, "OPS-QA", "Контроль качества партий", "Контроль партии; Несоответствие",
       per_person=0.03, floor=1),
    _f(PRODUCTION, "OPS-MNT", "Ремонт и обслуживание оборудования",
       "Ремонт оборудования; Плановое ТО; Аварийная остановка линии", per_person=0.06, floor=1),
    _f(PRODUCTION, "OPS-PRD-PLN", "Производственные задания", "Производственное задание",
       per_person=0.02),
    _f(PRODUCTION, "HR-OHS", "Охрана труда в цехах", "Средства индивидуальной защиты; Инструктаж",
       per_person=0.01),
    _f(PRODUCTION, "OPS-WH-CEN", "Приём готовой продукции на склад", "Сдача готовой продукции",
       per_person=0.02),
    _f("OPS-PRD-PLN", "COM-SAL", "Прогноз продаж для плана производства", "Прогноз продаж",
       base=2),
    _f("OPS-PRD-PLN", "OPS-PUR-RAW", "Обеспечение плана производства сырьём",
       "Потребность в сырье", base=3),
    _f("OPS-QA OPS-QA-LAB", "OPS-PUR-RAW", "Претензии к поставщикам сырья",
       "Претензия поставщику", base=1.5),
    _f("OPS-QA", "ADM-LEG", "Сертификация продукции", "Сертификат соответствия", base=1),
    _f("OPS-QA-LAB", "OPS-PUR-IND", "Реактивы и оборудование лаборатории", "Реактивы", base=1.5),
    _f("OPS-MNT", "OPS-PUR-IND", "Запчасти для ремонта оборудования", "Запчасти",
       per_person=0.1, floor=1),
    _f("OPS-MNT", "HR-OHS", "Допуски к работам повышенной опасности", "Наряд-допуск",
       per_person=0.03),
    # --- Finance
    _f("FIN-ACC", "FIN-TRS", "Платежи и банковские выписки", "Платёжное поручение", base=4),
    _f("FIN-ACC", "FIN-TAX", "Налоговые вопросы учёта", "Налоговый вопрос", base=2),
    _f("FIN-ACC FIN-ACC-PAY", "IT-DEV-ERP", "Доработка учётной системы", "Доработка 1С",
       base=2),
    _f("FIN-ACC", "COM-SAL-B2B", "Первичные документы от клиентов", "Подписанные документы",
       base=2),
    _f("FIN-ACC", "OPS-WH-CEN", "Инвентаризация", "Инвентаризация", base=1),
    _f("FIN-ACC-PAY", "HR-ADM", "Табели и кадровые приказы для расчёта зарплаты",
       "Табель учёта рабочего времени; Кадровый приказ", base=4),
    _f("FIN-ACC-PAY", "HR-CB", "Премии и доплаты", "Приказ о премии", base=2),
    _f("FIN-TRS", "ADM-LEG", "Кредитные договоры", "Кредитный договор", base=1),
    _f("FIN-PLN FIN-CTR", "IT-DAT", "Управленческая отчётность", "Новый отчёт; Выгрузка данных",
       base=1.5),
    _f("FIN-CTR", "FIN-ACC", "Данные учёта для контроллинга", "Данные учёта", base=2),
    _f("FIN-TAX", "ADM-LEG", "Налоговые споры", "Налоговая проверка", base=1),
    _f("FIN-CRD", "COM-SAL-B2B COM-SAL-KAM", "Работа с просроченной задолженностью клиентов",
       "Просроченная задолженность", base=2),
    _f("FIN-CRD", "ADM-LEG", "Претензии должникам", "Претензия должнику", base=1.5),
    # --- HR
    _f("HR-REC", "ADM-SEC", "Проверка кандидатов", "Проверка кандидата", base=3),
    _f("HR-REC", "COM-MKT", "Материалы для продвижения бренда работодателя",
       "Макет вакансии", base=1),
    _f("HR-TRN", "ADM-AHO", "Аудитории для обучения", "Бронирование аудитории", base=1.5),
    _f("HR-TRN", "IT-DEV-WEB", "Портал дистанционного обучения", "Курс на портале", base=1.2),
    _f("HR-ADM", "ADM-DOC", "Архив кадровых документов", "Передача дел в архив", base=1.5),
    _f("HR-CB", "FIN-ACC-PAY", "Данные для расчёта компенсаций", "Данные по выплатам", base=2),
    _f("HR-CB", "FIN-PLN", "Фонд оплаты труда", "Бюджет ФОТ", base=1),
    _f("HR-OHS", "OPS-PUR-IND", "Закупка средств индивидуальной защиты", "Закупка СИЗ", base=1.5),
    # --- IT
    _f("IT-SUP", "IT-INF", "Решение инцидентов второй линии", "Эскалация инцидента",
       per_person=0.4, floor=1),
    _f("IT-SUP IT-INF", "OPS-PUR-IND", "Закупка компьютерной техники", "Закупка оборудования",
       per_person=0.04),
    _f("IT-INF", "ADM-LEG", "Лицензионные договоры", "Лицензионный договор", base=1),
    _f("IT-INF IT-DEV-ERP IT-DEV-WEB", "IT-SEC", "Согласование доступов и изменений",
       "Согласование доступа", base=1.5),
    _f("IT-DEV-ERP IT-DEV-WEB IT-DAT", "IT-INF", "Серверы и тестовые среды", "Тестовый стенд",
       base=2),
    _f("IT-SEC", "HR-ADM", "Кадровые события для управления доступами",
       "Список уволенных", base=2),
    _f("IT-SEC", "ADM-SEC", "Расследование инцидентов безопасности", "Инцидент безопасности",
       base=1),
    # --- Administration
    _f("ADM-LEG", "ADM-DOC", "Регистрация и хранение договоров", "Регистрация договора", base=3),
    _f("ADM-AHO ADM-FLT", "OPS-PUR-IND", "Закупки для хозяйственных нужд",
       "Закупка материалов; Запчасти и ГСМ", base=2),
    _f("ADM-AHO", "FIN-TRS", "Оплата коммунальных услуг и аренды", "Оплата аренды", base=1.5),
    _f("ADM-SEC", "HR-ADM", "Данные о сотрудниках для пропускного режима", "Пропуск сотрудника",
       base=2),
    _f("ADM-DOC", "IT-DEV-ERP", "Развитие системы электронного документооборота",
       "Доработка СЭД", base=1),
    _f("ADM-FLT", "ADM-LEG", "Штрафы и ДТП", "Штраф ГИБДД; ДТП", base=1),
)  # fmt: skip

NOISE_TYPES = ("Консультация", "Прошу помочь", "Прочее")


@dataclass(frozen=True)
class DemoRequest:
    created_at: dt.datetime  # naive local time, as a service desk exports it
    client_code: str
    provider_code: str
    request_type: str


def flows_between(departments: Iterable[DepartmentPlan]) -> dict[tuple[str, str], list[Flow]]:
    """The flows that apply to each (client, provider) pair of catalogue departments."""
    codes = {department.code for department in departments}
    pairs: dict[tuple[str, str], list[Flow]] = {}
    for flow in FLOWS:
        for client in sorted(codes):
            if not any(fnmatchcase(client, pattern) for pattern in flow.clients):
                continue
            for provider in flow.provider.split():
                if provider in codes and provider != client:
                    pairs.setdefault((client, provider), []).append(flow)
    return pairs


def services_for(flows: list[Flow]) -> str:
    return "; ".join(dict.fromkeys(flow.service for flow in flows))


def month_starts(anchor: dt.date, months: int) -> list[dt.date]:
    """First days of the ``months`` calendar months that end with the anchor's month."""
    year, month = anchor.year, anchor.month
    starts = []
    for _ in range(months):
        starts.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def plan_request_log(
    departments: list[DepartmentPlan], rng: random.Random, *, anchor: dt.date
) -> list[DemoRequest]:
    by_code = {department.code: department for department in departments}
    pairs = flows_between(departments)
    pairs.update(_noise_pairs(departments, set(pairs), rng))
    requests: list[DemoRequest] = []
    starts = month_starts(anchor, LOG_MONTHS)
    for month_index, start in enumerate(starts):
        days = _working_days(start, anchor)
        # A partial last month gets a share of the usual volume.
        scale = SEASON[start.month] * len(days) / 21
        months_before_anchor = LOG_MONTHS - 1 - month_index
        for (client, provider), flows in pairs.items():
            disbanded = by_code[client].spec.disbanded_months_ago
            if disbanded is not None and months_before_anchor < disbanded:
                continue
            headcount = by_code[client].headcount
            for flow in flows:
                rate = (flow.base + flow.per_person * headcount) * scale
                count = max(flow.floor, _poisson(rng, rate))
                for _ in range(count):
                    requests.append(
                        DemoRequest(
                            created_at=_moment(rng, days),
                            client_code=client,
                            provider_code=provider,
                            request_type=rng.choice(flow.request_types),
                        )
                    )
    requests.sort(key=lambda r: (r.created_at, r.client_code, r.provider_code, r.request_type))
    return requests


def _noise_pairs(
    departments: list[DepartmentPlan], taken: set[tuple[str, str]], rng: random.Random
) -> dict[tuple[str, str], list[Flow]]:
    """Rare requests between departments with no business together: one-off questions."""
    codes = [department.code for department in departments]
    noise: dict[tuple[str, str], list[Flow]] = {}
    for client in codes:
        for provider in rng.sample(codes, NOISE_PAIRS_PER_DEPARTMENT):
            if provider != client and (client, provider) not in taken:
                rate = rng.uniform(0.1, 0.6)
                noise[(client, provider)] = [Flow((client,), provider, "", NOISE_TYPES, base=rate)]
    return noise


def _working_days(start: dt.date, anchor: dt.date) -> list[dt.date]:
    last = min(anchor, start.replace(day=calendar.monthrange(start.year, start.month)[1]))
    calendar_days = (start + dt.timedelta(days=n) for n in range((last - start).days + 1))
    days = [
        day for day in calendar_days if day.weekday() < 5 and (day.month, day.day) not in HOLIDAYS
    ]
    # An anchor on the 1st of January still leaves the month a day to put requests on.
    return days or [start]


def _moment(rng: random.Random, days: list[dt.date]) -> dt.datetime:
    # Office hours, 8:30 to 18:30.
    minute = rng.randrange(8 * 60 + 30, 18 * 60 + 30)
    return dt.datetime.combine(rng.choice(days), dt.time(minute // 60, minute % 60))


def _poisson(rng: random.Random, rate: float) -> int:
    if rate <= 0:
        return 0
    if rate > 30:  # the normal approximation is close enough and avoids long loops
        return max(0, round(rng.gauss(rate, math.sqrt(rate))))
    limit, count, product = math.exp(-rate), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def write_xlsx(requests: list[DemoRequest], path: Path) -> None:
    """The log as a service desk would export it, for trying the request-log import."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Заявки")
    sheet.append(XLSX_HEADERS)
    for request in requests:
        sheet.append(
            (request.created_at, request.client_code, request.provider_code, request.request_type)
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
