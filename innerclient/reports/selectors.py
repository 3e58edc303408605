"""Read side of reports: the company dashboard and the department card as plain data.

Every figure comes from a stored ``ResultSnapshot`` (``innerclient.scoring.pipeline.as_json``),
which holds only what the privacy rules let through: a hidden figure is ``None`` here and
templates show "—". Nothing in this module computes a figure from raw answers; the only raw
rows read are comment texts (``card_comments``), and only for a department whose snapshot
says ``comments_shown``, with no rater attribute at all.

The same data feeds the HTML pages, the XLSX exports and the PDFs (print templates):

    from innerclient.reports.selectors import company_dashboard, department_card
    data = department_card(snapshot, department_id, viewer_role="head")
    data = company_dashboard(snapshot, division=None, criterion=None, viewer_role="analyst")

Names (departments, criteria, questions) are in the active language: call them inside
``translation.override(...)`` for a given language.

Percent figures are on a 0–100 footing (index, criterion figures, cells), as in the snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q

from innerclient.core.models import Role
from innerclient.org.models import Department
from innerclient.reports.models import CommentModeration
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import (
    Answer,
    Criterion,
    Cycle,
    OpenAnswer,
    OpenQuestion,
    Response,
    ResponseKind,
)

ANALYST_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST})
LEADERS = 5  # leaders and laggards shown on the dashboard
HEATMAP_SORTS = ("index", "name")


# --- Shared shapes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    code: str
    name: str
    division_id: int | None  # the top-level ancestor (itself when it is top-level)
    division_code: str
    division_name: str


@dataclass(frozen=True)
class CriterionRef:
    id: int
    code: str
    name: str
    weight: float


@dataclass(frozen=True)
class ChangeData:
    """Against the previous published cycle (``None`` fields: not computable or hidden)."""

    delta: float | None  # index points, current minus previous
    ci_low: float | None
    ci_high: float | None
    q: float | None  # Benjamini–Hochberg adjusted p
    significant: bool
    trend_slope: float | None  # index points per cycle over the history


@dataclass(frozen=True)
class TrendPoint:
    cycle_id: int
    cycle_name: str
    index: float | None  # raw index of that cycle (None: hidden in that cycle)
    ci_low: float | None = None  # known for the current cycle only
    ci_high: float | None = None


# --- Departments and divisions ----------------------------------------------------------------


def department_refs(organization_id: int) -> dict[int, DepartmentRef]:
    """Every department of the organization with its division, in one query.

    A division is a department's top-level ancestor (``Department.parent`` chain). When the
    whole company hangs under one root, the root's children are the divisions.
    """
    rows = list(
        Department.objects.filter(organization_id=organization_id).only(
            "id", "code", "name_ru", "name_en", "parent_id"
        )
    )
    by_id = {d.pk: d for d in rows}
    roots = [d for d in rows if d.parent_id is None]
    single_root = roots[0].pk if len(roots) == 1 and len(rows) > 1 else None

    def division_of(dept: Department) -> Department:
        seen = set()
        current = dept
        while current.parent_id is not None and current.parent_id in by_id:
            if current.parent_id == single_root:
                return current
            if current.pk in seen:  # a broken tree must not hang the page
                break
            seen.add(current.pk)
            current = by_id[current.parent_id]
        return current

    refs = {}
    for dept in rows:
        division = division_of(dept)
        refs[dept.pk] = DepartmentRef(
            id=dept.pk,
            code=dept.code,
            name=dept.name,
            division_id=division.pk,
            division_code=division.code,
            division_name=division.name,
        )
    return refs


def _unknown(pk: int) -> DepartmentRef:
    return DepartmentRef(pk, "?", "?", None, "", "")


def snapshot_criteria(snapshot: ResultSnapshot) -> list[CriterionRef]:
    """The snapshot's criteria in code order."""
    found = {c.pk: c for c in Criterion.objects.filter(pk__in=snapshot.criteria)}
    refs = []
    for pk in snapshot.criteria:
        c = found.get(pk)
        refs.append(
            CriterionRef(pk, c.code, c.name, float(c.weight))
            if c
            else CriterionRef(pk, "?", "?", 1.0)
        )
    return refs


