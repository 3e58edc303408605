"""Action plans for the demo company, made through the services from its stored results.

``demo_actions(organization)`` records a few actions on the planted effects so the action
list, the department cards and "What we changed" have something true to show: IT-SUP acted
on the next-to-last cycle and improved, HR-ADM acted and still declined, OPS-PUR-GDS has a
fresh action on its inflated self-assessment, and one action is overdue. Idempotent: an
organization that already has actions is left alone. ``demo_company`` calls it as its
"actions" step (``build.step_actions``).
"""

from datetime import timedelta

from django.utils import timezone, translation

from innerclient.actions.models import ActionPlan
from innerclient.actions.selectors import suggested_title
from innerclient.actions.services import action_create, action_set_status
from innerclient.core.models import Organization
from innerclient.org.models import Department, Person
from innerclient.results.models import ResultSnapshot
from innerclient.surveys.models import Criterion, Cycle


def _owner(department: Department) -> Person | None:
    if department.head_id:
        return department.head
    return department.people.filter(is_active=True).order_by("-is_head", "full_name").first()


def _problem(cycle: Cycle, department: Department, kinds: tuple[str, ...]):
    snapshot = ResultSnapshot.objects.filter(cycle=cycle).order_by("-version").first()
    if snapshot is None or department.pk not in snapshot.departments:
        return None
    code = snapshot.departments.index(department.pk)
    for problem in snapshot.payload.get("problems", []):
        if problem["department"] == code and problem["kind"] in kinds:
            return snapshot, problem
    return None


def demo_actions(organization: Organization, actor=None) -> int:
    if ActionPlan.objects.filter(organization=organization).exists():
        return 0
    cycles = list(
        Cycle.objects.filter(organization=organization, status=Cycle.Status.PUBLISHED).order_by(
            "opened_at", "created_at"
        )
    )
    if len(cycles) < 2:
        return 0
    previous, latest = cycles[-2], cycles[-1]
    departments = {d.code: d for d in Department.objects.filter(organization=organization)}
    plan = [
        # (code, cycle, problem kinds, status, result note, due in days from the cycle's end)
        (
            "IT-SUP",
            previous,
            ("weakest_criterion", "low_cell"),
            ActionPlan.Status.DONE,
            "Единая форма заявок и стандарт ответа в течение дня; очередь разбирается ежедневно.",
            30,
        ),
        (
            "HR-ADM",
            previous,
            ("significant_drop", "weakest_criterion"),
            ActionPlan.Status.IN_PROGRESS,
            "",
            60,
        ),
        ("OPS-PUR-GDS", latest, ("self_gap",), ActionPlan.Status.PLANNED, "", 45),
        ("HR-ADM", latest, ("weakest_criterion", "low_cell"), ActionPlan.Status.PLANNED, "", -5),
    ]
    made = 0
    for code, cycle, kinds, status, note, due_days in plan:
        department = departments.get(code)
        owner = _owner(department) if department else None
        found = _problem(cycle, department, kinds) if department else None
        if owner is None or found is None:
            continue
        snapshot, problem = found
        criterion = None
        if problem["criterion"] is not None:
            criterion = Criterion.objects.filter(pk=snapshot.criteria[problem["criterion"]]).first()
        client = None
        if problem["client"] is not None:
            client = departments_by_id(organization).get(snapshot.departments[problem["client"]])
        made_on = timezone.localdate(cycle.published_at or timezone.now())
        with translation.override("ru"):  # the demo company works in Russian
            title = suggested_title(
                problem["kind"], criterion.name if criterion else "", client.name if client else ""
            )
        action = action_create(
            actor=actor,
            organization=organization,
            department=department,
            title=title or "Улучшить обслуживание внутренних клиентов",
            owner=owner,
            # Done actions were due after their cycle; open ones fall due from today on.
            due_date=(made_on if status == ActionPlan.Status.DONE else timezone.localdate())
            + timedelta(days=due_days if due_days > 0 else 30),
            description="Согласовано на сессии обратной связи с подразделениями-клиентами.",
            cycle=cycle,
            problem_kind=problem["kind"],
            criterion=criterion,
            client_department=client,
            today=made_on,
        )
        if due_days < 0:  # overdue: the date has passed without the action being done
            ActionPlan.objects.filter(pk=action.pk).update(
                due_date=timezone.localdate() + timedelta(days=due_days)
            )
        if status != ActionPlan.Status.PLANNED:
            action_set_status(actor=actor, action=action, status=status, result_note=note)
        made += 1
    return made


def departments_by_id(organization: Organization) -> dict[int, Department]:
    return {d.pk: d for d in Department.objects.filter(organization=organization)}
