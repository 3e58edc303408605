"""Forms of the appeals and bonus pages."""

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from innerclient.appeals.bonus import BandError, parse_bands
from innerclient.appeals.models import Appeal, BonusScheme, band_error_message

BAND_ROWS = 6


class AppealSettingsForm(forms.Form):
    window_days = forms.IntegerField(
        label=_("Days to file an appeal after publication"),
        min_value=1,
        max_value=60,
        help_text=_("From 1 to 60; the Regulation's default is 10."),
    )
    committee = forms.ModelMultipleChoiceField(
        label=_("Appeals committee"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Members who decide appeals. Nobody ticked: the coordinators decide."),
    )

    def __init__(self, *args, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(pk__in=[m.user_id for m in members or []])
        roles = {m.user_id: m.get_role_display() for m in members or []}
        self.fields["committee"].queryset = users.order_by("last_name", "email")
        self.fields["committee"].label_from_instance = lambda user: _member_label(user, roles)


def _member_label(user, roles: dict) -> str:
    name = user.get_full_name() or user.email or user.get_username()
    role = roles.get(user.pk)
    return f"{name} · {role}" if role else name


class AppealForm(forms.Form):
    target = forms.ChoiceField(
        label=_("What do you dispute?"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what you dispute.")},
    )
    text = forms.CharField(
        label=_("Grounds of the appeal"),
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": 4000}),
        max_length=4000,
        help_text=_(
            "Say what is unfair and why, with facts the committee can check. Do not guess "
            "who wrote a comment or who rated you: ratings are anonymous."
        ),
        error_messages={"required": _("Explain why the result is unfair.")},
    )

    def __init__(self, *args, views=(), comments=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(v.value, v.name) for v in views]
        choices += [(c.value, c.text) for c in comments]
        self.fields["target"].choices = choices

    def target_parts(self) -> dict:
        kind, _sep, value = self.cleaned_data["target"].partition(":")
        if kind == "view":
            return {"kind": Appeal.Kind.CLIENT_VIEW, "client_department_id": int(value)}
        return {"kind": Appeal.Kind.COMMENT, "comment_kind": kind, "comment_id": value}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("upheld", _("Uphold")), ("rejected", _("Reject"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose to uphold or to reject.")},
    )
    reason = forms.CharField(
        label=_("Reason for the decision"),
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 4000}),
        max_length=4000,
        help_text=_("The appellant receives it by email; it stays on record."),
        error_messages={"required": _("Write the reason for the decision.")},
    )

    @property
    def upheld(self) -> bool:
        return self.cleaned_data["decision"] == "upheld"


class BonusSchemeForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Formula"), choices=BonusScheme.Mode.choices, widget=forms.RadioSelect
    )
    slope = forms.DecimalField(
        label=_("Multiplier change per index point"),
        min_value=Decimal("0"),
        max_value=Decimal("0.1"),
        decimal_places=4,
        help_text=_("Improvement formula: 0.01 adds 0.01 to the multiplier per point gained."),
    )
    cap = forms.DecimalField(
        label=_("Cap on the bonus weight"),
        min_value=Decimal("0"),
        max_value=Decimal("1"),
        decimal_places=3,
        help_text=_("The multiplier stays within 1 ± this value (0.15: from 0.85 to 1.15)."),
    )
    min_raters = forms.IntegerField(
        label=_("Minimum number of raters"), min_value=3, max_value=1000
    )
    max_ci_half_width = forms.DecimalField(
        # xgettext:no-python-format
        label=_("Maximum half-width of the 95% interval, index points"),
        min_value=Decimal("0.5"),
        max_value=Decimal("50"),
        decimal_places=1,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(BAND_ROWS):
            for part, label in (
                ("lower", _("from")),
                ("upper", _("below")),
                ("multiplier", _("multiplier")),
            ):
                self.fields[f"band_{i}_{part}"] = forms.DecimalField(
                    label=label,
                    required=False,
                    decimal_places=4 if part == "multiplier" else 2,
                    min_value=Decimal("-1000"),
                    max_value=Decimal("1000"),
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )

    @staticmethod
    def initial_for(scheme: BonusScheme) -> dict:
        initial = {
            "mode": scheme.mode,
            "slope": scheme.slope,
            "cap": scheme.cap,
            "min_raters": scheme.min_raters,
            "max_ci_half_width": scheme.max_ci_half_width,
        }
        for i, (lower, upper, multiplier) in enumerate(scheme.bands[:BAND_ROWS]):
            initial[f"band_{i}_lower"] = lower
            initial[f"band_{i}_upper"] = upper
            initial[f"band_{i}_multiplier"] = multiplier
        return initial

    def band_rows(self):
        return [
            [self[f"band_{i}_{part}"] for part in ("lower", "upper", "multiplier")]
            for i in range(BAND_ROWS)
        ]

    def clean(self):
        data = super().clean()
        rows = []
        for i in range(BAND_ROWS):
            values = [data.get(f"band_{i}_{part}") for part in ("lower", "upper", "multiplier")]
            if all(v is None for v in values):
                continue
            if values[2] is None:
                self.add_error(f"band_{i}_multiplier", _("Give the band's multiplier."))
                continue
            rows.append([_number(v) for v in values])
        try:
            parse_bands(rows)
        except BandError as error:
            raise forms.ValidationError(band_error_message(error)) from error
        data["bands"] = rows
        return data


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