def _at(values: list | None, code: int, default=None):
    if not values or code >= len(values):
        return default
    return values[code]


def _change(payload: dict, code: int) -> ChangeData | None:
    change = payload.get("change")
    if not change:
        return None
    return ChangeData(
        delta=_at(change.get("delta"), code),
        ci_low=_at(change.get("ci_low"), code),
        ci_high=_at(change.get("ci_high"), code),
        q=_at(change.get("q"), code),
        significant=bool(_at(change.get("significant"), code, False)),
        trend_slope=_at(change.get("trend_slope"), code),
    )


def _trend(snapshot: ResultSnapshot, code: int) -> tuple[TrendPoint, ...]:
    """The raw index per cycle, oldest first, ending with this snapshot's cycle."""
    payload = snapshot.payload
    provider = payload["providers"][code]
    current = TrendPoint(
        snapshot.cycle_id,
        snapshot.cycle.name,
        provider["index"] if provider["shown"] else None,
        provider["ci_low"],
        provider["ci_high"],
    )
    change = payload.get("change")
    if not change:
        return (current,)
    cycles = payload.get("history_cycles", [])
    rows = change.get("history", [])
    points = [
        TrendPoint(meta["id"], meta["name"], _at(row, code))
        for meta, row in zip(cycles, rows, strict=False)
    ]
    return (*points, current)


def _weighted(values: Iterable[tuple[float | None, float]]) -> float | None:
    total = weight_sum = 0.0
    for value, weight in values:
        if value is not None:
            total += value * weight
            weight_sum += weight
    return total / weight_sum if weight_sum else None


def _official(provider: dict, official: str) -> float | None:
    return provider["adjusted"] if official == "adjusted" else provider["index"]


# --- Dashboard -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    department: DepartmentRef
    shown: bool  # False: fewer than k raters; every figure below is None
    rank: int  # 1 = best by the official index; 0 = not ranked
    index: float | None  # raw
    ci_low: float | None
    ci_high: float | None
    adjusted: float | None
    official: float | None  # the index the Regulation counts (raw or adjusted)
    value: float | None  # official index, or the filtered criterion's figure
    n_raters: int | None
    n_clients: int | None
    self_index: float | None
    change: ChangeData | None
    trend: tuple[float | None, ...]  # raw index per cycle, oldest first (sparkline)


@dataclass(frozen=True)
class Heatmap:
    """Provider rows × client columns, percent 0–100 of the client's view (weighted mean of
    its shown cells across criteria, or one criterion's cell), ``None`` = nothing shown."""

    rows: tuple[DepartmentRef, ...]
    columns: tuple[DepartmentRef, ...]
    values: tuple[tuple[float | None, ...], ...]  # len(rows) x len(columns)
    raters: tuple[tuple[int | None, ...], ...]  # raters behind each shown client view
    row_groups: tuple[tuple[str, int], ...]  # (division name, number of rows), in order
    column_groups: tuple[tuple[str, int], ...]
    sort: str  # "index" or "name"


@dataclass(frozen=True)
class RateData:
    department: DepartmentRef | None  # None for the overall row
    invited: int
    completed: int
    percent: int


@dataclass(frozen=True)
class InflationPair:
    a: DepartmentRef
    b: DepartmentRef
    excess_ab: float | None
    excess_ba: float | None


@dataclass(frozen=True)
class IntegrityData:
    responses: int
    straight_lined: int
    speeders: int
    inflation_pairs: tuple[InflationPair, ...]


@dataclass(frozen=True)
class DashboardData:
    organization_id: int
    cycle_id: int
    cycle_name: str
    snapshot_id: int
    version: int
    k: int
    official: str  # "raw" or "adjusted"
    scale: tuple[float, float]
    divisions: tuple[DepartmentRef, ...]  # every division with a rated department
    criteria: tuple[CriterionRef, ...]
    division: DepartmentRef | None  # the applied filter
    criterion: CriterionRef | None  # the applied filter
    ranking: tuple[RankRow, ...]  # in scope: shown by rank (value with a criterion), hidden last
    leaders: tuple[RankRow, ...]
    laggards: tuple[RankRow, ...]  # worst last
    hidden: int  # departments of the company rated by too few raters (not named anywhere)
    distribution: tuple[float, ...]  # ``value`` of every shown department in scope
    heatmap: Heatmap
    response_rates: tuple[RateData, ...]  # by rater's department, by name
    # Departments with fewer than k invited, together (the company view only; None if none)
    response_other: RateData | None
    response_overall: RateData
    history_cycles: tuple[str, ...]  # names, oldest first, ending with this cycle
    integrity: IntegrityData | None  # None for heads (coordinator and analyst only)


