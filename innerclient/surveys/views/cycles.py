"""Cycle pages: the list, the settings form, a cycle, its rater list, its transitions; and the
criteria sets with their editor.

Coordinators manage (MANAGE_ORGANIZATION); analysts and heads read the list and a cycle
(VIEW_MAP). Every page works without JavaScript: actions are plain forms that post and
redirect back; transitions go through a confirmation page that says what will happen.
"""

from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from innerclient.core.permissions import Capability, org_access
from innerclient.org.models import Department, Person
from innerclient.surveys import selectors
from innerclient.surveys.criteria import (
    CriterionData,
    QuestionData,
    criteria_set_create,
    criteria_set_default,
    criteria_set_save,
)
from innerclient.surveys.models import Assignment, CriteriaSet, Cycle, Invitation, Scale
from innerclient.surveys.services import cycles as services
from innerclient.surveys.services.cycles import CycleSettings

CSS = "css/cycles.css"


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _cycle(access, pk) -> Cycle:
    return get_object_or_404(
        Cycle.objects.select_related("criteria_set"), organization=access.organization, pk=pk
    )


def _optional_url(name: str, *args) -> str:
    """A page another engineer's module provides, when it exists."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


# --- List, create, edit ----------------------------------------------------------------------


@login_required
def cycle_list(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    return render(
        request,
        "surveys/cycles/list.html",
        {
            "org": access.organization,
            "nav": "cycles",
            "cycles": selectors.cycle_list(access.organization),
            "can_manage": access.can(Capability.MANAGE_ORGANIZATION),
        },
    )


class CycleForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=120,
        help_text=gettext_lazy("For example “2027 Q1”."),
    )
    criteria_set = forms.TypedChoiceField(label=gettext_lazy("Criteria"), coerce=int)
    scale = forms.ChoiceField(
        label=gettext_lazy("Scale"), choices=Scale.choices, widget=forms.RadioSelect
    )
    anonymity_threshold = forms.IntegerField(
        label=gettext_lazy("Anonymity threshold"),
        min_value=3,
        max_value=10,
        help_text=gettext_lazy(
            "A figure resting on fewer raters than this is never shown (3–10; 5 is usual)."
        ),
    )
    comment_threshold = forms.IntegerField(
        label=gettext_lazy("Comment threshold"),
        min_value=3,
        max_value=20,
        help_text=gettext_lazy(
            "Comments about a department are shown only when at least this many raters "
            "answered; at least the anonymity threshold."
        ),
    )
    justify_at_or_below = forms.IntegerField(
        label=gettext_lazy("Ask for a justification at or below"),
        help_text=gettext_lazy(
            "A score this low needs a short comment. One below the scale's minimum turns this off."
        ),
    )
    justify_at_or_above = forms.IntegerField(
        label=gettext_lazy("Ask for a justification at or above"),
        required=False,
        help_text=gettext_lazy("Empty: high scores need no comment."),
    )
    rater_mode = forms.ChoiceField(
        label=gettext_lazy("Who rates"), choices=Cycle.RaterMode.choices, widget=forms.RadioSelect
    )
    sample_size = forms.IntegerField(
        label=gettext_lazy("Sample size per client department"),
        min_value=1,
        max_value=500,
        help_text=gettext_lazy("Used with a random sample; the same people are drawn each time."),
    )
    include_self_assessment = forms.BooleanField(
        label=gettext_lazy("Self-assessment: the head of each rated department rates it too"),
        required=False,
    )
    deadline = forms.DateField(
        label=gettext_lazy("Deadline"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reminder_days_after_open = forms.IntegerField(
        label=gettext_lazy("First reminder, days after opening"), min_value=0, max_value=90
    )
    reminder_days_before_deadline = forms.IntegerField(
        label=gettext_lazy("Last reminder, days before the deadline"), min_value=0, max_value=90
    )
    max_reminders = forms.IntegerField(
        label=gettext_lazy("At most this many reminders"),
        min_value=0,
        max_value=services.MAX_REMINDERS,
    )

    GROUPS = (
        (gettext_lazy("Cycle"), ("name", "criteria_set", "deadline")),
        (
            gettext_lazy("Scale and thresholds"),
            (
                "scale",
                "anonymity_threshold",
                "comment_threshold",
                "justify_at_or_below",
                "justify_at_or_above",
            ),
        ),
        (
            gettext_lazy("Raters"),
            ("rater_mode", "sample_size", "include_self_assessment"),
        ),
        (
            gettext_lazy("Reminders"),
            ("reminder_days_after_open", "reminder_days_before_deadline", "max_reminders"),
        ),
    )

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.organization = organization
        choices = selectors.criteria_set_choices(organization)
        current = self.initial.get("criteria_set")
        if current and current not in {pk for pk, _label in choices}:
            criteria_set = CriteriaSet.objects.get(pk=current)
            choices.append((criteria_set.pk, f"{criteria_set.name} (v{criteria_set.version})"))
        self.fields["criteria_set"].choices = choices

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.GROUPS]

    def settings(self) -> CycleSettings:
        data = self.cleaned_data
        return CycleSettings(**{name: data[name] for name in CycleSettings.__dataclass_fields__})

    def criteria_set_obj(self) -> CriteriaSet:
        return get_object_or_404(
            CriteriaSet, organization=self.organization, pk=self.cleaned_data["criteria_set"]
        )

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc)


def _initial_of(cycle: Cycle) -> dict:
    return {
        "name": cycle.name,
        "criteria_set": cycle.criteria_set_id,
        **asdict(CycleSettings.of(cycle)),
    }


@login_required
@require_http_methods(["GET", "POST"])
def cycle_create(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    organization = access.organization
    default_set = criteria_set_default(organization=organization, actor=request.user)
    initial = {"criteria_set": default_set.pk, **asdict(CycleSettings())}
    form = CycleForm(request.POST or None, organization=organization, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            cycle = services.cycle_create(
                actor=request.user,
                organization=organization,
                name=form.cleaned_data["name"],
                criteria_set=form.criteria_set_obj(),
                settings=form.settings(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("The cycle is created as a draft. Review who rates whom."))
            return redirect("org:cycle_detail", org_slug, cycle.pk)
    return render(
        request,
        "surveys/cycles/form.html",
        {"org": organization, "nav": "cycles", "form": form, "cycle": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_edit(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    if cycle.status != Cycle.Status.DRAFT:
        messages.warning(request, _("The settings are frozen: only a draft cycle can be changed."))
        return redirect("org:cycle_detail", org_slug, cycle.pk)
    form = CycleForm(
        request.POST or None, organization=access.organization, initial=_initial_of(cycle)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cycle_update(
                actor=request.user,
                cycle=cycle,
                name=form.cleaned_data["name"],
                criteria_set=form.criteria_set_obj(),
                settings=form.settings(),
            )
        except ValidationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("org:cycle_detail", org_slug, cycle.pk)
    return render(
        request,
        "surveys/cycles/form.html",
        {"org": access.organization, "nav": "cycles", "form": form, "cycle": cycle},
    )


# --- A cycle -----------------------------------------------------------------------------------


STEPS = [
    (Cycle.Status.DRAFT, gettext_lazy("Draft")),
    (Cycle.Status.OPEN, gettext_lazy("Open")),
    (Cycle.Status.CLOSED, gettext_lazy("Closed")),
    (Cycle.Status.PUBLISHED, gettext_lazy("Published")),
]

ACTION_LABELS = {
    Cycle.Status.OPEN: gettext_lazy("Open the cycle…"),
    Cycle.Status.CLOSED: gettext_lazy("Close the cycle…"),
    Cycle.Status.PUBLISHED: gettext_lazy("Publish the results…"),
}


@login_required
def cycle_detail(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    cycle = _cycle(access, pk)
    next_status = services.NEXT_STATUS.get(cycle.status)
    return render(
        request,
        "surveys/cycles/detail.html",
        {
            "org": access.organization,
            "nav": "cycles",
            "cycle": cycle,
            "counts": selectors.assignment_counts(cycle),
            "criteria": list(cycle.criteria_set.criteria.all()),
            "questions": list(cycle.criteria_set.open_questions.all()),
            "steps": STEPS,
            "step_index": [s for s, _label in STEPS].index(cycle.status),
            "next_status": next_status,
            "next_label": ACTION_LABELS.get(next_status, ""),
            "can_manage": access.can(Capability.MANAGE_ORGANIZATION),
            "results_visible": selectors.cycle_results_visible(cycle),
            "can_view_results": access.can(Capability.VIEW_RESULTS),
            "progress_url": _optional_url("org:cycle_progress", org_slug, cycle.pk),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cycle_transition(request, org_slug, pk, to):
    """Opening and closing. Publishing shares the URL (``to/published/``) but is served by
    ``innerclient.workflow.views.cycle_publish``, which renders this same page."""
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    service = services.TRANSITIONS.get(to)
    if service is None:
        raise Http404
    return cycle_transition_page(request, access, cycle, to, service)


def cycle_transition_page(request, access, cycle: Cycle, to: str, service):
    """The confirmation page of the step to ``to``; its confirmed POST calls
    ``service(actor=..., cycle=...)`` and goes back to the cycle with what happened."""
    if request.method == "POST" and request.POST.get("confirm") == "1":
        try:
            service(actor=request.user, cycle=cycle)
        except ValidationError as exc:
            messages.error(request, _messages_of(exc))
        else:
            done = {
                Cycle.Status.OPEN: _("The cycle is open: invitations are on their way."),
                Cycle.Status.CLOSED: _("The cycle is closed: raters can no longer answer."),
                Cycle.Status.PUBLISHED: _("The results are published."),
            }
            messages.success(request, done[to])
        return redirect("org:cycle_detail", access.organization.slug, cycle.pk)
    expected = services.NEXT_STATUS.get(cycle.status)
    counts = selectors.assignment_counts(cycle)
    completed = (
        Invitation.objects.filter(cycle=cycle, status=Invitation.Status.COMPLETED).count()
        if to == Cycle.Status.CLOSED
        else 0
    )
    return render(
        request,
        "surveys/cycles/transition.html",
        {
            "org": access.organization,
            "nav": "cycles",
            "cycle": cycle,
            "to": to,
            "allowed": expected == to,
            "expected": expected,
            "expected_label": dict(Cycle.Status.choices).get(expected, ""),
            "to_label": dict(Cycle.Status.choices)[to],
            "counts": counts,
            "completed": completed,
        },
    )


# --- The rater list ----------------------------------------------------------------------------


@login_required
def cycle_assignments(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    cycle = _cycle(access, pk)
    client = None
    detail = None
    client_id = request.GET.get("client", "")
    if client_id.isdigit():
        client = get_object_or_404(Department, organization=access.organization, pk=client_id)
        detail = selectors.assignment_group_detail(cycle, client)
    return render(
        request,
        "surveys/cycles/assignments.html",
        {
            "org": access.organization,
            "nav": "cycles",
            "cycle": cycle,
            "editable": cycle.status == Cycle.Status.DRAFT,
            "counts": selectors.assignment_counts(cycle),
            "groups": selectors.assignment_summary(cycle) if detail is None else [],
            "client": client,
            "detail": detail,
            "departments": selectors.department_choices(access.organization),
            "kinds": dict(Assignment._meta.get_field("kind").choices),
        },
    )


def _posted(request, model, organization_field: str, organization, name: str):
    value = request.POST.get(name, "")
    if not value.isdigit():
        raise ValidationError(_("Choose from the list."))
    return get_object_or_404(model, **{organization_field: organization, "pk": int(value)})


@login_required
@require_POST
def cycle_assignments_edit(request, org_slug, pk):
    """One form per action on the rater list; every change is a service with an audit row."""
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    organization = access.organization
    cycle = _cycle(access, pk)
    action = request.POST.get("action", "")
    target = reverse("org:cycle_assignments", args=[org_slug, cycle.pk])
    client_id = request.POST.get("client", "")
    if client_id.isdigit():
        target += f"?client={int(client_id)}"
    org_dep = "organization"
    try:
        if action == "generate":
            people, ratings = services.cycle_assignments_generate(actor=request.user, cycle=cycle)
            messages.success(
                request,
                _("The list is generated from the map: %(people)s people, %(ratings)s ratings.")
                % {"people": people, "ratings": ratings},
            )
            target = reverse("org:cycle_assignments", args=[org_slug, cycle.pk])
        elif action == "remove_assignment":
            assignment = _posted(
                request, Assignment, "invitation__cycle__organization", organization, "assignment"
            )
            services.assignment_remove(actor=request.user, cycle=cycle, assignment=assignment)
            messages.success(request, _("Removed."))
        elif action == "remove_invitation":
            invitation = _posted(
                request, Invitation, "cycle__organization", organization, "invitation"
            )
            services.invitation_remove(actor=request.user, cycle=cycle, invitation=invitation)
            messages.success(request, _("The person is removed from the list."))
        elif action == "add_person":
            person = _posted(request, Person, org_dep, organization, "person")
            services.invitation_add(actor=request.user, cycle=cycle, person=person)
            messages.success(request, _("The person is added to the list."))
        elif action == "add_assignment":
            person = _posted(request, Person, org_dep, organization, "person")
            provider = _posted(request, Department, org_dep, organization, "provider")
            services.assignment_add(
                actor=request.user, cycle=cycle, person=person, provider=provider
            )
            messages.success(request, _("Added."))
        elif action in ("add_client_provider", "remove_client_provider"):
            client = _posted(request, Department, org_dep, organization, "client")
            provider = _posted(request, Department, org_dep, organization, "provider")
            service = (
                services.client_provider_add
                if action == "add_client_provider"
                else services.client_provider_remove
            )
            n = service(actor=request.user, cycle=cycle, client=client, provider=provider)
            messages.success(
                request, _("%(n)s ratings changed.") % {"n": n} if n else _("Nothing to change.")
            )
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    return redirect(target)


# --- Criteria sets -----------------------------------------------------------------------------


@login_required
def criteria_list(request, org_slug):
    access = org_access(request, org_slug, Capability.VIEW_MAP)
    organization = access.organization
    families = selectors.criteria_families(organization)
    latest_ids = [f.latest.id for f in families]
    criteria = {}
    for set_id, name_ru, name_en in CriteriaSet.objects.filter(pk__in=latest_ids).values_list(
        "pk", "criteria__name_ru", "criteria__name_en"
    ):
        if name_ru:
            criteria.setdefault(set_id, []).append((name_ru, name_en))
    return render(
        request,
        "surveys/cycles/criteria_list.html",
        {
            "org": organization,
            "nav": "cycles",
            "families": [(f, criteria.get(f.latest.id, [])) for f in families],
            "can_manage": access.can(Capability.MANAGE_ORGANIZATION),
        },
    )


@login_required
@require_POST
def criteria_create(request, org_slug):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    try:
        criteria_set = criteria_set_create(
            actor=request.user,
            organization=access.organization,
            name=request.POST.get("name", "")[:200],
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("org:criteria_list", org_slug)
    messages.success(request, _("A new set with the default criteria: edit it as you need."))
    return redirect("org:criteria_edit", org_slug, criteria_set.pk)


class CriterionForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, required=False)
    name_ru = forms.CharField(label=gettext_lazy("Name (Russian)"), max_length=200)
    name_en = forms.CharField(label=gettext_lazy("Name (English)"), max_length=200, required=False)
    description_ru = forms.CharField(
        label=gettext_lazy("Description (Russian)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    weight = forms.DecimalField(
        label=gettext_lazy("Weight"), min_value=0.001, max_digits=6, decimal_places=3
    )


class QuestionForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, required=False)
    text_ru = forms.CharField(label=gettext_lazy("Question (Russian)"), max_length=300)
    text_en = forms.CharField(
        label=gettext_lazy("Question (English)"), max_length=300, required=False
    )


CriterionFormSet = forms.formset_factory(CriterionForm, extra=1, can_delete=True, can_order=True)
QuestionFormSet = forms.formset_factory(QuestionForm, extra=1, can_delete=True)


def _kept(formset) -> list[dict]:
    forms_ = formset.ordered_forms if formset.can_order else formset.forms
    # Unchanged blank rows have no cleaned data; deleted rows are left out.
    return [f.cleaned_data for f in forms_ if f.cleaned_data and not f.cleaned_data.get("DELETE")]


@login_required
@require_http_methods(["GET", "POST"])
def criteria_edit(request, org_slug, pk):
    access = org_access(request, org_slug, Capability.MANAGE_ORGANIZATION)
    criteria_set = get_object_or_404(CriteriaSet, organization=access.organization, pk=pk)
    detail = selectors.criteria_set_detail(criteria_set)
    initial_criteria = [
        {
            "code": c.code,
            "name_ru": c.name_ru,
            "name_en": c.name_en,
            "description_ru": c.description_ru,
            "description_en": c.description_en,
            "weight": c.weight,
            "ORDER": i,
        }
        for i, c in enumerate(detail.criteria, start=1)
    ]
    initial_questions = [
        {"code": q.code, "text_ru": q.text_ru, "text_en": q.text_en} for q in detail.questions
    ]
    data = request.POST if request.method == "POST" and detail.is_latest else None
    criteria_forms = CriterionFormSet(data, initial=initial_criteria, prefix="c")
    question_forms = QuestionFormSet(data, initial=initial_questions, prefix="q")
    error = ""
    if data is not None and criteria_forms.is_valid() and question_forms.is_valid():
        criteria = [
            CriterionData(
                code=d.get("code", ""),
                name_ru=d["name_ru"],
                name_en=d.get("name_en", ""),
                description_ru=d.get("description_ru", ""),
                description_en=d.get("description_en", ""),
                weight=d["weight"],
            )
            for d in _kept(criteria_forms)
        ]
        questions = [
            QuestionData(code=d.get("code", ""), text_ru=d["text_ru"], text_en=d.get("text_en", ""))
            for d in _kept(question_forms)
        ]
        try:
            saved = criteria_set_save(
                actor=request.user,
                criteria_set=criteria_set,
                criteria=criteria,
                questions=questions,
            )
        except ValidationError as exc:
            error = _messages_of(exc)
        else:
            if saved.pk != criteria_set.pk:
                messages.success(
                    request,
                    _(
                        "Version %(old)s is used by an opened cycle and stays as it was: "
                        "your changes are version %(new)s."
                    )
                    % {"old": criteria_set.version, "new": saved.version},
                )
            else:
                messages.success(request, _("Criteria saved."))
            return redirect("org:criteria_edit", org_slug, saved.pk)
    return render(
        request,
        "surveys/cycles/criteria_edit.html",
        {
            "org": access.organization,
            "nav": "cycles",
            "detail": detail,
            "criteria_set": criteria_set,
            "criteria_forms": criteria_forms,
            "question_forms": question_forms,
            "error": error,
        },
    )
