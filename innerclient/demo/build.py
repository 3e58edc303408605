"""Build the demo company in the database: the one place where the demo writes.

The build is a list of steps run in order in one transaction. Each step draws from its own
random stream (seeded with the seed and the step's name), so adding a step later, such as
past evaluation cycles, leaves the company that the earlier steps generate unchanged.
The generators the steps call (``structure``, ``people``, ``request_log``) are pure.
"""

import datetime as dt
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from django.contrib.auth.models import User
from django.db import transaction

from innerclient.core.audit import audit_record
from innerclient.core.models import Organization, Role
from innerclient.core.services import membership_set, organization_create
from innerclient.demo import structure as catalogue
from innerclient.demo.cycles import CyclesResult, step_cycles
from innerclient.demo.people import PersonPlan, plan_people
from innerclient.demo.request_log import (
    MAP_MIN_COUNT,
    MAP_MONTHS,
    DemoRequest,
    flows_between,
    month_starts,
    plan_request_log,
    services_for,
)
from innerclient.org.models import Department, InteractionLink, Person
from innerclient.org.request_log import LogEntry, count_pairs, propose_links
from innerclient.org.services.interaction_map import map_apply

DEFAULT_SEED = 42
# A fixed "today" for the request log, so that a seed gives the same log whenever it runs.
DEFAULT_ANCHOR = dt.date(2026, 10, 31)
DEFAULT_PASSWORD = "demo-demo-2026"


@dataclass(frozen=True)
class DemoConfig:
    seed: int = DEFAULT_SEED
    slug: str = "demo"
    anchor: dt.date = DEFAULT_ANCHOR
    name: str = "АО «Северный ветер»"
    mail_domain: str = "sev-veter.example"  # people's addresses; .example is reserved
    password: str = DEFAULT_PASSWORD

    @property
    def user_domain(self) -> str:
        """Sign-in names: short to type, and distinct for each demo organization."""
        return f"{self.slug}.example"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    department_code: str | None = None
    person_email: str | None = None  # the person in the directory the account stands for


@dataclass
class DemoContext:
    config: DemoConfig
    organization: Organization | None = None
    actor: User | None = None
    structure: list[catalogue.DepartmentPlan] = field(default_factory=list)
    departments: dict[str, Department] = field(default_factory=dict)
    people: list[PersonPlan] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)
    requests: list[DemoRequest] = field(default_factory=list)
    links: int = 0
    cycles: CyclesResult | None = None

    def rng(self, step: str) -> random.Random:
        # A string seed is hashed with SHA-512 by ``random``: stable across runs and machines.
        return random.Random(f"innerclient-demo:{self.config.seed}:{step}")


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[DemoContext], None]


def step_organization(ctx: DemoContext) -> None:
    ctx.actor = _user(ctx.config, "coordinator")
    ctx.organization = organization_create(
        actor=ctx.actor, name=ctx.config.name, slug=ctx.config.slug
    )
    ctx.users.append(DemoUser(ctx.actor.username, Role.COORDINATOR))


def step_structure(ctx: DemoContext) -> None:
    ctx.structure = catalogue.plan_structure(ctx.rng("structure"))
    # Level by level, so that every parent has its id before its children are inserted.
    for level in sorted({plan.spec.level for plan in ctx.structure}):
        rows = [
            Department(
                organization=ctx.organization,
                code=plan.code,
                name_ru=plan.spec.name_ru,
                name_en=plan.spec.name_en,
                parent=ctx.departments.get(plan.spec.parent_code or ""),
                is_active=plan.spec.is_active,
            )
            for plan in ctx.structure
            if plan.spec.level == level
        ]
        for row in Department.objects.bulk_create(rows):
            ctx.departments[row.code] = row


def step_people(ctx: DemoContext) -> None:
    ctx.people = plan_people(ctx.structure, ctx.rng("people"), domain=ctx.config.mail_domain)
    rows = Person.objects.bulk_create(
        [
            Person(
                organization=ctx.organization,
                full_name=plan.full_name,
                email=plan.email,
                department=ctx.departments[plan.department_code],
                position=plan.position,
                is_head=plan.is_head,
                is_active=plan.is_active,
            )
            for plan in ctx.people
        ],
        batch_size=1000,
    )
    for row in rows:
        if row.is_head:
            row.department.head = row
    Department.objects.bulk_update(ctx.departments.values(), ["head"])


def step_accounts(ctx: DemoContext) -> None:
    """Accounts to sign in with, one per role, standing for real people of the directory."""
    people = {plan.email: plan for plan in ctx.people}
    heads = {plan.department_code: plan for plan in ctx.people if plan.is_head}
    employee = next(
        plan
        for plan in ctx.people
        if plan.department_code == catalogue.SALES_B2B and not plan.is_head and plan.is_active
    )
    wanted = [
        DemoUser(ctx.actor.username, Role.COORDINATOR, None, heads["HR"].email),
        DemoUser(f"analyst@{ctx.config.user_domain}", Role.ANALYST, None, heads["IT-DAT"].email),
        DemoUser(
            f"head.sales@{ctx.config.user_domain}",
            Role.HEAD,
            catalogue.SALES_B2B,
            heads[catalogue.SALES_B2B].email,
        ),
        DemoUser(
            f"head.purchasing@{ctx.config.user_domain}",
            Role.HEAD,
            catalogue.PURCHASING,
            heads[catalogue.PURCHASING].email,
        ),
        DemoUser(
            f"employee@{ctx.config.user_domain}", Role.EMPLOYEE, catalogue.SALES_B2B, employee.email
        ),
    ]
    ctx.users = []
    for demo_user in wanted:
        person = people[demo_user.person_email]
        if demo_user.username == ctx.actor.username:
            user = ctx.actor
        else:
            user = _user(ctx.config, demo_user.username.split("@")[0])
        user.first_name, user.last_name = person.first_name, person.last_name
        user.save(update_fields=["first_name", "last_name"])
        membership_set(
            actor=ctx.actor,
            organization=ctx.organization,
            user=user,
            role=demo_user.role,
            department=ctx.departments.get(demo_user.department_code or ""),
        )
        ctx.users.append(demo_user)