def company_dashboard(
    snapshot: ResultSnapshot,
    *,
    division: int | None = None,
    criterion: int | None = None,
    viewer_role: str,
    sort: str = "index",
    response_rates: bool = True,
) -> DashboardData:
    """The company dashboard of one snapshot as plain data (4 queries, 5 with rates).

    ``division``: a division's department id (see ``department_refs``) to zoom into; its
    departments are the ranking and the heatmap's rows. ``criterion``: a criterion id; the
    ranking value, the distribution and the heatmap then show that criterion's figures.
    Unknown ids are ignored (no filter). ``viewer_role``: heads get no integrity flags.
    ``sort``: heatmap rows within each division by "index" (best first) or "name".
    """
    payload = snapshot.payload
    cycle = snapshot.cycle
    refs = department_refs(cycle.organization_id)
    criteria = snapshot_criteria(snapshot)
    official = payload["methodology"]["official"]
    ids = snapshot.departments

    def ref(code: int) -> DepartmentRef:
        pk = ids[code]
        return refs.get(pk) or _unknown(pk)

    rated = [p for p in payload["providers"] if p["rated"]]
    division_ids = sorted(
        {ref(p["code"]).division_id for p in rated} - {None},
        key=lambda pk: refs[pk].code if pk in refs else "",
    )
    divisions = tuple(refs[pk] for pk in division_ids if pk in refs)
    division_ref = refs.get(division) if division in division_ids else None
    crit_code = next((i for i, c in enumerate(criteria) if c.id == criterion), None)
    criterion_ref = criteria[crit_code] if crit_code is not None else None
    change = payload.get("change") or {}
    history = change.get("history") or []

    def in_scope(code: int) -> bool:
        return division_ref is None or ref(code).division_id == division_ref.id

    rows = []
    for p in rated:
        code = p["code"]
        if not in_scope(code):
            continue
        shown = p["shown"]
        value = _official(p, official)
        if crit_code is not None:
            value = p["criteria"][crit_code] if shown else None
        rows.append(
            RankRow(
                department=ref(code),
                shown=shown,
                rank=p["rank"] if shown else 0,
                index=p["index"] if shown else None,
                ci_low=p["ci_low"] if shown else None,
                ci_high=p["ci_high"] if shown else None,
                adjusted=p["adjusted"] if shown else None,
                official=_official(p, official) if shown else None,
                value=value,
                n_raters=p["n_raters"] if shown else None,
                n_clients=p["n_clients"] if shown else None,
                self_index=p["self_index"] if shown else None,
                change=_change(payload, code) if shown else None,
                trend=tuple(_at(row, code) for row in history) if shown else (),
            )
        )
    if crit_code is None:
        rows.sort(key=lambda r: (not r.shown, r.rank or 10**6, r.department.name))
    else:
        rows.sort(
            key=lambda r: (r.value is None, -(r.value or 0), r.department.name),
        )
    ranked = [r for r in rows if r.value is not None]
    leaders = tuple(ranked[:LEADERS])
    laggards = tuple(ranked[max(LEADERS, len(ranked) - LEADERS) :]) if len(ranked) > LEADERS else ()

    heatmap = _heatmap(
        payload, ref, criteria, crit_code, in_scope, sort if sort in HEATMAP_SORTS else "index"
    )
    rates, other, overall = (), None, RateData(None, 0, 0, 0)
    if response_rates:
        rates, other, overall = _rates(cycle, refs, division_ref)
    integrity = None
    if viewer_role in ANALYST_ROLES:
        flags = payload["integrity"]
        integrity = IntegrityData(
            responses=flags["responses"],
            straight_lined=flags["straight_lined"],
            speeders=flags["speeders"],
            inflation_pairs=tuple(
                InflationPair(ref(pair["a"]), ref(pair["b"]), pair["excess_ab"], pair["excess_ba"])
                for pair in flags["inflation_pairs"]
            ),
        )
    return DashboardData(
        organization_id=cycle.organization_id,
        cycle_id=cycle.pk,
        cycle_name=cycle.name,
        snapshot_id=snapshot.pk,
        version=snapshot.version,
        k=payload["methodology"]["k"],
        official=official,
        scale=tuple(payload["methodology"]["scale"]),
        divisions=divisions,
        criteria=tuple(criteria),
        division=division_ref,
        criterion=criterion_ref,
        ranking=tuple(rows),
        leaders=leaders,
        laggards=laggards,
        # A company total: hidden departments are stored as not rated, never by name.
        hidden=int(payload.get("hidden_rated", 0)),
        distribution=tuple(r.value for r in ranked),
        heatmap=heatmap,
        response_rates=rates,
        response_other=other,
        response_overall=overall,
        history_cycles=(*(c["name"] for c in payload.get("history_cycles", [])), cycle.name)
        if change
        else (cycle.name,),
        integrity=integrity,
    )


