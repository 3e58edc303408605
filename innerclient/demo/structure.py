"""The demo company's department catalogue: divisions, departments and sub-departments.

A department's parent is found from its code (``COM-SAL-B2B`` sits under ``COM-SAL``, which
sits under the division ``COM``), so the catalogue cannot describe an impossible tree.
Headcounts are drawn from each department's range; the ranges add up to about 3,000 people,
shaped like a manufacturer that sells and delivers its own goods: big production, warehouse,
delivery and sales, small legal and tax.
"""

import random
from dataclasses import dataclass

# Departments the request log and the tests single out.
SALES = "COM-SAL"
SALES_B2B = "COM-SAL-B2B"
PURCHASING = "OPS-PUR-GDS"
DELIVERY = "OPS-DLV"
IT_SUPPORT = "IT-SUP"
HR_ADMIN = "HR-ADM"
ACCOUNTING = "FIN-ACC"


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name_ru: str
    name_en: str
    head_title: str
    staff: str  # key of people.STAFF_PROFILES: which positions the department's people hold
    size: tuple[int, int]  # headcount range, head included
    # A department disbanded this many months before the anchor date: inactive, its people
    # inactive, and its requests only in the older part of the log.
    disbanded_months_ago: int | None = None

    @property
    def parent_code(self) -> str | None:
        return self.code.rsplit("-", 1)[0] if "-" in self.code else None

    @property
    def level(self) -> int:
        return self.code.count("-")

    @property
    def is_active(self) -> bool:
        return self.disbanded_months_ago is None


def _d(code, name_ru, name_en, head_title, staff, lo, hi, **kwargs) -> DepartmentSpec:
    return DepartmentSpec(code, name_ru, name_en, head_title, staff, (lo, hi), **kwargs)