def step_request_log(ctx: DemoContext) -> None:
    ctx.requests = plan_request_log(ctx.structure, ctx.rng("request_log"), anchor=ctx.config.anchor)


def step_interaction_map(ctx: DemoContext) -> None:
    """Derive the map from the log as a coordinator would, then describe each link's service."""
    ids = {code: department.pk for code, department in ctx.departments.items()}
    codes = {pk: code for code, pk in ids.items()}
    entries = (
        LogEntry(
            created_at=request.created_at.date(),
            client_id=ids[request.client_code],
            provider_id=ids[request.provider_code],
            request_type=request.request_type,
        )
        for request in ctx.requests
    )
    anchor = ctx.config.anchor
    counts = count_pairs(entries, start=month_starts(anchor, MAP_MONTHS)[0], end=anchor)
    flows = flows_between(ctx.structure)
    proposed = [
        replace(
            link,
            services=services_for(flows.get((codes[link.client_id], codes[link.provider_id]), [])),
        )
        for link in propose_links(counts, min_count=MAP_MIN_COUNT)
    ]
    diff = map_apply(
        actor=ctx.actor,
        organization=ctx.organization,
        proposed=proposed,
        source=InteractionLink.Source.REQUEST_LOG,
    )
    ctx.links = len(diff.added)


def step_results(ctx: DemoContext) -> None:
    """Store each past cycle's results, oldest first, so each sees the ones before it."""
    from innerclient.results.services import results_compute

    for cycle in ctx.cycles.cycles if ctx.cycles else ():
        results_compute(actor=ctx.actor, cycle=cycle, reason="Demo: past cycle")


def step_actions(ctx: DemoContext) -> None:
    from innerclient.demo.actions import demo_actions

    demo_actions(ctx.organization, actor=ctx.actor)


STEPS: tuple[Step, ...] = (
    Step("organization", step_organization),
    Step("structure", step_structure),
    Step("people", step_people),
    Step("accounts", step_accounts),
    Step("request_log", step_request_log),
    Step("interaction_map", step_interaction_map),
    Step("cycles", step_cycles),  # four past published cycles with planted effects
    Step("results", step_results),  # their results, computed as publication would
    Step("actions", step_actions),  # a few action plans made from those results
)


@transaction.atomic
def demo_build(config: DemoConfig, *, steps: tuple[Step, ...] = STEPS) -> DemoContext:
    """Create the demo organization with everything in it; raises if the slug is taken."""
    if Organization.objects.filter(slug=config.slug).exists():
        raise ValueError(f"an organization with the slug {config.slug!r} already exists")
    ctx = DemoContext(config=config)
    for step in steps:
        step.run(ctx)
    audit_record(
        organization=ctx.organization,
        actor=ctx.actor,
        action="demo.generate",
        obj=ctx.organization,
        changes={
            "seed": config.seed,
            "anchor": config.anchor.isoformat(),
            "steps": [step.name for step in steps],
            "departments": len(ctx.departments),
            "people": len(ctx.people),
            "people_active": sum(plan.is_active for plan in ctx.people),
            "requests": len(ctx.requests),
            "links": ctx.links,
            "users": [user.username for user in ctx.users],
            "cycles": ctx.cycles.audit() if ctx.cycles else None,
        },
    )
    return ctx


def demo_users_exist(config: DemoConfig) -> bool:
    return User.objects.filter(username=f"coordinator@{config.user_domain}").exists()


def demo_fingerprint(organization: Organization) -> str:
    """A digest of what the seed decides: departments, people, links; never ids or times."""
    # Sorted here rather than by the database, whose collation differs between SQLite and
    # PostgreSQL: the same company must give the same digest on both.
    departments = sorted(
        Department.objects.filter(organization=organization).values_list(
            "code", "name_ru", "name_en", "parent__code", "is_active", "head__email"
        )
    )
    people = sorted(
        Person.objects.filter(organization=organization).values_list(
            "email", "full_name", "department__code", "position", "is_head", "is_active"
        )
    )
    links = sorted(
        InteractionLink.objects.filter(organization=organization).values_list(
            "client__code", "provider__code", "volume", "services"
        )
    )
    payload = json.dumps([departments, people, links], ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def _user(config: DemoConfig, local_part: str) -> User:
    """The demo account, created or (after a demo organization was deleted) reused."""
    username = f"{local_part}@{config.user_domain}"
    user = User.objects.filter(username=username).first() or User(username=username)
    user.email = username
    user.set_password(config.password)
    user.save()
    return user