def _groups(refs: list[DepartmentRef]) -> tuple[tuple[str, int], ...]:
    groups: list[list] = []
    for r in refs:
        if groups and groups[-1][0] == r.division_id:
            groups[-1][2] += 1
        else:
            groups.append([r.division_id, r.division_name, 1])
    return tuple((name, n) for _id, name, n in groups)


def _heatmap(payload, ref, criteria, crit_code, in_scope, sort) -> Heatmap:
    """Aggregate the shown cells per (provider, client): only client views the snapshot shows
    (``providers[p].clients``); cells of hidden views are not stored anyway."""
    weights = [c.weight for c in criteria]
    providers = payload["providers"]
    visible = {
        (p["code"], view["client"]): view["n_raters"]
        for p in providers
        if p["shown"] and in_scope(p["code"])
        for view in p["clients"]
    }
    per_pair: dict[tuple[int, int], list[tuple[float | None, float]]] = {}
    for cell in payload["cells"]:
        key = (cell["provider"], cell["client"])
        if key not in visible:
            continue
        if crit_code is not None and cell["criterion"] != crit_code:
            continue
        per_pair.setdefault(key, []).append((cell["percent"], weights[cell["criterion"]]))
    values = {key: _weighted(terms) for key, terms in per_pair.items()}
    row_codes = sorted({p for p, _k in values})
    col_codes = sorted({k for _p, k in values})
    official = payload["methodology"]["official"]

    def row_key(code: int):
        r = ref(code)
        if sort == "name":
            return (r.division_code, r.name)
        p = providers[code]
        value = p["criteria"][crit_code] if crit_code is not None else _official(p, official)
        return (r.division_code, -(value if value is not None else -1), r.name)

    row_codes.sort(key=row_key)
    col_codes.sort(key=lambda code: (ref(code).division_code, ref(code).code))
    rows = [ref(c) for c in row_codes]
    columns = [ref(c) for c in col_codes]
    return Heatmap(
        rows=tuple(rows),
        columns=tuple(columns),
        values=tuple(tuple(values.get((p, k)) for k in col_codes) for p in row_codes),
        raters=tuple(
            tuple(visible.get((p, k)) if (p, k) in values else None for k in col_codes)
            for p in row_codes
        ),
        row_groups=_groups(rows),
        column_groups=_groups(columns),
        sort=sort,
    )


def _rates(
    cycle: Cycle, refs: dict[int, DepartmentRef], division: DepartmentRef | None
) -> tuple[tuple[RateData, ...], RateData | None, RateData]:
    """Response rates with the departments that invited fewer than k folded together, as for
    every reader but the coordinator's own page (``completion.fold_small_departments``).

    Each figure is a sum over whole groups of one company-wide folding: a division's view
    lists its unfolded departments and no "other" row, and its total is theirs, so that no
    difference between two views isolates a small department."""
    from innerclient.surveys.completion import response_rates

    found = response_rates(cycle=cycle)
    rows = []
    for row in found.departments:
        r = refs.get(row.department_id)
        if division is not None and (r is None or r.division_id != division.id):
            continue
        rows.append(RateData(r, row.invited, row.completed, row.percent))
    other = None
    if found.other is not None and division is None:
        other = RateData(None, found.other.invited, found.other.completed, found.other.percent)
    counted = [*rows, other] if other else rows
    invited = sum(r.invited for r in counted)
    completed = sum(r.completed for r in counted)
    overall = RateData(None, invited, completed, round(100 * completed / invited) if invited else 0)
    return tuple(rows), other, overall