CATALOGUE: tuple[DepartmentSpec, ...] = (
    # --- Commercial division
    _d("COM", "Коммерческий блок", "Commercial Division",
       "Коммерческий директор", "directorate", 3, 4),
    _d("COM-SAL", "Департамент продаж", "Sales Department",
       "Директор по продажам", "office", 3, 5),
    _d("COM-SAL-B2B", "Отдел корпоративных продаж", "Corporate (B2B) Sales",
       "Начальник отдела корпоративных продаж", "sales", 65, 85),
    _d("COM-SAL-B2C", "Дирекция розничной сети", "Retail (B2C) Sales",
       "Директор розничной сети", "retail", 210, 260),
    _d("COM-SAL-REG", "Отдел региональных продаж", "Regional Sales",
       "Начальник отдела региональных продаж", "regional", 180, 220),
    _d("COM-SAL-KAM", "Отдел по работе с ключевыми клиентами", "Key Account Management",
       "Руководитель отдела по работе с ключевыми клиентами", "kam", 28, 38),
    _d("COM-SAL-TND", "Тендерный отдел", "Tenders",
       "Начальник тендерного отдела", "tender", 9, 13),
    _d("COM-MKT", "Отдел маркетинга", "Marketing",
       "Директор по маркетингу", "marketing", 9, 13),
    _d("COM-MKT-DIG", "Отдел интернет-маркетинга", "Digital Marketing",
       "Руководитель отдела интернет-маркетинга", "digital", 11, 15),
    _d("COM-CS", "Служба клиентского сервиса", "Customer Service",
       "Директор по клиентскому сервису", "office", 3, 5),
    _d("COM-CS-CC", "Контакт-центр", "Contact Centre",
       "Руководитель контакт-центра", "contact_centre", 95, 120),
    _d("COM-CS-CLM", "Отдел претензионной работы", "Claims Handling",
       "Начальник отдела претензионной работы", "claims", 11, 15),
    _d("COM-PRC", "Отдел ценообразования", "Pricing",
       "Начальник отдела ценообразования", "pricing", 6, 9),
    _d("COM-ECM", "Отдел электронной коммерции", "E-commerce",
       "Руководитель отдела электронной коммерции", "ecommerce", 20, 28),
    _d("COM-TLM", "Отдел телемаркетинга", "Telemarketing",
       "Начальник отдела телемаркетинга", "telemarketing", 6, 8, disbanded_months_ago=8),
    # --- Operations division
    _d("OPS", "Операционный блок", "Operations Division",
       "Операционный директор", "directorate", 3, 4),
    _d("OPS-PUR", "Департамент закупок", "Procurement Department",
       "Директор по закупкам", "office", 4, 6),
    _d("OPS-PUR-GDS", "Отдел закупок товаров", "Goods Procurement",
       "Начальник отдела закупок товаров", "procurement", 32, 42),
    _d("OPS-PUR-RAW", "Отдел закупок сырья и материалов", "Raw Materials Procurement",
       "Начальник отдела закупок сырья и материалов", "procurement", 20, 26),
    _d("OPS-PUR-IND", "Отдел непроизводственных закупок", "Indirect Procurement",
       "Начальник отдела непроизводственных закупок", "procurement", 10, 14),
    _d("OPS-WH", "Складской комплекс", "Warehousing",
       "Директор складского комплекса", "office", 4, 6),
    _d("OPS-WH-CEN", "Центральный склад", "Central Warehouse",
       "Начальник центрального склада", "warehouse", 330, 380),
    _d("OPS-WH-REG", "Региональные склады", "Regional Warehouses",
       "Начальник отдела региональных складов", "warehouse", 220, 260),
    _d("OPS-LOG", "Отдел логистики", "Logistics",
       "Начальник отдела логистики", "logistics", 25, 32),
    _d("OPS-DLV", "Служба доставки", "Delivery Service",
       "Начальник службы доставки", "delivery", 260, 300),
    _d("OPS-PRD", "Производственная дирекция", "Production",
       "Директор по производству", "office", 5, 8),
    _d("OPS-PRD-SH1", "Производственный цех № 1", "Production Shop No. 1",
       "Начальник цеха № 1", "production", 380, 430),
    _d("OPS-PRD-SH2", "Производственный цех № 2", "Production Shop No. 2",
       "Начальник цеха № 2", "production", 300, 350),
    _d("OPS-PRD-PLN", "Планово-диспетчерский отдел", "Production Planning",
       "Начальник планово-диспетчерского отдела", "production_planning", 14, 18),
    _d("OPS-QA", "Служба качества", "Quality Assurance",
       "Директор по качеству", "quality", 8, 11),
    _d("OPS-QA-LAB", "Лаборатория входного контроля", "Incoming Inspection Laboratory",
       "Заведующий лабораторией", "lab", 18, 24),
    _d("OPS-MNT", "Отдел главного механика", "Maintenance",
       "Главный механик", "maintenance", 55, 65),
    # --- Finance division
    _d("FIN", "Финансовый блок", "Finance Division",
       "Финансовый директор", "directorate", 2, 3),
    _d("FIN-ACC", "Бухгалтерия", "Accounting",
       "Главный бухгалтер", "accounting", 25, 32),
    _d("FIN-ACC-PAY", "Отдел расчёта заработной платы", "Payroll",
       "Начальник отдела расчёта заработной платы", "payroll", 10, 14),
    _d("FIN-TRS", "Казначейство", "Treasury",
       "Казначей", "treasury", 8, 11),
    _d("FIN-PLN", "Отдел планирования и бюджетирования", "Planning and Budgeting",
       "Начальник отдела планирования и бюджетирования", "budgeting", 8, 12),
    _d("FIN-TAX", "Налоговый отдел", "Tax",
       "Начальник налогового отдела", "tax", 5, 7),
    _d("FIN-CTR", "Отдел контроллинга", "Controlling",
       "Руководитель отдела контроллинга", "controlling", 7, 10),
    _d("FIN-CRD", "Отдел кредитного контроля", "Credit Control",
       "Начальник отдела кредитного контроля", "credit", 8, 12),
    # --- People and HR division
    _d("HR", "Блок по работе с персоналом", "People and HR Division",
       "Директор по персоналу", "directorate", 2, 3),
    _d("HR-REC", "Отдел подбора персонала", "Recruitment",
       "Начальник отдела подбора персонала", "recruitment", 14, 18),
    _d("HR-TRN", "Учебный центр", "Training Centre",
       "Руководитель учебного центра", "training", 10, 14),
    _d("HR-ADM", "Отдел кадрового администрирования", "HR Administration",
       "Начальник отдела кадрового администрирования", "hr_admin", 14, 18),
    _d("HR-CB", "Отдел компенсаций и льгот", "Compensation and Benefits",
       "Руководитель отдела компенсаций и льгот", "cb", 6, 8),
    _d("HR-OHS", "Служба охраны труда", "Occupational Health and Safety",
       "Руководитель службы охраны труда", "ohs", 6, 9),
    # --- IT division
    _d("IT", "Блок информационных технологий", "IT Division",
       "Директор по информационным технологиям", "directorate", 2, 3),
    _d("IT-SUP", "Служба технической поддержки", "IT Service Desk",
       "Руководитель службы технической поддержки", "it_support", 35, 45),
    _d("IT-INF", "Отдел ИТ-инфраструктуры", "IT Infrastructure",
       "Начальник отдела ИТ-инфраструктуры", "infrastructure", 20, 26),
    _d("IT-DEV", "Отдел разработки", "Software Development",
       "Руководитель отдела разработки", "office", 4, 6),
    _d("IT-DEV-ERP", "Группа развития ERP", "ERP Development",
       "Руководитель группы развития ERP", "erp", 18, 24),
    _d("IT-DEV-WEB", "Группа веб-разработки", "Web Development",
       "Руководитель группы веб-разработки", "web", 12, 17),
    _d("IT-SEC", "Отдел информационной безопасности", "Information Security",
       "Начальник отдела информационной безопасности", "infosec", 8, 11),
    _d("IT-DAT", "Отдел аналитики данных", "Data and BI",
       "Руководитель отдела аналитики данных", "data", 10, 14),
    # --- Administration division
    _d("ADM", "Административный блок", "Administration Division",
       "Административный директор", "directorate", 2, 3),
    _d("ADM-LEG", "Юридический отдел", "Legal",
       "Начальник юридического отдела", "legal", 9, 12),
    _d("ADM-AHO", "Административно-хозяйственный отдел", "Facilities",
       "Начальник административно-хозяйственного отдела", "facilities", 42, 55),
    _d("ADM-SEC", "Служба безопасности", "Corporate Security",
       "Начальник службы безопасности", "security", 38, 48),
    _d("ADM-DOC", "Отдел документационного обеспечения", "Records Management",
       "Начальник отдела документационного обеспечения", "records", 10, 14),
    _d("ADM-FLT", "Транспортный отдел", "Corporate Fleet",
       "Начальник транспортного отдела", "fleet", 20, 27),
)  # fmt: skip


@dataclass(frozen=True)
class DepartmentPlan:
    spec: DepartmentSpec
    headcount: int

    @property
    def code(self) -> str:
        return self.spec.code


def plan_structure(rng: random.Random) -> list[DepartmentPlan]:
    """Every catalogue department with a headcount drawn from its range, parents first."""
    return [
        DepartmentPlan(spec=spec, headcount=rng.randint(*spec.size))
        for spec in sorted(CATALOGUE, key=lambda spec: (spec.level, CATALOGUE.index(spec)))
    ]
