"""Read-side queries for company structure. They return plain data for pages and reports.

Every selector here runs a constant number of queries whatever the size of the company: the
whole department list is one query (a few thousand rows at most), and trees, paths and
divisions are built in Python from it.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, F, Q

from innerclient.accounts.lockout import locked_usernames
from innerclient.core.models import Membership, Organization
from innerclient.org.models import DataImport, Department, InteractionLink, Person


@dataclass(frozen=True)
class OrganizationOverview:
    departments_active: int
    departments_total: int
    people_active: int
    links: int
    members: int
    last_imports: list = field(default_factory=list)


def organization_overview(organization: Organization) -> OrganizationOverview:
    departments = Department.objects.filter(organization=organization)
    return OrganizationOverview(
        departments_active=departments.filter(is_active=True).count(),
        departments_total=departments.count(),
        people_active=Person.objects.filter(organization=organization, is_active=True).count(),
        links=InteractionLink.objects.filter(organization=organization).count(),
        members=Membership.objects.filter(organization=organization).count(),
        last_imports=list(
            DataImport.objects.filter(organization=organization)
            .defer("content", "preview")
            .order_by("-created_at")[:5]
        ),
    )


def _search(queryset, fields: tuple[str, ...], needle: str):
    """``queryset`` narrowed to rows where any of ``fields`` contains ``needle``, any case.

    SQLite folds case for ASCII only, so "продаж" would not find "Продажи" there: on SQLite
    the match runs in Python over (pk, fields) of the already-scoped rows, one extra query.
    """
    needle = needle.strip()
    if not needle:
        return queryset
    if connection.vendor != "sqlite":
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__icontains": needle})
        return queryset.filter(condition)
    folded = needle.casefold()
    ids = [
        pk
        for pk, *values in queryset.values_list("pk", *fields)
        if any(folded in (value or "").casefold() for value in values)
    ]
    return queryset.filter(pk__in=ids)


# --- Departments as plain data ---------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRef:
    """Enough of a department to name it and link to it."""

    id: int
    code: str
    name: str
    is_active: bool = True


@dataclass
class _Row:
    id: int
    code: str
    name_ru: str
    name_en: str
    parent_id: int | None
    head_id: int | None
    head_name: str
    head_is_active: bool
    is_active: bool

    @property
    def name(self) -> str:
        # Same rule as Department.name, without building model instances.
        return Department(name_ru=self.name_ru, name_en=self.name_en).name

    def ref(self) -> DepartmentRef:
        return DepartmentRef(self.id, self.code, self.name, self.is_active)


def _department_rows(organization: Organization) -> dict[int, _Row]:
    """All departments of the organization, keyed by id: one query."""
    values = (
        Department.objects.filter(organization=organization)
        .order_by("code")
        .values_list(
            "id",
            "code",
            "name_ru",
            "name_en",
            "parent_id",
            "head_id",
            "head__full_name",
            "head__is_active",
            "is_active",
        )
    )
    return {
        v[0]: _Row(v[0], v[1], v[2], v[3], v[4], v[5], v[6] or "", bool(v[7]), v[8]) for v in values
    }


def _children_index(rows: dict[int, _Row]) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = defaultdict(list)
    for row in rows.values():  # rows are in code order, so children are too
        parent = row.parent_id if row.parent_id in rows else None
        children[parent].append(row.id)
    return children


def _path(rows: dict[int, _Row], department_id: int) -> list[int]:
    """Ids from the root down to ``department_id`` (cycle-safe)."""
    path, seen = [], set()
    current = department_id
    while current is not None and current in rows and current not in seen:
        seen.add(current)
        path.append(current)
        current = rows[current].parent_id
    return path[::-1]


def _tree_order(rows: dict[int, _Row]) -> list[tuple[int, int]]:
    """(id, depth) for every department, depth first, siblings by code."""
    children = _children_index(rows)
    order: list[tuple[int, int]] = []
    seen: set[int] = set()
    stack = [(dept_id, 0) for dept_id in reversed(children[None])]
    while stack:
        dept_id, depth = stack.pop()
        if dept_id in seen:
            continue
        seen.add(dept_id)
        order.append((dept_id, depth))
        stack.extend((child, depth + 1) for child in reversed(children.get(dept_id, [])))
    # Departments caught in a parent cycle (bad data) still show up, at the top level.
    order.extend((dept_id, 0) for dept_id in rows if dept_id not in seen)
    return order


def _division_of(rows: dict[int, _Row]) -> tuple[list[int], dict[int, int]]:
    """Divisions (top-level departments) and the division of each department.

    When the whole company hangs under a single root (the company itself), the divisions are
    that root's children, and the root counts as its own division.
    """
    children = _children_index(rows)
    roots = children[None]
    level = 1 if len(roots) == 1 and children.get(roots[0]) else 0
    divisions: list[int] = []
    mapping: dict[int, int] = {}
    for dept_id in rows:
        path = _path(rows, dept_id)
        division = path[min(level, len(path) - 1)]
        mapping[dept_id] = division
    for dept_id, _depth in _tree_order(rows):
        if mapping[dept_id] == dept_id and dept_id not in divisions:
            divisions.append(dept_id)
    return divisions, mapping


# --- The tree -------------------------------------------------------------------------------


@dataclass
class TreeNode:
    id: int
    code: str
    name: str
    head_name: str
    head_is_active: bool
    people: int  # active people directly in this department
    people_total: int  # active people in this department and everything under it
    is_active: bool
    matches: bool = True  # matches the filter (ancestors of a match are shown but not marked)
    children: list["TreeNode"] = field(default_factory=list)


@dataclass
class DepartmentTree:
    roots: list[TreeNode]
    shown: int
    total: int
    inactive: int
    query: str


def department_tree(
    organization: Organization, *, include_inactive: bool = False, query: str = ""
) -> DepartmentTree:
    """The hierarchy in two queries: the departments, and active people per department.

    Hidden (inactive) departments take their visible descendants with them only if those are
    inactive too; an active department under an inactive one moves up to the nearest visible
    ancestor, so nothing active disappears from the tree.
    """
    rows = _department_rows(organization)
    counts = dict(
        Person.objects.filter(organization=organization, is_active=True)
        .values_list("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    nodes = {
        row.id: TreeNode(
            id=row.id,
            code=row.code,
            name=row.name,
            head_name=row.head_name,
            head_is_active=row.head_is_active,
            people=counts.get(row.id, 0),
            people_total=0,
            is_active=row.is_active,
        )
        for row in rows.values()
    }
    order = _tree_order(rows)
    # Subtree totals: walk deepest first.
    for dept_id, _depth in reversed(order):
        node = nodes[dept_id]
        node.people_total += node.people
        parent = rows[dept_id].parent_id
        if parent in nodes and parent != dept_id:
            nodes[parent].people_total += node.people_total

    def visible(dept_id: int) -> bool:
        return include_inactive or rows[dept_id].is_active

    needle = query.strip().casefold()
    matched: set[int] | None = None
    if needle:
        matched = {
            row.id
            for row in rows.values()
            if visible(row.id)
            and any(
                needle in text.casefold()
                for text in (row.code, row.name_ru, row.name_en, row.head_name)
            )
        }

    keep: set[int] = set()
    for dept_id, _depth in order:
        if not visible(dept_id):
            continue
        if matched is None or dept_id in matched:
            keep.add(dept_id)
            if matched is not None:  # show the way down to every match
                keep.update(d for d in _path(rows, dept_id) if visible(d))
    roots: list[TreeNode] = []
    for dept_id, _depth in order:
        if dept_id not in keep:
            continue
        node = nodes[dept_id]
        node.matches = matched is None or dept_id in matched
        ancestors = [d for d in _path(rows, dept_id)[:-1] if d in keep]
        if ancestors:
            nodes[ancestors[-1]].children.append(node)
        else:
            roots.append(node)
    return DepartmentTree(
        roots=roots,
        shown=len(keep),
        total=len(rows),
        inactive=sum(1 for row in rows.values() if not row.is_active),
        query=query.strip(),
    )


# --- One department -------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkRow:
    id: int
    client: DepartmentRef
    provider: DepartmentRef
    services: str
    weight: Decimal
    volume: int | None
    source: str
    source_label: str


@dataclass
class DepartmentDetail:
    id: int
    code: str
    name: str
    name_ru: str
    name_en: str
    is_active: bool
    path: list[DepartmentRef]  # root first, without the department itself
    head_id: int | None
    head_name: str
    head_is_active: bool
    children: list[DepartmentRef]
    people_active: int
    people_inactive: int
    providers: list[LinkRow]  # links where this department is the client
    clients: list[LinkRow]  # links where this department is the provider

    @property
    def active_children(self) -> list[DepartmentRef]:
        return [child for child in self.children if child.is_active]

    @property
    def link_count(self) -> int:
        return len(self.providers) + len(self.clients)

    @property
    def deactivation_blockers(self) -> list[str]:
        """Codes of what keeps the department from being deactivated (see structure service)."""
        blockers = []
        if self.active_children:
            blockers.append("children")
        if self.people_active:
            blockers.append("people")
        return blockers


def _link_rows(links, rows: dict[int, _Row]) -> list[LinkRow]:
    labels = dict(InteractionLink.Source.choices)
    return [
        LinkRow(
            id=link_id,
            client=rows[client_id].ref(),
            provider=rows[provider_id].ref(),
            services=services,
            weight=weight,
            volume=volume,
            source=source,
            source_label=str(labels.get(source, source)),
        )
        for link_id, client_id, provider_id, services, weight, volume, source in links
        if client_id in rows and provider_id in rows
    ]


_LINK_FIELDS = ("id", "client_id", "provider_id", "services", "weight", "volume", "source")


def department_detail(department: Department) -> DepartmentDetail:
    """The department page: path, children, head, people counts and its links (4 queries)."""
    organization = department.organization
    rows = _department_rows(organization)
    row = rows[department.pk]
    people = dict(
        Person.objects.filter(department=department)
        .values_list("is_active")
        .annotate(n=Count("id"))
        .values_list("is_active", "n")
    )
    links = _link_rows(
        InteractionLink.objects.filter(organization=organization)
        .filter(Q(client=department) | Q(provider=department))
        .values_list(*_LINK_FIELDS),
        rows,
    )
    return DepartmentDetail(
        id=row.id,
        code=row.code,
        name=row.name,
        name_ru=row.name_ru,
        name_en=row.name_en,
        is_active=row.is_active,
        path=[rows[d].ref() for d in _path(rows, row.id)[:-1]],
        head_id=row.head_id,
        head_name=row.head_name,
        head_is_active=row.head_is_active,
        children=[rows[c].ref() for c in _children_index(rows).get(row.id, [])],
        people_active=people.get(True, 0),
        people_inactive=people.get(False, 0),
        providers=sorted(
            (link for link in links if link.client.id == row.id), key=lambda x: x.provider.code
        ),
        clients=sorted(
            (link for link in links if link.provider.id == row.id), key=lambda x: x.client.code
        ),
    )


@dataclass(frozen=True)
class PersonRow:
    id: int
    full_name: str
    email: str
    position: str
    is_head: bool
    is_active: bool
    department: DepartmentRef


def _person_rows(queryset) -> list[PersonRow]:
    return [
        PersonRow(
            id=p.pk,
            full_name=p.full_name,
            email=p.email,
            position=p.position,
            is_head=p.is_head,
            is_active=p.is_active,
            department=DepartmentRef(
                p.department_id, p.department.code, p.department.name, p.department.is_active
            ),
        )
        for p in queryset
    ]


def _paged_people(queryset, page_number, per_page: int) -> Page:
    page = Paginator(queryset.select_related("department"), per_page).get_page(page_number)
    page.object_list = _person_rows(page.object_list)
    return page


def department_people(department: Department, *, page: str | int | None, per_page: int = 25):
    """People of one department, heads first, then by name; a page of ``PersonRow``."""
    queryset = Person.objects.filter(department=department).order_by(
        "-is_active", "-is_head", "full_name", "pk"
    )
    return _paged_people(queryset, page, per_page)


def people(
    organization: Organization,
    *,
    query: str = "",
    department_id: int | None = None,
    include_inactive: bool = True,
    page: str | int | None = None,
    per_page: int = 50,
) -> Page:
    """People of the organization, searched by name or email; a page of ``PersonRow``."""
    queryset = Person.objects.filter(organization=organization)
    if department_id:
        queryset = queryset.filter(department_id=department_id)
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    queryset = _search(queryset, ("full_name", "email"), query)
    return _paged_people(queryset.order_by("full_name", "pk"), page, per_page)


def department_choices(organization: Organization, *, active_only: bool = False) -> list:
    """(id, "code — name") in tree order, indented by depth, for select boxes."""
    rows = _department_rows(organization)
    return [
        (dept_id, f"{'\u2003' * depth}{rows[dept_id].code} — {rows[dept_id].name}")
        for dept_id, depth in _tree_order(rows)
        if rows[dept_id].is_active or not active_only
    ]


# --- The interaction map --------------------------------------------------------------------


@dataclass(frozen=True)
class MatrixCell:
    client_id: int
    provider_id: int
    client_code: str = ""
    provider_code: str = ""
    link_id: int | None = None
    volume: int | None = None
    weight: Decimal | None = None
    level: int = 0  # 0 no link, 1..4 heat by volume quartile (1 when the volume is unknown)
    is_self: bool = False
    division_start: bool = False  # the first column of a division: drawn with a rule

    @property
    def is_on(self) -> bool:
        return self.link_id is not None

    @property
    def key(self) -> str:
        """ "<client>/<provider>" as plain text: the tail of the cell URL."""
        return f"{self.client_id}/{self.provider_id}"

    @property
    def dom_id(self) -> str:
        return f"c{self.client_id}-{self.provider_id}"

    @property
    def volume_label(self) -> str:
        return compact_number(self.volume)


@dataclass(frozen=True)
class MatrixDepartment:
    id: int
    code: str
    name: str
    division_id: int
    division_start: bool


@dataclass
class MatrixRow:
    department: MatrixDepartment
    cells: list[MatrixCell]
    provider_count: int


@dataclass(frozen=True)
class DivisionSpan:
    division: DepartmentRef
    span: int


@dataclass
class MapMatrix:
    divisions: list[DepartmentRef]
    columns: list[MatrixDepartment]
    column_groups: list[DivisionSpan]
    rows: list[MatrixRow]
    links_total: int  # all links in the organization
    links_shown: int  # links inside the shown rows × columns
    without_providers: list[DepartmentRef]  # active departments that are nobody's client
    without_clients: list[DepartmentRef]  # active departments that nobody is a client of
    departments_active: int
    inactive_links: int  # links that touch an inactive department (not in the matrix)


def compact_number(value: int | None) -> str:
    if value is None:
        return ""
    if value >= 10_000:
        return f"{value // 1000}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return str(value)


def _heat_levels(volumes: list[int]) -> list[int]:
    """Quartile thresholds of the known volumes, for the heat colour of cells."""
    if not volumes:
        return []
    ordered = sorted(volumes)
    return [ordered[min(len(ordered) - 1, (len(ordered) * q) // 4)] for q in (1, 2, 3)]


def _level(volume: int | None, thresholds: list[int]) -> int:
    if volume is None or not thresholds:
        return 1
    return 1 + sum(1 for t in thresholds if volume > t)


def map_matrix(
    organization: Organization,
    *,
    row_division: int | None = None,
    column_division: int | None = None,
) -> MapMatrix:
    """Clients (rows) × providers (columns) of the active departments: two queries.

    ``row_division`` / ``column_division`` restrict rows / columns to one division.
    """
    rows = _department_rows(organization)
    divisions, division_of = _division_of(rows)
    order = [dept_id for dept_id, _depth in _tree_order(rows) if rows[dept_id].is_active]
    departments = []
    previous_division = None
    for dept_id in order:
        division = division_of[dept_id]
        departments.append(
            MatrixDepartment(
                id=dept_id,
                code=rows[dept_id].code,
                name=rows[dept_id].name,
                division_id=division,
                division_start=division != previous_division,
            )
        )
        previous_division = division

    links = list(
        InteractionLink.objects.filter(organization=organization).values_list(
            "id", "client_id", "provider_id", "volume", "weight"
        )
    )
    active = set(order)
    by_pair = {(c, p): (link_id, v, w) for link_id, c, p, v, w in links}
    thresholds = _heat_levels([v for _i, c, p, v, _w in links if v is not None])
    has_provider = {c for _i, c, p, _v, _w in links if p in active}
    has_client = {p for _i, c, p, _v, _w in links if c in active}

    def restrict(items, division):
        if not division:
            return list(items)
        kept = [d for d in items if d.division_id == division]
        # The first kept column starts its group, whatever it was in the full list.
        return [
            MatrixDepartment(d.id, d.code, d.name, d.division_id, i == 0)
            for i, d in enumerate(kept)
        ]

    columns = restrict(departments, column_division)
    row_departments = restrict(departments, row_division)
    matrix_rows = []
    shown = 0
    for department in row_departments:
        cells = []
        count = 0
        for column in columns:
            link_id, volume, weight = by_pair.get((department.id, column.id), (None, None, None))
            if link_id is not None:
                count += 1
            cells.append(
                MatrixCell(
                    client_id=department.id,
                    provider_id=column.id,
                    client_code=department.code,
                    provider_code=column.code,
                    link_id=link_id,
                    volume=volume,
                    weight=weight,
                    level=_level(volume, thresholds) if link_id is not None else 0,
                    is_self=department.id == column.id,
                    division_start=column.division_start,
                )
            )
        shown += count
        matrix_rows.append(MatrixRow(department=department, cells=cells, provider_count=count))

    groups: list[DivisionSpan] = []
    for column in columns:
        if column.division_start or not groups:
            groups.append(DivisionSpan(rows[column.division_id].ref(), 0))
        groups[-1] = DivisionSpan(groups[-1].division, groups[-1].span + 1)

    return MapMatrix(
        divisions=[rows[d].ref() for d in divisions],
        columns=columns,
        column_groups=groups,
        rows=matrix_rows,
        links_total=len(links),
        links_shown=shown,
        without_providers=[rows[d].ref() for d in order if d not in has_provider],
        without_clients=[rows[d].ref() for d in order if d not in has_client],
        departments_active=len(order),
        inactive_links=sum(1 for _i, c, p, _v, _w in links if c not in active or p not in active),
    )


def map_cell(organization: Organization, client: Department, provider: Department) -> MatrixCell:
    """One cell of the matrix, for the HTMX partial after a toggle (one query)."""
    link = (
        InteractionLink.objects.filter(organization=organization, client=client, provider=provider)
        .values_list("id", "volume", "weight")
        .first()
    )
    cell = MatrixCell(
        client.pk, provider.pk, client.code, provider.code, is_self=client.pk == provider.pk
    )
    if link is None:
        return cell
    link_id, volume, weight = link
    return MatrixCell(
        cell.client_id,
        cell.provider_id,
        cell.client_code,
        cell.provider_code,
        link_id=link_id,
        volume=volume,
        weight=weight,
        level=1,
    )


LINK_ORDERINGS = {
    "client": ("client__code", "provider__code"),
    "-client": ("-client__code", "provider__code"),
    "provider": ("provider__code", "client__code"),
    "-provider": ("-provider__code", "client__code"),
    "volume": ("volume", "client__code", "provider__code"),
    "-volume": ("-volume", "client__code", "provider__code"),
    "weight": ("weight", "client__code", "provider__code"),
    "-weight": ("-weight", "client__code", "provider__code"),
}


def interaction_links(
    organization: Organization, *, order: str = "client", query: str = ""
) -> list[LinkRow]:
    """All links of the organization as rows, in the requested order (two queries)."""
    rows = _department_rows(organization)
    queryset = _search(
        InteractionLink.objects.filter(organization=organization),
        (
            "client__code",
            "client__name_ru",
            "client__name_en",
            "provider__code",
            "provider__name_ru",
            "provider__name_en",
            "services",
        ),
        query,
    )
    ordering = LINK_ORDERINGS.get(order, LINK_ORDERINGS["client"])
    if order.lstrip("-") == "volume":
        # Unknown volumes go last whichever way the column is sorted.
        volume = (
            F("volume").desc(nulls_last=True)
            if order == "-volume"
            else F("volume").asc(nulls_last=True)
        )
        ordering = (volume, *ordering[1:])
    return _link_rows(queryset.order_by(*ordering).values_list(*_LINK_FIELDS), rows)


@dataclass(frozen=True)
class MemberRow:
    id: int
    username: str
    full_name: str
    email: str
    role: str
    role_label: str
    department: DepartmentRef | None
    last_login: object
    signin_locked: bool = False


def members(organization: Organization) -> list[MemberRow]:
    """Memberships of the organization with user and department, and whose sign-in is locked
    out (two queries)."""
    memberships = (
        Membership.objects.filter(organization=organization)
        .select_related("user", "department")
        .order_by("role", "user__username")
    )
    memberships = list(memberships)
    locked = locked_usernames(m.user.get_username() for m in memberships)
    return [
        MemberRow(
            id=m.pk,
            username=m.user.get_username(),
            full_name=m.user.get_full_name(),
            email=m.user.email,
            role=m.role,
            role_label=m.get_role_display(),
            department=DepartmentRef(
                m.department_id, m.department.code, m.department.name, m.department.is_active
            )
            if m.department
            else None,
            last_login=m.user.last_login,
            signin_locked=m.user.get_username() in locked,
        )
        for m in memberships
    ]