# --- Department card ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionFigure:
    criterion: CriterionRef
    percent: float | None  # clients' view (None: hidden)
    n_raters: int | None
    self_percent: float | None  # the department's self-assessment
    gap: float | None  # self minus clients, points


@dataclass(frozen=True)
class ClientView:
    client: DepartmentRef
    n_raters: int
    percent: float | None  # weighted mean of the view's shown cells
    criteria: tuple[float | None, ...]  # per criterion, code order


@dataclass(frozen=True)
class ProblemRow:
    kind: str  # low_cell, significant_drop, weakest_criterion, self_gap, divergent_client
    criterion: CriterionRef | None
    client: DepartmentRef | None
    value: float | None
    threshold: float | None
    severity: float | None


@dataclass(frozen=True)
class ReciprocityRow:
    partner: DepartmentRef
    i_rate_them: float | None  # my department's view of the partner as its provider
    they_rate_me: float | None  # the partner's view of my department


@dataclass(frozen=True)
class Comment:
    id: uuid.UUID
    kind: str  # "answer" or "open"
    text: str
    hidden: bool = False  # only ever True for the coordinator's view
    reason: str = ""
    moderation_id: int | None = None


@dataclass(frozen=True)
class CommentGroup:
    key: int  # criterion id or open question id
    title: str
    comments: tuple[Comment, ...]


@dataclass(frozen=True)
class CardComments:
    shown: bool  # False: below the comment threshold (or not published): nothing below
    by_criterion: tuple[CommentGroup, ...] = ()
    by_question: tuple[CommentGroup, ...] = ()
    count: int = 0


@dataclass(frozen=True)
class CardData:
    organization_id: int
    cycle_id: int
    cycle_name: str
    snapshot_id: int
    version: int
    k: int
    comment_k: int
    official: str  # "raw" or "adjusted"
    scale: tuple[float, float]
    department: DepartmentRef
    rated: bool  # some client rated it this cycle
    shown: bool  # at least k raters: the figures below may be shown
    index: float | None
    ci_low: float | None
    ci_high: float | None
    adjusted: float | None
    official_value: float | None
    rank: int | None
    ranked: int  # how many departments are ranked
    n_raters: int | None
    n_clients: int | None
    self_index: float | None
    self_gap: float | None
    criteria: tuple[CriterionFigure, ...]
    clients: tuple[ClientView, ...]  # shown client views only, by name
    change: ChangeData | None
    trend: tuple[TrendPoint, ...]  # oldest first, ends with this cycle
    problems: tuple[ProblemRow, ...]  # most severe first
    reciprocity: tuple[ReciprocityRow, ...]  # by partner name
    comments: CardComments = field(default_factory=lambda: CardComments(False))


