"""The action form (create and edit). It only parses input; the services validate and write,
and their errors come back onto the fields they name."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from innerclient.actions.models import ActionPlan
from innerclient.actions.selectors import owner_choices, published_cycles
from innerclient.org.models import Department, Person
from innerclient.surveys.models import Criterion, Cycle


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class ActionForm(forms.Form):
    department = forms.TypedChoiceField(label=_("Department that acts"), coerce=int)
    title = forms.CharField(
        label=_("Action"),
        max_length=ActionPlan._meta.get_field("title").max_length,
        help_text=_("What will be done, in a few words."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Once the action is in progress or done, the raters of your department see its "
            "title, description and result on “What we changed”. Do not quote comments or name "
            "people."
        ),
    )
    owner = forms.TypedChoiceField(label=_("Owner"), coerce=int)
    due_date = forms.DateField(label=_("Due date"), widget=DateInput())
    cycle = forms.TypedChoiceField(
        label=_("Results that prompted it"), coerce=int, required=False, empty_value=None
    )
    # The problem area, carried from the department card; the services check them.
    kind = forms.CharField(required=False, widget=forms.HiddenInput)
    criterion = forms.IntegerField(required=False, widget=forms.HiddenInput)
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)

    FIELD_OF = {"problem_kind": "kind", "client_department": "client"}

    def __init__(
        self, *args, organization, departments, owner_department_id=None, keep_owner=None, **kw
    ):
        super().__init__(*args, **kw)
        self.organization = organization
        self.fields["department"].choices = [(d.pk, f"{d.code} · {d.name}") for d in departments]
        people = owner_choices(organization, owner_department_id)
        if keep_owner is not None and keep_owner not in people:
            people.append(keep_owner)  # the current owner stays selectable
        self.fields["owner"].choices = [("", "—")] + [
            (p.pk, f"{p.full_name}{' · ' + p.position if p.position else ''}") for p in people
        ]
        self.fields["cycle"].choices = [("", _("— none, made by hand —"))] + [
            (pk, name) for pk, name in published_cycles(organization)
        ]

    def service_values(self) -> dict:
        """The cleaned data as the objects the services take (foreign ids as rows or None)."""
        data = self.cleaned_data
        org = self.organization
        return {
            "department": Department.objects.filter(
                organization=org, pk=data["department"]
            ).first(),
            "title": data["title"],
            "description": data["description"],
            "owner": Person.objects.filter(organization=org, pk=data["owner"]).first(),
            "due_date": data["due_date"],
            "cycle": Cycle.objects.filter(organization=org, pk=data["cycle"]).first()
            if data.get("cycle")
            else None,
            "problem_kind": data.get("kind") or "",
            "criterion": Criterion.objects.filter(
                criteria_set__organization=org, pk=data["criterion"]
            ).first()
            if data.get("criterion")
            else None,
            "client_department": Department.objects.filter(
                organization=org, pk=data["client"]
            ).first()
            if data.get("client")
            else None,
        }

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, messages in error.message_dict.items():
            name = self.FIELD_OF.get(field, field)
            visible = name in self.fields and not self.fields[name].widget.is_hidden
            for message in messages:
                self.add_error(name if visible else None, message)


class ActionEditForm(ActionForm):
    status = forms.ChoiceField(label=_("Status"), choices=ActionPlan.Status.choices)
    result_note = forms.CharField(
        label=_("Result"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What changed for the clients; needed to mark the action done."),
    )

    def service_values(self) -> dict:
        values = super().service_values()
        values["result_note"] = self.cleaned_data["result_note"]
        return values