def department_card(
    snapshot: ResultSnapshot,
    department_id: int,
    *,
    viewer_role: str,
    comments: bool = True,
) -> CardData:
    """One department's card as plain data (4 queries; +4 with comments when shown).

    Raises ``LookupError`` when the department is not coded in the snapshot (created
    later). ``viewer_role``: the coordinator also gets hidden comments (flagged
    ``hidden=True`` with the reason); everyone else never sees them. Pass
    ``comments=False`` to skip reading comments. The caller checks publication and access.
    """
    if department_id not in snapshot.departments:
        raise LookupError(department_id)
    payload = snapshot.payload
    cycle = snapshot.cycle
    ids = snapshot.departments
    code = ids.index(department_id)
    refs = department_refs(cycle.organization_id)
    criteria = snapshot_criteria(snapshot)
    weights = [c.weight for c in criteria]
    provider = payload["providers"][code]
    shown = bool(provider["shown"])
    official = payload["methodology"]["official"]

    def ref(c: int) -> DepartmentRef:
        return refs.get(ids[c]) or _unknown(ids[c])

    figures = []
    for i, crit in enumerate(criteria):
        percent = provider["criteria"][i] if shown else None
        own = provider["self_criteria"][i] if shown else None
        figures.append(
            CriterionFigure(
                criterion=crit,
                percent=percent,
                n_raters=provider["criteria_n"][i] if percent is not None else None,
                self_percent=own,
                gap=own - percent if own is not None and percent is not None else None,
            )
        )
    # Client views: only those the snapshot shows for this provider.
    views = {view["client"]: view["n_raters"] for view in provider["clients"]} if shown else {}
    cells: dict[int, list[float | None]] = {k: [None] * len(criteria) for k in views}
    # Reciprocity: my view of each provider (client == me) and theirs of me (provider == me).
    mine: dict[int, list[tuple[float | None, float]]] = {}
    theirs: dict[int, list[tuple[float | None, float]]] = {}
    shown_views = {
        (p["code"], view["client"])
        for p in payload["providers"]
        if p["shown"]
        for view in p["clients"]
    }
    for cell in payload["cells"]:
        pair = (cell["provider"], cell["client"])
        if pair not in shown_views:
            continue
        if cell["provider"] == code and cell["client"] in cells:
            cells[cell["client"]][cell["criterion"]] = cell["percent"]
            theirs.setdefault(cell["client"], []).append(
                (cell["percent"], weights[cell["criterion"]])
            )
        elif cell["client"] == code and cell["provider"] != code:
            mine.setdefault(cell["provider"], []).append(
                (cell["percent"], weights[cell["criterion"]])
            )
    clients = sorted(
        (
            ClientView(
                client=ref(k),
                n_raters=views[k],
                percent=_weighted(zip(values, weights, strict=True)),
                criteria=tuple(values),
            )
            for k, values in cells.items()
        ),
        key=lambda v: v.client.name,
    )
    reciprocity = sorted(
        (
            ReciprocityRow(
                partner=ref(partner),
                i_rate_them=_weighted(mine.get(partner, [])),
                they_rate_me=_weighted(theirs.get(partner, [])),
            )
            for partner in set(mine) | set(theirs)
        ),
        key=lambda r: r.partner.name,
    )
    problems = tuple(
        ProblemRow(
            kind=problem["kind"],
            criterion=criteria[problem["criterion"]] if problem["criterion"] is not None else None,
            client=ref(problem["client"]) if problem["client"] is not None else None,
            value=problem["value"],
            threshold=problem["threshold"],
            severity=problem["severity"],
        )
        for problem in payload["problems"]
        if problem["department"] == code and shown
    )
    index = provider["index"] if shown else None
    self_index = provider["self_index"] if shown else None
    card = CardData(
        organization_id=cycle.organization_id,
        cycle_id=cycle.pk,
        cycle_name=cycle.name,
        snapshot_id=snapshot.pk,
        version=snapshot.version,
        k=payload["methodology"]["k"],
        comment_k=payload["methodology"]["comment_k"],
        official=official,
        scale=tuple(payload["methodology"]["scale"]),
        department=ref(code),
        rated=bool(provider["rated"]),
        shown=shown,
        index=index,
        ci_low=provider["ci_low"] if shown else None,
        ci_high=provider["ci_high"] if shown else None,
        adjusted=provider["adjusted"] if shown else None,
        official_value=_official(provider, official) if shown else None,
        rank=provider["rank"] if shown and provider["rank"] else None,
        ranked=sum(1 for p in payload["providers"] if p["shown"] and p["rank"]),
        n_raters=provider["n_raters"] if shown else None,
        n_clients=provider["n_clients"] if shown else None,
        self_index=self_index,
        self_gap=self_index - index if self_index is not None and index is not None else None,
        criteria=tuple(figures),
        clients=tuple(clients),
        change=_change(payload, code) if shown else None,
        trend=_trend(snapshot, code),
        problems=problems,
        reciprocity=tuple(reciprocity),
    )
    if comments and shown and provider["comments_shown"]:
        card = _replace(
            card,
            comments=card_comments(
                snapshot,
                department_id,
                include_hidden=viewer_role == Role.COORDINATOR,
                criteria=criteria,
            ),
        )
    return card


def _replace(card: CardData, **changes) -> CardData:
    from dataclasses import replace

    return replace(card, **changes)


# --- Comments ----------------------------------------------------------------------------------


def hidden_comment_ids(cycle: Cycle) -> set[uuid.UUID]:
    """Ids (Answer or OpenAnswer) of the cycle's comments a coordinator has hidden."""
    return set(
        CommentModeration.objects.filter(cycle=cycle, is_active=True).values_list(
            "comment_id", flat=True
        )
    )


def _sort_key(comment: Comment):
    # By text, not by time or id order: order must not hint at when (or by whom) it was written.
    return (comment.text.casefold(), str(comment.id))


def card_comments(
    snapshot: ResultSnapshot,
    department_id: int,
    *,
    include_hidden: bool = False,
    criteria: list[CriterionRef] | None = None,
) -> CardComments:
    """The comments clients wrote about the department in the snapshot's cycle.

    Only where the snapshot says ``comments_shown`` (the comment threshold); from submitted
    client responses (not self-assessments), minus client views an upheld appeal excluded;
    with no rater attribute (not even the client department). Hidden (moderated) comments
    are left out unless ``include_hidden`` (the coordinator's view), then flagged.
    """
    code = snapshot.departments.index(department_id)
    provider = snapshot.payload["providers"][code]
    if not (provider["shown"] and provider["comments_shown"]):
        return CardComments(False)
    cycle = snapshot.cycle
    excluded = [
        client for prov, client in snapshot.payload.get("exclusions", []) if prov == department_id
    ]
    responses = Q(
        response__cycle=cycle,
        response__provider_id=department_id,
        response__status=Response.Status.SUBMITTED,
    ) & ~Q(response__rater_kind=ResponseKind.SELF)
    if excluded:
        responses &= ~Q(response__rater_department_id__in=excluded)
    answers = list(
        Answer.objects.filter(responses)
        .exclude(comment="")
        .values_list("id", "criterion_id", "comment")
    )
    opens = list(
        OpenAnswer.objects.filter(responses)
        .exclude(text="")
        .values_list("id", "question_id", "text")
    )
    moderations = {
        m.comment_id: m
        for m in CommentModeration.objects.filter(cycle=cycle, is_active=True).only(
            "id", "comment_id", "reason"
        )
    }
    by_id = {c.id: c for c in (criteria if criteria is not None else snapshot_criteria(snapshot))}
    questions = {
        q.pk: q.text for q in OpenQuestion.objects.filter(criteria_set_id=cycle.criteria_set_id)
    }

    def build(kind: str, rows) -> dict[int, list[Comment]]:
        grouped: dict[int, list[Comment]] = {}
        for pk, key, text in rows:
            text = text.strip()
            if not text:
                continue
            moderation = moderations.get(pk)
            if moderation is not None and not include_hidden:
                continue
            grouped.setdefault(key, []).append(
                Comment(
                    id=pk,
                    kind=kind,
                    text=text,
                    hidden=moderation is not None,
                    reason=moderation.reason if moderation else "",
                    moderation_id=moderation.pk if moderation else None,
                )
            )
        return grouped

    by_criterion = build(CommentModeration.Kind.ANSWER, answers)
    by_question = build(CommentModeration.Kind.OPEN, opens)
    criterion_order = list(snapshot.criteria)
    groups_c = tuple(
        CommentGroup(
            pk, by_id[pk].name if pk in by_id else "?", tuple(sorted(items, key=_sort_key))
        )
        for pk, items in sorted(
            by_criterion.items(),
            key=lambda kv: criterion_order.index(kv[0]) if kv[0] in criterion_order else 10**6,
        )
    )
    groups_q = tuple(
        CommentGroup(pk, questions.get(pk, "?"), tuple(sorted(items, key=_sort_key)))
        for pk, items in sorted(by_question.items())
    )
    count = sum(len(g.comments) for g in (*groups_c, *groups_q))
    return CardComments(True, groups_c, groups_q, count)


# --- Which cycle --------------------------------------------------------------------------------


def latest_published_cycle(organization_id: int) -> Cycle | None:
    return (
        Cycle.objects.filter(organization_id=organization_id, status=Cycle.Status.PUBLISHED)
        .order_by("-published_at", "-pk")
        .first()
    )
